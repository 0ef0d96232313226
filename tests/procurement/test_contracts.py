"""Volume-based procurement contracts (集采, SPEC §5a): loading, the gate's supplier rule and agreed price for the
institutions with a volume in the period, and progress against the agreed volume."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import OrganizationKind
from orders.models import Order
from pharmex.calendar import local_days
from pharmex.choices import StaffRole
from pharmex.models import AuditEvent
from tests.conftest import client_for
from tests.factories import DrugFactory, OrganizationFactory, UserFactory
from tests.orders.conftest import place
from tests.orders.shipping import receipt, receive, ship, shipment_body
from tests.procurement.conftest import TODAY, days

pytestmark = pytest.mark.django_db

CONTRACTS = "/api/v1/procurement-contracts/"


def admin_client():
    return client_for(UserFactory(staff_role=StaffRole.ADMIN, is_staff=True))


def load(public, *institutions, price="8.00", valid_from=None, valid_until=None, volume=100, drug=None):
    response = admin_client().post(
        CONTRACTS,
        {
            "programme": "第九批国家组织药品集中采购",
            "drug_id": (drug or public.drug).pk,
            "supplier_id": public.mah.pk,
            "agreed_price": price,
            "valid_from": str(valid_from or days(-1)),
            "valid_until": str(valid_until or days(364)),
            "volumes": [{"institution_id": i.pk, "annual_volume": volume} for i in institutions],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def designate(public):
    client = public.client(public.mah)
    body = {"drug_id": public.drug.pk, "distributor_id": public.distributor.pk, "valid_from": str(days(-1)),
            "region_codes": ["460000"]}  # fmt: skip
    designation = client.post("/api/v1/delivery-designations/", body, format="json").json()
    public.client(public.distributor).post(f"/api/v1/delivery-designations/{designation['id']}/accept/", {})


def reasons(response) -> list[str]:
    return sorted(e["code"] for e in response.json()["errors"])


def test_an_institution_with_a_volume_buys_from_the_winner_at_the_agreed_price(public):
    load(public, public.hospital)
    response = place(public.client(public.hospital), (public.mah_offer.pk, 5))
    assert response.status_code == 201, response.json()
    order = Order.objects.get(pk=response.json()["id"])
    assert (order.lines.get().unit_price, order.total_gross) == (Decimal("8.00"), Decimal("40.00"))


def test_another_supplier_is_refused_with_the_reason_collected_with_the_others(public):
    load(public, public.hospital)
    response = place(public.client(public.hospital), (public.other_offer.pk, 100_000))
    assert response.status_code == 409
    assert reasons(response) == [
        "delivery_enterprise_not_designated",
        "insufficient_stock",
        "procurement_contract_supplier_required",
    ]


def test_the_winner_s_delivery_enterprise_may_deliver_at_the_agreed_price(public):
    load(public, public.hospital)
    designate(public)
    response = place(public.client(public.hospital), (public.offer.pk, 2))
    assert response.status_code == 201, response.json()
    assert Order.objects.get(pk=response.json()["id"]).lines.get().unit_price == Decimal("8.00")


def test_an_agreed_price_above_the_offer_s_leaves_the_offer_s_price(public):
    load(public, public.hospital, price="11.00")
    response = place(public.client(public.hospital), (public.mah_offer.pk, 1))
    assert Order.objects.get(pk=response.json()["id"]).lines.get().unit_price == Decimal("10.00")


def test_the_contract_binds_only_its_institutions_and_only_in_its_period(public):
    load(public, public.hospital, valid_from=days(10), valid_until=days(20))
    outsider = OrganizationFactory(kind=OrganizationKind.HOSPITAL, ownership="public")
    designate(public)
    # before the period: the list price, and any designated supplier
    before = place(public.client(public.hospital), (public.mah_offer.pk, 1))
    assert Order.objects.get(pk=before.json()["id"]).lines.get().unit_price == Decimal("10.00")
    with time_machine.travel(days(10), tick=False):
        inside = place(public.client(public.hospital), (public.mah_offer.pk, 1))
        assert Order.objects.get(pk=inside.json()["id"]).lines.get().unit_price == Decimal("8.00")
        assert reasons(place(public.client(public.hospital), (public.other_offer.pk, 1))) == [
            "delivery_enterprise_not_designated",
            "procurement_contract_supplier_required",
        ]
        other = place(public.client(outsider), (public.mah_offer.pk, 1))
        assert Order.objects.get(pk=other.json()["id"]).lines.get().unit_price == Decimal("10.00")
    with time_machine.travel(days(21), tick=False):
        after = place(public.client(public.hospital), (public.mah_offer.pk, 1))
        assert Order.objects.get(pk=after.json()["id"]).lines.get().unit_price == Decimal("10.00")


def test_progress_equals_the_orders_ordered_and_received(public):
    contract = load(public, public.hospital, volume=100)
    other_hospital = OrganizationFactory(kind=OrganizationKind.HOSPITAL, ownership="public")
    hospital = public.client(public.hospital)
    first = Order.objects.get(pk=place(hospital, (public.mah_offer.pk, 6)).json()["id"])
    second = Order.objects.get(pk=place(hospital, (public.mah_offer.pk, 4)).json()["id"])
    cancelled = Order.objects.get(pk=place(hospital, (public.mah_offer.pk, 3)).json()["id"])
    assert hospital.post(f"/api/v1/orders/{cancelled.pk}/cancel/", {}, format="json").status_code == 200
    # the first order shipped and received: 5 accepted, 1 rejected
    supplier = public.client(public.mah)
    assert supplier.post(f"/api/v1/orders/{first.pk}/confirm/", {}, format="json").status_code == 200
    assert ship(supplier, first, shipment_body(first)).status_code == 200
    shipment = first.shipments.get()
    line = shipment.lines.get()
    assert receive(hospital, shipment, receipt(shipment, rejected={line.pk: (1, [])})).status_code == 200

    progress = admin_client().get(f"{CONTRACTS}{contract['id']}/progress/")
    assert progress.status_code == 200, progress.json()
    assert progress.json()["results"] == [
        {
            "institution_id": public.hospital.pk,
            "institution_name": public.hospital.legal_name,
            "agreed_volume": 100,
            "ordered": 10,
            "received": 5,
        }
    ]
    assert second.status == "placed"  # ordered, not yet received
    # an institution reads its own row; an outsider sees no contract
    own = public.client(public.hospital).get(f"{CONTRACTS}{contract['id']}/progress/").json()["results"]
    assert [row["ordered"] for row in own] == [10]
    assert public.client(other_hospital).get(f"{CONTRACTS}{contract['id']}/progress/").status_code == 404


def test_loading_a_contract_is_for_admins_checked_and_audited(public):
    pharmacy = OrganizationFactory(kind=OrganizationKind.PHARMACY)
    body = {
        "programme": "集采",
        "drug_id": public.drug.pk,
        "supplier_id": public.mah.pk,
        "agreed_price": "8.00",
        "valid_from": str(TODAY()),
        "valid_until": str(days(10)),
        "volumes": [{"institution_id": pharmacy.pk, "annual_volume": 5}],
    }
    response = admin_client().post(CONTRACTS, body, format="json")
    assert (response.status_code, response.json()["errors"][0]["field"]) == (400, "volumes[0].institution_id")
    assert public.client(public.mah).post(CONTRACTS, body, format="json").status_code == 403
    load(public, public.hospital)
    assert AuditEvent.objects.filter(action="procurement_contract.created").count() == 1
    listed = public.client(public.hospital).get(CONTRACTS).json()["results"]
    assert [c["volumes"] for c in listed] == [[{"institution": public.hospital.pk, "annual_volume": 100}]]


def test_the_market_view_shows_the_agreed_price_to_the_institutions_of_the_contract_only(public):
    load(public, public.hospital)
    outsider = OrganizationFactory(kind=OrganizationKind.HOSPITAL, ownership="public")
    path = f"/api/v1/drugs/{public.drug.pk}/offers/"

    def prices(organization):
        return {o["id"]: o["your_price"] for o in public.client(organization).get(path).json()["results"]}

    assert prices(public.hospital) == {public.mah_offer.pk: "8.00", public.offer.pk: None, public.other_offer.pk: None}
    assert set(prices(outsider).values()) == {None}


def test_an_institution_reads_its_own_agreed_volume_and_the_winner_reads_all(public):
    second = OrganizationFactory(kind=OrganizationKind.HOSPITAL, ownership="public", legal_name="三亚市人民医院")
    contract = load(public, public.hospital, second)

    def volumes(organization) -> list[dict]:
        return public.client(organization).get(f"{CONTRACTS}{contract['id']}/").json()["volumes"]

    assert volumes(public.hospital) == [{"institution": public.hospital.pk, "annual_volume": 100}]
    assert volumes(second) == [{"institution": second.pk, "annual_volume": 100}]
    assert {row["institution"] for row in volumes(public.mah)} == {public.hospital.pk, second.pk}
    assert {row["institution"] for row in admin_client().get(f"{CONTRACTS}{contract['id']}/").json()["volumes"]} == {
        public.hospital.pk,
        second.pk,
    }


def test_progress_counts_the_orders_of_the_period_s_local_days_by_the_instants_they_start_and_end(public):
    # A filter on each order's local date reads every order ever placed (no index serves a date computed per row);
    # the instants the period starts and ends are a range of placed_at, and count the same orders.
    contract = load(public, public.hospital, valid_from=days(-1), valid_until=days(30))
    hospital = public.client(public.hospital)
    first, last = local_days(days(-1), days(30))
    moments = {
        1: first,  # 00:00 of the first day, Asia/Shanghai (16:00 the day before in UTC): in
        2: last - timedelta(microseconds=1),  # the last instant of the last day: in
        4: last,  # 00:00 of the day after: out
        8: first - timedelta(microseconds=1),  # the last instant before the period: out
    }
    for quantity, moment in moments.items():
        order = place(hospital, (public.mah_offer.pk, quantity)).json()["id"]
        Order.objects.filter(pk=order).update(placed_at=moment)

    with CaptureQueriesContext(connection) as queries:
        progress = admin_client().get(f"{CONTRACTS}{contract['id']}/progress/")
    assert progress.status_code == 200, progress.json()
    assert progress.json()["results"][0]["ordered"] == 1 + 2
    (read,) = [q["sql"] for q in queries.captured_queries if 'FROM "orders_orderline"' in q["sql"]]
    assert '"orders_order"."placed_at" >= ' in read and "AT TIME ZONE" not in read, read


def test_a_contract_is_read_by_its_winner_and_institutions_only(public):
    contract = load(public, public.hospital)
    second = OrganizationFactory(kind=OrganizationKind.HOSPITAL, ownership="public", legal_name="三亚市人民医院")
    other_drug = DrugFactory(mah_organization=public.mah)
    elsewhere = load(public, second, drug=other_drug)

    def listed(client) -> list[int]:
        return sorted(row["id"] for row in client.get(CONTRACTS).json()["results"])

    assert listed(public.client(public.mah)) == sorted([contract["id"], elsewhere["id"]])
    assert listed(public.client(public.hospital)) == [contract["id"]]
    assert listed(public.client(public.other)) == []
    # a person acting for no organisation is a party to none
    assert listed(client_for(UserFactory())) == []
