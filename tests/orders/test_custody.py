"""Custody of traceability codes (SPEC §5): codes follow the boxes through wholesale; diversion is refused."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.choices import MemberRole, OrganizationKind
from accounts.models import Organization
from catalog.models import Offer
from orders.models import CustodyHop, Order, Shipment, SuspectedDiversion, TraceCode
from pharmex.choices import StaffRole
from tests.concurrency import run_concurrently
from tests.conftest import client_for
from tests.factories import DrugFactory, MembershipFactory, OfferFactory, OrganizationFactory, UserFactory
from tests.orders.conftest import place
from tests.orders.shipping import code, item, receipt, receive, ship, shipment_body

pytestmark = pytest.mark.django_db


@dataclass
class Party:
    organization: Organization
    client: object


def party(kind: str, name: str) -> Party:
    # Hospitals private: a public one's two-invoice chain is tests/procurement/test_two_invoice_chain.py
    ownership = "private" if kind == OrganizationKind.HOSPITAL else ""
    organization = OrganizationFactory(kind=kind, legal_name=name, ownership=ownership)
    user = MembershipFactory(organization=organization, role=MemberRole.OPERATOR).user
    return Party(organization, client_for(user))


@pytest.fixture
def chain(db):
    drug = DrugFactory(generic_name="阿莫西林胶囊", gtin="06901234567892")
    manufacturer = party(OrganizationKind.MANUFACTURER, "海南制药厂")
    distributor = party(OrganizationKind.DISTRIBUTOR, "海南康泰医药有限公司")
    hospital = party(OrganizationKind.HOSPITAL, "海口市人民医院")
    return drug, manufacturer, distributor, hospital


def confirmed_order(buyer: Party, supplier: Party, drug, quantity: int) -> Order:
    offer = Offer.objects.filter(supplier=supplier.organization, drug=drug).first()
    offer = offer or OfferFactory(supplier=supplier.organization, drug=drug, stock=1000)
    response = place(buyer.client, (offer.pk, quantity))
    assert response.status_code == 201, response.json()
    order = Order.objects.get(pk=response.json()["id"])
    assert supplier.client.post(f"/api/v1/orders/{order.pk}/confirm/", {}, format="json").status_code == 200
    return order


def sell(buyer: Party, supplier: Party, drug, codes, *, quantity=None, cases=()) -> tuple[Order, object]:
    order = confirmed_order(buyer, supplier, drug, quantity or len(codes))
    line = order.lines.get()
    response = ship(supplier.client, order, shipment_body(order, item(line, line.quantity, codes=codes, cases=cases)))
    return order, response


def test_a_distributor_resells_what_it_bought_and_a_third_party_is_refused_naming_the_holder(chain):
    drug, manufacturer, distributor, hospital = chain
    codes = [code(1), code(2)]
    order, response = sell(distributor, manufacturer, drug, codes)
    assert response.status_code == 200, response.json().get("errors")
    assert set(TraceCode.objects.values_list("holder_id", flat=True)) == {manufacturer.organization.pk}
    receive(distributor.client, Shipment.objects.get(order=order))
    assert set(TraceCode.objects.values_list("holder_id", flat=True)) == {distributor.organization.pk}

    order, resold = sell(hospital, distributor, drug, codes)
    assert resold.status_code == 200, resold.json()  # reselling is ordinary wholesale
    receive(hospital.client, Shipment.objects.get(order=order))
    assert set(TraceCode.objects.values_list("holder_id", flat=True)) == {hospital.organization.pk}

    other = party(OrganizationKind.DISTRIBUTOR, "某某医药")
    order, diverted = sell(hospital, other, drug, [code(2), code(3)])
    assert (diverted.status_code, diverted.json()["code"]) == (409, "duplicate_trace_code")
    [error] = diverted.json()["errors"]
    assert error["code"] == "held_by_other"
    assert "海口市人民医院" in error["message"] and str(hospital.organization.pk) in error["message"]
    assert error["field"] == "lines[0].trace_codes[0]"
    assert not TraceCode.objects.filter(code=code(3)).exists()  # the whole shipment was rolled back
    order.refresh_from_db()
    assert order.status == "confirmed"
    flag = SuspectedDiversion.objects.get()
    assert (flag.code, flag.kind, flag.expected_holder_id, flag.attempted_by_organization_id) == (
        code(2),
        "held_by_other",
        hospital.organization.pk,
        other.organization.pk,
    )
    from webhooks.models import OutboxEvent

    warned = OutboxEvent.objects.get(event_type="trace.suspected_diversion")
    assert warned.organization_id == hospital.organization.pk


def test_codes_in_transit_or_twice_in_a_shipment_are_refused_and_flagged(chain):
    drug, manufacturer, distributor, hospital = chain
    sell(distributor, manufacturer, drug, [code(1)])
    _, again = sell(hospital, manufacturer, drug, [code(1)])
    assert [e["code"] for e in again.json()["errors"]] == ["in_transit"]
    _, twice = sell(hospital, manufacturer, drug, [code(5), code(5)])
    assert [e["code"] for e in twice.json()["errors"]] == ["repeated_in_shipment"]
    assert sorted(SuspectedDiversion.objects.values_list("kind", flat=True)) == ["in_transit", "repeated_in_shipment"]


def test_a_rejected_unit_goes_back_to_the_shipper_who_may_ship_it_again(chain):
    drug, manufacturer, distributor, hospital = chain
    order, _ = sell(distributor, manufacturer, drug, [code(1), code(2)])
    shipment = Shipment.objects.get(order=order)
    line = shipment.lines.get()
    assert (
        receive(distributor.client, shipment, receipt(shipment, rejected={line.pk: (1, [code(2)])})).status_code == 200
    )
    assert TraceCode.objects.get(code=code(2)).holder_id == manufacturer.organization.pk
    _, reshipped = sell(hospital, manufacturer, drug, [code(2)])
    assert reshipped.status_code == 200, reshipped.json().get("errors")


def test_a_case_ships_and_is_received_with_its_units_and_a_unit_shipped_alone_leaves_it(chain):
    drug, manufacturer, distributor, hospital = chain
    case, units = code(100), [code(101), code(102), code(103)]
    order, response = sell(distributor, manufacturer, drug, [], quantity=3, cases=[(case, units)])
    assert response.status_code == 200, response.json().get("errors")
    receive(distributor.client, Shipment.objects.get(order=order))
    assert set(TraceCode.objects.values_list("holder_id", flat=True)) == {distributor.organization.pk}
    assert set(TraceCode.objects.filter(case__code=case).values_list("code", flat=True)) == set(units)

    # the distributor breaks the case: one unit alone to the hospital
    order, response = sell(hospital, distributor, drug, [code(102)])
    assert response.status_code == 200, response.json().get("errors")
    assert TraceCode.objects.get(code=code(102)).case is None
    receive(hospital.client, Shipment.objects.get(order=order))

    # the case ships on with the two units it still holds (the platform knows them: no need to list them)
    other_hospital = party(OrganizationKind.HOSPITAL, "三亚市人民医院")
    order, response = sell(other_hospital, distributor, drug, [], quantity=2, cases=[(case, [])])
    assert response.status_code == 200, response.json().get("errors")
    shipment = Shipment.objects.get(order=order)
    carried = set(CustodyHop.objects.filter(shipment=shipment).values_list("code__code", flat=True))
    assert carried == {case, code(101), code(103)}
    receive(other_hospital.client, shipment)
    holders = dict(TraceCode.objects.values_list("code", "holder_id"))
    assert holders[code(101)] == holders[code(103)] == holders[case] == other_hospital.organization.pk
    assert holders[code(102)] == hospital.organization.pk


def test_a_case_is_counted_by_its_units_and_its_contents_must_match(chain):
    drug, manufacturer, distributor, hospital = chain
    _, too_many = sell(
        distributor, manufacturer, drug, [], quantity=2, cases=[(code(200), [code(201), code(202), code(203)])]
    )
    assert [e["code"] for e in too_many.json()["errors"]] == ["too_many_codes"]
    order, _ = sell(distributor, manufacturer, drug, [], quantity=2, cases=[(code(200), [code(201), code(202)])])
    receive(distributor.client, Shipment.objects.get(order=order))
    _, mismatch = sell(hospital, distributor, drug, [], quantity=2, cases=[(code(200), [code(201), code(209)])])
    assert [e["code"] for e in mismatch.json()["errors"]] == ["case_contents_mismatch"]
    _, unit_as_case = sell(hospital, distributor, drug, [], quantity=1, cases=[(code(201), [code(300)])])
    assert [e["code"] for e in unit_as_case.json()["errors"]] == ["not_a_case"]


def test_rejecting_a_case_rejects_its_units(chain):
    drug, manufacturer, distributor, _hospital = chain
    order, _ = sell(distributor, manufacturer, drug, [code(1)], quantity=3, cases=[(code(10), [code(11), code(12)])])
    shipment = Shipment.objects.get(order=order)
    line = shipment.lines.get()
    response = receive(distributor.client, shipment, receipt(shipment, rejected={line.pk: (2, [code(10)])}))
    assert response.status_code == 200, response.json().get("errors")
    holders = dict(TraceCode.objects.values_list("code", "holder_id"))
    assert holders == {
        code(1): distributor.organization.pk,
        code(10): manufacturer.organization.pk,
        code(11): manufacturer.organization.pk,
        code(12): manufacturer.organization.pk,
    }


def test_gs1_and_enterprise_codes_ship_and_are_checked_against_the_line(chain):
    drug, manufacturer, distributor, _hospital = chain
    order = confirmed_order(distributor, manufacturer, drug, 3)
    line = order.lines.get()
    client = manufacturer.client
    bad = ship(
        client,
        order,
        shipment_body(
            order,
            item(
                line,
                3,
                lot="L2026A",
                codes=[
                    "(01)06901234567893(21)A1",  # check digit
                    "(01)06901234567892(17)991231(10)L2026A(21)A2",  # expiry not the line's
                    "(01)06901234567892(10)OTHER(21)A3",  # lot not the line's
                    "(01)06901234567892(11)250101(21)A4",  # an AI that is not accepted
                    "12345678",  # an enterprise code nobody declared
                ],
            ),
        ),
    )
    assert [e["code"] for e in bad.json()["errors"]] == [
        "gs1_gtin_check_digit",
        "gs1_expiry_mismatch",
        "gs1_lot_mismatch",
        "gs1_unknown_ai",
        "invalid_trace_code",
    ]
    declared = client.post(
        "/api/v1/trace-code-formats/", {"drug": drug.pk, "prefix": "1234", "length": 8}, format="json"
    )
    assert declared.status_code == 201, declared.json()
    expiry_date = timezone.localdate() + timedelta(days=400)
    raw = f"]d2010690123456789217{expiry_date:%y%m}0010L2026A\x1d21B1"  # as a scanner sends it: GS after the lot
    good = ship(
        client,
        order,
        shipment_body(order, item(line, 3, codes=["(01)06901234567892(10)l2026a(21)B2", raw, "12345678"])),
    )
    assert good.status_code == 200, good.json()["errors"]
    kinds = dict(TraceCode.objects.values_list("code", "kind"))
    assert kinds == {
        "(01)06901234567892(21)B1": "gs1",
        "(01)06901234567892(21)B2": "gs1",
        "12345678": "enterprise",
    }
    trace = manufacturer.client.get("/api/v1/trace/(01)06901234567892(17)991231(21)B1/")
    assert trace.status_code == 200, trace.json()
    assert trace.json()["code"] == "(01)06901234567892(21)B1"


def test_the_custody_chain_is_whole_for_admins_and_partial_for_each_party(chain):
    drug, manufacturer, distributor, hospital = chain
    order, _ = sell(distributor, manufacturer, drug, [code(7)])
    receive(distributor.client, Shipment.objects.get(order=order))
    order, _ = sell(hospital, distributor, drug, [code(7)])

    admin = client_for(UserFactory(staff_role=StaffRole.ADMIN, is_staff=True))
    with CaptureQueriesContext(connection) as reads:
        whole = admin.get(f"/api/v1/trace/{code(7)}/").json()
    # The code shows three columns of its drug, a hop its order's number: the reads take those, not the rows.
    (code_read,) = [q["sql"] for q in reads.captured_queries if 'FROM "orders_tracecode"' in q["sql"]]
    assert '"catalog_drug"."generic_name"' in code_read and '"catalog_drug"."storage"' not in code_read
    (hops_read,) = [q["sql"] for q in reads.captured_queries if 'FROM "orders_custodyhop"' in q["sql"]]
    assert '"orders_order"."number"' in hops_read and '"orders_order"."buyer_name"' not in hops_read
    assert (whole["drug_name"], whole["approval_number"]) == (drug.generic_name, drug.approval_number)
    assert [h["order_number"] for h in whole["hops"]] == [
        Shipment.objects.get(order__buyer=distributor.organization).order.number,
        order.number,
    ]
    assert [(h["from_organization"]["id"], h["to_organization"]["id"], h["outcome"]) for h in whole["hops"]] == [
        (manufacturer.organization.pk, distributor.organization.pk, "accepted"),
        (distributor.organization.pk, hospital.organization.pk, "in_transit"),
    ]
    assert (whole["holder"]["id"], whole["in_transit"]) == (distributor.organization.pk, True)

    mine = manufacturer.client.get(f"/api/v1/trace/{code(7)}/").json()
    assert [h["to_organization"]["id"] for h in mine["hops"]] == [distributor.organization.pk]
    assert mine["holder"] is None
    theirs = hospital.client.get(f"/api/v1/trace/{code(7)}/").json()
    assert [h["from_organization"]["id"] for h in theirs["hops"]] == [distributor.organization.pk]
    assert (theirs["order_number"], theirs["buyer"]["id"]) == (order.number, hospital.organization.pk)
    stranger = party(OrganizationKind.PHARMACY, "路人药房")
    assert stranger.client.get(f"/api/v1/trace/{code(7)}/").status_code == 404
    assert admin.get(f"/api/v1/trace/{code(8)}/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_two_suppliers_racing_for_one_unknown_code_ship_it_once(chain):
    """Two shipments on real connections claim the same code the platform has never seen: one wins, the
    other is refused as in transit (or held by the other) and flagged; the code has one holder."""
    drug, manufacturer, distributor, hospital = chain
    rival = party(OrganizationKind.MANUFACTURER, "另一家制药厂")
    orders = [
        (manufacturer, confirmed_order(distributor, manufacturer, drug, 1)),
        (rival, confirmed_order(hospital, rival, drug, 1)),
    ]
    bodies = [
        (supplier, order, shipment_body(order, item(order.lines.get(), 1, codes=[code(42)])))
        for supplier, order in orders
    ]

    def go(index: int) -> int:
        supplier, order, body = bodies[index]
        return ship(supplier.client, order, body).status_code

    results = run_concurrently(2, go)
    assert sorted(results) == [200, 409]
    assert TraceCode.objects.filter(code=code(42)).count() == 1
    assert CustodyHop.objects.filter(code__code=code(42)).count() == 1
    assert SuspectedDiversion.objects.filter(code=code(42)).count() == 1


def test_admins_review_suspected_diversions_in_the_admin_site_and_the_api(chain, client):
    """The flags are a review queue: listed in the admin site, confirmed or dismissed there or through the API,
    each decision audited; the expected holder reads the flags that name it."""
    from pharmex.models import AuditEvent

    drug, manufacturer, distributor, hospital = chain
    order, _ = sell(distributor, manufacturer, drug, [code(1), code(2)])
    receive(distributor.client, Shipment.objects.get(order=order))
    other = party(OrganizationKind.DISTRIBUTOR, "某某医药")
    sell(hospital, other, drug, [code(1)])
    sell(hospital, other, drug, [code(2)])
    first, second = SuspectedDiversion.objects.order_by("pk")

    admin = UserFactory(staff_role=StaffRole.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(admin)
    queue = client.get("/admin/orders/suspecteddiversion/?status__exact=open")
    assert queue.status_code == 200
    assert code(1) in queue.content.decode() and code(2) in queue.content.decode()
    selection = {"action": "dismiss_selected", "_selected_action": [first.pk]}
    asked = client.post("/admin/orders/suspecteddiversion/", selection)  # the API asks a note: so does the admin
    assert asked.status_code == 200 and "reason" in asked.context["form"].fields
    client.post("/admin/orders/suspecteddiversion/", {**selection, "apply": "1", "reason": "调拨单据齐全"})
    first.refresh_from_db()
    assert (first.status, first.resolved_by) == ("dismissed", admin.email)
    assert first.resolution_note == "调拨单据齐全"

    api = client_for(admin)
    resolved = api.post(
        f"/api/v1/suspected-diversions/{second.pk}/resolve/",
        {"outcome": "confirmed", "note": "已报药监部门"},
        format="json",
    )
    assert (resolved.status_code, resolved.json()["status"]) == (200, "confirmed")
    assert (
        api.post(
            f"/api/v1/suspected-diversions/{second.pk}/resolve/", {"outcome": "dismissed", "note": "x"}, format="json"
        ).status_code
        == 409
    )
    assert AuditEvent.objects.filter(action__in=["trace.diversion_dismissed", "trace.diversion_confirmed"]).count() == 2
    # the holder the flags name reads them; the attempting supplier does not
    mine = distributor.client.get("/api/v1/suspected-diversions/").json()["results"]
    assert sorted(flag["code"] for flag in mine) == [code(1), code(2)]
    assert other.client.get("/api/v1/suspected-diversions/").json()["results"] == []
    assert (
        distributor.client.post(
            f"/api/v1/suspected-diversions/{first.pk}/resolve/", {"outcome": "confirmed", "note": "x"}, format="json"
        ).status_code
        == 403
    )
