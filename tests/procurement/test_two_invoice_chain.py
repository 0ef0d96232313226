"""The two-invoice chain (两票制, SPEC §5a): a distributor's shipment to a public institution shows the first invoice
(MAH or its verified sole seller → distributor) for every lot, and receipt refuses a broken chain, naming what is
missing; remote areas allow one more invoice; the manufacturer shipping itself and private buyers need none."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.choices import OrganizationKind
from catalog.choices import ApprovalFormat
from orders.models import Order, Shipment
from orders.services.receiving import order_auto_receive_due
from pharmex.choices import StaffRole
from pharmex.models import AuditEvent
from procurement.models import RemoteArea, SoleSeller, UpstreamInvoice
from tests import plans
from tests.conftest import client_for
from tests.factories import DrugFactory, OfferFactory, OrganizationFactory, UserFactory
from tests.factories.accounts import valid_uscc
from tests.orders.conftest import place
from tests.orders.shipping import invoice_number, receive, ship, shipment_body
from tests.procurement.conftest import TODAY
from tests.procurement.test_delivery_enterprises import accept, designate
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db

BROKEN = "two_invoice_chain_broken"
SOLE_SELLERS = "/api/v1/sole-sellers/"


def admin_client():
    return client_for(UserFactory(staff_role=StaffRole.ADMIN, is_staff=True))


def chain_url(shipment: Shipment) -> str:
    return f"/api/v1/shipments/{shipment.pk}/invoice-chain/"


def first_invoices_url(shipment: Shipment) -> str:
    return f"/api/v1/shipments/{shipment.pk}/first-invoices/"


def shipped(public, *, supplier, offer, buyer, quantity: int = 5, lot: str = "L2026A") -> Shipment:
    """An order of `buyer` from `supplier`, confirmed and shipped in full (one lot) through the API."""
    placed = place(public.client(buyer), (offer.pk, quantity))
    assert placed.status_code == 201, placed.json()
    order = Order.objects.get(pk=placed.json()["id"])
    client = public.client(supplier)
    assert client.post(f"/api/v1/orders/{order.pk}/confirm/", {}, format="json").status_code == 200
    body = shipment_body(order)
    body["lines"][0]["lot_number"] = lot
    response = ship(client, order, body)
    assert response.status_code == 200, response.json()
    return order.shipments.get()


def designated_shipment(public, **kwargs) -> Shipment:
    accept(public, designate(public, buyers=[public.hospital])["id"])
    return shipped(public, supplier=public.distributor, offer=public.offer, buyer=public.hospital, **kwargs)


def record(public, shipment: Shipment, *, issuer=None, issuer_name="", issuer_uscc="", recipient=None, **extra):
    body = {
        "number": invoice_number(),
        "issue_date": str(TODAY() - timedelta(days=3)),
        "amount": "50.00",
        "shipment_line_ids": [line.pk for line in shipment.lines.all()],
        **extra,
    }
    if issuer is not None:
        body["issuer_id"] = issuer.pk
    else:
        body.update(issuer_name=issuer_name, issuer_uscc=issuer_uscc)
    if recipient is not None:
        body["recipient_id"] = recipient.pk
    return public.client(public.distributor).post(first_invoices_url(shipment), body, format="json")


def refused_codes(response) -> list[str]:
    assert response.status_code == 409, response.json()
    assert response.json()["code"] == BROKEN
    return [error["code"] for error in response.json()["errors"]]


def test_a_distributors_shipment_without_first_invoice_is_refused_at_receipt_naming_the_lot(public):
    shipment = designated_shipment(public, lot="LOT-77")
    hospital = public.client(public.hospital)

    refused = receive(hospital, shipment)

    assert refused_codes(refused) == ["first_invoice_missing"]
    assert "LOT-77" in refused.json()["errors"][0]["message"]
    assert "LOT-77" in refused.json()["detail"]
    shipment.refresh_from_db()
    assert shipment.status == "in_transit"  # nothing received
    assert shipment.lines.get().accepted_quantity == 0


def test_with_the_mahs_first_invoice_the_receipt_is_accepted_and_both_invoices_show(public):
    shipment = designated_shipment(public)
    recorded = record(public, shipment, issuer=public.mah)
    assert recorded.status_code == 201, recorded.json()
    assert recorded.json()["issuer_name"] == public.mah.legal_name
    assert recorded.json()["recipient"] == public.distributor.pk  # the shipper by default

    chain = public.client(public.hospital).get(chain_url(shipment))
    assert chain.status_code == 200, chain.json()
    body = chain.json()
    assert body["applies"] is True and body["complete"] is True and body["problems"] == []
    assert [i["number"] for i in body["first_invoices"]] == [recorded.json()["number"]]
    assert body["second_invoice_numbers"] == shipment.invoice_numbers
    assert public.client(public.distributor).get(chain_url(shipment)).json()["complete"] is True
    # the shipment's detail shows the same chain to its parties
    detail = public.client(public.hospital).get(f"/api/v1/shipments/{shipment.pk}/").json()
    assert detail["invoice_chain"]["complete"] is True
    assert detail["invoice_chain"]["first_invoices"][0]["issuer"] == public.mah.pk
    assert detail["invoice_chain"]["second_invoice_numbers"] == shipment.invoice_numbers
    assert public.client(public.other).get(f"/api/v1/shipments/{shipment.pk}/").status_code == 404

    assert receive(public.client(public.hospital), shipment).status_code == 200
    shipment.refresh_from_db()
    assert shipment.status == "received"
    # recorded once received: the chain is evidence
    assert record(public, shipment, issuer=public.mah).status_code == 409
    assert OutboxEvent.objects.filter(
        event_type="upstream_invoice.recorded", organization_id=public.hospital.pk
    ).exists()
    assert AuditEvent.objects.filter(action="upstream_invoice.recorded", object_id=str(shipment.pk)).exists()


def test_a_first_invoice_from_an_invalid_issuer_is_refused_naming_it(public):
    shipment = designated_shipment(public)
    assert (
        record(public, shipment, issuer_name="某某医药贸易公司", issuer_uscc=valid_uscc(900000001)).status_code == 201
    )

    refused = receive(public.client(public.hospital), shipment)

    assert refused_codes(refused) == ["first_invoice_issuer_invalid"]
    assert "某某医药贸易公司" in refused.json()["errors"][0]["message"]


def test_a_sole_sales_company_issues_first_invoices_only_after_admin_verification(public):
    seller_uscc = valid_uscc(900000002)
    registered = public.client(public.mah).post(
        SOLE_SELLERS,
        {"kind": "sole_sales_company", "seller_name": "海南制药销售有限公司", "seller_uscc": seller_uscc},
        format="json",
    )
    assert registered.status_code == 201, registered.json()
    assert registered.json()["status"] == "pending"
    shipment = designated_shipment(public)
    assert record(public, shipment, issuer_name="海南制药销售有限公司", issuer_uscc=seller_uscc).status_code == 201

    assert refused_codes(receive(public.client(public.hospital), shipment)) == ["first_invoice_issuer_invalid"]

    # neither the manufacturer nor the distributor verifies; a platform admin does
    verify = f"{SOLE_SELLERS}{registered.json()['id']}/verify/"
    assert public.client(public.mah).post(verify, {}, format="json").status_code == 403
    verified = admin_client().post(verify, {"note": "营业执照与授权书已核"}, format="json")
    assert verified.status_code == 200, verified.json()
    assert verified.json()["status"] == "verified"
    assert admin_client().post(verify, {}, format="json").status_code == 409  # once
    assert AuditEvent.objects.filter(action="sole_seller.verify", object_id=str(registered.json()["id"])).exists()
    assert OutboxEvent.objects.filter(event_type="sole_seller.verified", organization_id=public.mah.pk).exists()

    assert receive(public.client(public.hospital), shipment).status_code == 200


def test_a_revoked_sole_seller_no_longer_counts(public):
    seller = SoleSeller.objects.create(
        manufacturer=public.mah,
        kind="sole_sales_company",
        seller_name="海南制药销售有限公司",
        seller_uscc=valid_uscc(900000003),
        registered_by="test",
    )
    admin_client().post(f"{SOLE_SELLERS}{seller.pk}/verify/", {}, format="json")
    revoked = public.client(public.mah).post(f"{SOLE_SELLERS}{seller.pk}/revoke/", {}, format="json")
    assert revoked.status_code == 200, revoked.json()
    shipment = designated_shipment(public)
    record(public, shipment, issuer_name=seller.seller_name, issuer_uscc=seller.seller_uscc)

    assert refused_codes(receive(public.client(public.hospital), shipment)) == ["first_invoice_issuer_invalid"]


def test_a_third_seller_is_refused(public):
    shipment = designated_shipment(public)
    # MAH → other distributor → the shipping distributor: one invoice too many
    assert record(public, shipment, issuer=public.mah, recipient=public.other).status_code == 201
    assert record(public, shipment, issuer=public.other).status_code == 201

    refused = receive(public.client(public.hospital), shipment)

    assert refused_codes(refused) == ["third_seller"]
    assert public.other.legal_name in refused.json()["errors"][0]["message"]


def test_a_remote_area_allows_exactly_one_more_invoice(public):
    public.hospital.city_county = "白沙黎族自治县"
    public.hospital.save(update_fields=["city_county"])
    RemoteArea.objects.create(code="469025")
    accept(public, designate(public, buyers=[public.hospital])["id"])
    one_more = shipped(public, supplier=public.distributor, offer=public.offer, buyer=public.hospital)
    two_more = shipped(public, supplier=public.distributor, offer=public.offer, buyer=public.hospital)
    # MAH → other → shipper: allowed here
    record(public, one_more, issuer=public.mah, recipient=public.other)
    record(public, one_more, issuer=public.other)
    assert public.client(public.hospital).get(chain_url(one_more)).json()["remote_area"] is True
    # MAH → third → other → shipper: two more, refused even here
    third = OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR, legal_name="第三医药")
    record(public, two_more, issuer=public.mah, recipient=third)
    record(public, two_more, issuer=third, recipient=public.other)
    record(public, two_more, issuer=public.other)

    assert receive(public.client(public.hospital), one_more).status_code == 200
    refused = receive(public.client(public.hospital), two_more)
    assert refused_codes(refused) == ["third_seller"]
    assert "第三医药" in refused.json()["errors"][0]["message"]


def test_outside_the_remote_areas_the_extra_invoice_is_refused(public):
    RemoteArea.objects.create(code="469025")  # 白沙; the hospital is elsewhere
    shipment = designated_shipment(public)
    record(public, shipment, issuer=public.mah, recipient=public.other)
    record(public, shipment, issuer=public.other)

    assert refused_codes(receive(public.client(public.hospital), shipment)) == ["third_seller"]


def test_the_manufacturer_shipping_itself_needs_no_first_invoice(public):
    shipment = shipped(public, supplier=public.mah, offer=public.mah_offer, buyer=public.hospital)

    chain = public.client(public.hospital).get(chain_url(shipment)).json()
    assert chain["applies"] is False and chain["complete"] is True
    body = {
        "number": invoice_number(),
        "issue_date": str(TODAY()),
        "amount": "1.00",
        "issuer_id": public.mah.pk,
        "recipient_name": "某医药",
        "recipient_uscc": valid_uscc(900000004),
        "shipment_line_ids": [shipment.lines.get().pk],
    }
    not_needed = public.client(public.mah).post(first_invoices_url(shipment), body, format="json")
    assert not_needed.status_code == 400
    assert "first_invoice_not_needed" in {e["code"] for e in not_needed.json()["errors"]}
    assert receive(public.client(public.hospital), shipment).status_code == 200


def test_private_buyers_are_unaffected(public):
    pharmacy = OrganizationFactory(kind=OrganizationKind.PHARMACY)
    private = OrganizationFactory(kind=OrganizationKind.HOSPITAL, ownership="private")
    for buyer in (pharmacy, private):
        shipment = shipped(public, supplier=public.distributor, offer=public.offer, buyer=buyer)
        assert public.client(buyer).get(chain_url(shipment)).json()["applies"] is False
        assert receive(public.client(buyer), shipment).status_code == 200


def test_a_drug_whose_mah_is_not_on_the_platform_takes_its_master_data_name_as_first_issuer(public):
    drug = DrugFactory(mah_name="外省制药股份有限公司")
    offer = OfferFactory(supplier=public.distributor, drug=drug)
    shipment = shipped(public, supplier=public.distributor, offer=offer, buyer=public.hospital)
    assert refused_codes(receive(public.client(public.hospital), shipment)) == ["first_invoice_missing"]

    record(public, shipment, issuer_name="外省制药股份有限公司", issuer_uscc=valid_uscc(900000005))

    assert receive(public.client(public.hospital), shipment).status_code == 200


def test_the_national_agent_of_a_drug_held_abroad_is_registered_by_an_admin_and_issues_its_first_invoices(public):
    drug = DrugFactory(
        approval_number="H20180002", mah_name="Pfizer Inc.", manufacturer_name="Pfizer Manufacturing Deutschland GmbH"
    )
    assert drug.approval_format == ApprovalFormat.IMPORT_LICENSE and drug.mah_organization is None  # held abroad
    offer = OfferFactory(supplier=public.distributor, drug=drug)
    agent_uscc = valid_uscc(900000011)
    agent = {
        "kind": "sole_national_agent",
        "drug_id": drug.pk,
        "seller_name": "辉瑞投资有限公司",
        "seller_uscc": agent_uscc,
    }
    # no organisation registers for a drug it does not hold, and only a national agent is registered for the drug
    by_member = public.client(public.distributor).post(SOLE_SELLERS, agent, format="json")
    assert "not_the_mah" in {e["code"] for e in by_member.json()["errors"]}
    other_kind = admin_client().post(SOLE_SELLERS, {**agent, "kind": "sole_sales_company"}, format="json")
    assert "holder_not_on_the_platform" in {e["code"] for e in other_kind.json()["errors"]}

    registered = admin_client().post(SOLE_SELLERS, agent, format="json")

    assert registered.status_code == 201, registered.json()
    assert (registered.json()["manufacturer"], registered.json()["status"]) == (None, "pending")
    again = admin_client().post(SOLE_SELLERS, {**agent, "seller_uscc": valid_uscc(900000012)}, format="json")
    assert "sole_seller_exists" in {e["code"] for e in again.json()["errors"]}  # one in force per drug
    shipment = shipped(public, supplier=public.distributor, offer=offer, buyer=public.hospital)
    assert record(public, shipment, issuer_name="辉瑞投资有限公司", issuer_uscc=agent_uscc).status_code == 201
    # the agent's invoice counts once a platform admin verified it
    assert refused_codes(receive(public.client(public.hospital), shipment)) == ["first_invoice_issuer_invalid"]
    verified = admin_client().post(f"{SOLE_SELLERS}{registered.json()['id']}/verify/", {}, format="json")
    assert verified.status_code == 200, verified.json()
    assert public.client(public.other).get(f"{SOLE_SELLERS}{registered.json()['id']}/").status_code == 200  # public

    assert receive(public.client(public.hospital), shipment).status_code == 200
    assert AuditEvent.objects.filter(action="sole_seller.verify", object_id=str(registered.json()["id"])).exists()


def test_a_missing_second_invoice_is_named(public):
    shipment = designated_shipment(public)
    record(public, shipment, issuer=public.mah)
    Shipment.objects.filter(pk=shipment.pk).update(invoice_numbers=[])  # a shipment recorded without its invoices

    assert refused_codes(receive(public.client(public.hospital), shipment)) == ["second_invoice_missing"]


def test_every_broken_lot_is_named_at_once(public):
    accept(public, designate(public, buyers=[public.hospital])["id"])
    placed = place(public.client(public.hospital), (public.offer.pk, 4))
    order = Order.objects.get(pk=placed.json()["id"])
    client = public.client(public.distributor)
    client.post(f"/api/v1/orders/{order.pk}/confirm/", {}, format="json")
    line = order.lines.get()
    from tests.orders.shipping import item

    body = shipment_body(order, item(line, 2, lot="LOT-A"), item(line, 2, lot="LOT-B"))
    assert ship(client, order, body).status_code == 200
    shipment = order.shipments.get()
    lot_a = shipment.lines.get(lot_number="LOT-A")
    record(public, shipment, issuer=public.mah, shipment_line_ids=[lot_a.pk])

    refused = receive(public.client(public.hospital), shipment)

    assert refused_codes(refused) == ["first_invoice_missing"]
    assert "LOT-B" in refused.json()["errors"][0]["message"]


def test_the_auto_receive_job_leaves_a_broken_chain_in_transit(public):
    shipment = designated_shipment(public)
    later = timezone.now() + timedelta(days=30)

    assert order_auto_receive_due(now=later) == 0
    shipment.refresh_from_db()
    assert shipment.status == "in_transit"

    record(public, shipment, issuer=public.mah)
    assert order_auto_receive_due(now=later) == 1


def test_shipments_the_job_may_not_receive_do_not_hold_up_the_others(public):
    """A broken chain stays in transit until someone mends it: however many there are, the job still receives the
    shipments behind them (it takes due shipments oldest first, and `batch` counts the ones it received)."""
    broken = designated_shipment(public)
    pharmacy = OrganizationFactory(kind=OrganizationKind.PHARMACY)
    due = shipped(public, supplier=public.distributor, offer=public.offer, buyer=pharmacy)
    later = timezone.now() + timedelta(days=30)

    assert order_auto_receive_due(now=later, batch=1) == 1

    broken.refresh_from_db(), due.refresh_from_db()
    assert (broken.status, due.status) == ("in_transit", "received")


def test_other_organisations_never_see_the_chain(public):
    shipment = designated_shipment(public)
    record(public, shipment, issuer=public.mah)
    outsider = OrganizationFactory(kind=OrganizationKind.HOSPITAL)

    assert public.client(outsider).get(chain_url(shipment)).status_code == 404
    assert public.client(public.other).get(chain_url(shipment)).status_code == 404
    assert public.client(public.other).post(first_invoices_url(shipment), {}, format="json").status_code in (400, 404)
    body = {
        "number": invoice_number(),
        "issue_date": str(TODAY()),
        "amount": "1.00",
        "issuer_id": public.mah.pk,
        "shipment_line_ids": [shipment.lines.get().pk],
    }
    assert public.client(public.other).post(first_invoices_url(shipment), body, format="json").status_code == 404
    # the buyer reads the chain but records nothing in it
    assert public.client(public.hospital).post(first_invoices_url(shipment), body, format="json").status_code == 403
    assert admin_client().get(chain_url(shipment)).status_code == 200


def test_a_registration_not_verified_is_seen_by_its_parties_only(public):
    registered = (
        public.client(public.mah)
        .post(
            SOLE_SELLERS,
            {"kind": "sole_sales_company", "seller_id": public.distributor.pk},
            format="json",
        )
        .json()
    )
    url = f"{SOLE_SELLERS}{registered['id']}/"

    assert public.client(public.other).get(url).status_code == 404
    assert public.client(public.distributor).get(url).status_code == 200  # the seller named
    assert OutboxEvent.objects.filter(
        event_type="sole_seller.registered", organization_id=public.distributor.pk
    ).exists()
    admin_client().post(f"{url}verify/", {}, format="json")
    assert public.client(public.other).get(url).status_code == 200  # verified: a public fact


def test_a_registration_of_a_seller_off_the_platform_is_seen_by_its_manufacturer_only_until_verified(public):
    off_platform = {"seller_name": "海南独家销售有限公司", "seller_uscc": valid_uscc(9071)}
    registered = public.client(public.mah).post(
        SOLE_SELLERS, {"kind": "sole_sales_company", **off_platform}, format="json"
    )
    assert registered.status_code == 201, registered.json()
    url = f"{SOLE_SELLERS}{registered.json()['id']}/"

    assert public.client(public.mah).get(url).status_code == 200
    # no seller on the platform and no organisation acting: neither names a party of it
    for stranger in (public.client(public.other), client_for(UserFactory())):
        assert stranger.get(url).status_code == 404
        assert stranger.get(SOLE_SELLERS).json()["results"] == []


def test_the_sole_seller_on_the_platform_ships_with_one_invoice(public):
    seller = SoleSeller.objects.create(
        manufacturer=public.mah,
        kind="sole_sales_company",
        seller=public.other,
        seller_name=public.other.legal_name,
        seller_uscc=public.other.uscc,
        registered_by="test",
    )
    admin_client().post(f"{SOLE_SELLERS}{seller.pk}/verify/", {}, format="json")
    from procurement.models import DeliveryDesignation

    DeliveryDesignation.objects.create(
        manufacturer=public.mah,
        distributor=public.other,
        drug=public.drug,
        valid_from=TODAY(),
        status="accepted",
        accepted_at=timezone.now(),
    ).buyers.set([public.hospital])
    shipment = shipped(public, supplier=public.other, offer=public.other_offer, buyer=public.hospital)

    assert public.client(public.hospital).get(chain_url(shipment)).json()["applies"] is False
    assert receive(public.client(public.hospital), shipment).status_code == 200


def test_registration_rules(public):
    mah = public.client(public.mah)
    # only one in force per manufacturer (and per drug)
    first = mah.post(SOLE_SELLERS, {"kind": "sole_sales_company", "seller_id": public.distributor.pk}, format="json")
    assert first.status_code == 201
    again = mah.post(SOLE_SELLERS, {"kind": "sole_sales_company", "seller_id": public.other.pk}, format="json")
    assert again.status_code == 400
    assert again.json()["errors"][0]["code"] == "sole_seller_exists"
    # a national agent is named for one imported drug
    domestic = mah.post(
        SOLE_SELLERS,
        {"kind": "sole_national_agent", "drug_id": public.drug.pk, "seller_id": public.other.pk},
        format="json",
    )
    assert domestic.status_code == 400
    assert "not_an_imported_drug" in {e["code"] for e in domestic.json()["errors"]}
    imported = DrugFactory(mah_organization=public.mah, approval_number="H20180001")
    assert imported.approval_format == ApprovalFormat.IMPORT_LICENSE
    agent = mah.post(
        SOLE_SELLERS,
        {"kind": "sole_national_agent", "drug_id": imported.pk, "seller_id": public.other.pk},
        format="json",
    )
    assert agent.status_code == 201, agent.json()
    # a distributor registers nothing for a manufacturer; a bad code is named
    assert (
        public.client(public.distributor)
        .post(SOLE_SELLERS, {"kind": "sole_sales_company", "seller_id": public.other.pk}, format="json")
        .status_code
        == 400
    )
    bad = mah.post(
        SOLE_SELLERS,
        {"kind": "sole_sales_company", "drug_id": public.drug.pk, "seller_name": "x", "seller_uscc": "123"},
        format="json",
    )
    assert bad.status_code == 400
    assert "uscc_format" in {e["code"] for e in bad.json()["errors"]}


def test_an_undesignated_distributor_is_refused_by_the_gate_before_any_chain(public):
    # combined with the gate's existing reasons: the delivery-enterprise rule refuses the order itself
    refused = place(public.client(public.hospital), (public.offer.pk, 5))
    assert refused.status_code == 422 or refused.status_code == 409, refused.json()
    assert "delivery_enterprise_not_designated" in {e["code"] for e in refused.json()["errors"]}
    # designated, the order passes the gate and the chain is what receipt checks
    shipment = designated_shipment(public)
    assert refused_codes(receive(public.client(public.hospital), shipment)) == ["first_invoice_missing"]


def test_a_platform_admin_registers_for_a_manufacturer_and_verifies_in_the_admin_site(public, client):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    registered = admin_client().post(
        SOLE_SELLERS,
        {"kind": "sole_sales_company", "seller_id": public.other.pk, "manufacturer_id": public.mah.pk},
        format="json",
    )
    assert registered.status_code == 201, registered.json()
    assert registered.json()["manufacturer"] == public.mah.pk
    # a member names no other manufacturer
    other = public.client(public.mah).post(
        SOLE_SELLERS,
        {"kind": "sole_sales_company", "seller_id": public.other.pk, "manufacturer_id": public.other.pk},
        format="json",
    )
    assert other.status_code == 403

    staff = UserFactory(email="root@platform.test", staff_role="admin", is_staff=True, is_superuser=True)
    client.force_login(staff)
    listed = client.get("/admin/procurement/soleseller/")
    assert listed.status_code == 200
    client.post(
        "/admin/procurement/soleseller/",
        {"action": "verify_selected", ACTION_CHECKBOX_NAME: [registered.json()["id"]]},
    )

    seller = SoleSeller.objects.get(pk=registered.json()["id"])
    assert seller.status == "verified"
    assert seller.status_changes.get().actor == "root@platform.test"
    assert AuditEvent.objects.filter(action="sole_seller.verify", actor_label="root@platform.test").exists()
    for page in ("/admin/procurement/upstreaminvoice/", "/admin/procurement/remotearea/add/"):
        assert client.get(page).status_code == 200


def test_a_first_invoice_is_refused_with_every_problem_named(public):
    shipment = designated_shipment(public)
    body = {
        "number": "26990000000000000001",  # 99 is no province
        "issue_date": str(TODAY() + timedelta(days=2)),
        "amount": "10.00",
        "issuer_name": "某医药",
        "issuer_uscc": "91460000000000000X",  # a wrong check character
        "shipment_line_ids": [shipment.lines.get().pk, 999999],
    }

    refused = public.client(public.distributor).post(first_invoices_url(shipment), body, format="json")

    assert refused.status_code == 400, refused.json()
    assert {(e["field"], e["code"]) for e in refused.json()["errors"]} >= {
        ("number", "invoice_number_invalid"),
        ("issue_date", "in_the_future"),
        ("shipment_line_ids", "unknown_line"),
    }
    assert any(e["field"] == "issuer_uscc" for e in refused.json()["errors"])
    assert not shipment.upstream_invoices.exists()
    # the same invoice twice on a shipment
    number = invoice_number()
    assert record(public, shipment, issuer=public.mah, number=number).status_code == 201
    again = record(public, shipment, issuer=public.mah, number=number)
    assert again.status_code == 400
    assert again.json()["errors"][0]["code"] == "invoice_number_used"


def test_a_rejected_registration_keeps_its_history(public):
    registered = (
        public.client(public.mah)
        .post(SOLE_SELLERS, {"kind": "sole_sales_company", "seller_id": public.other.pk}, format="json")
        .json()
    )
    url = f"{SOLE_SELLERS}{registered['id']}/"

    rejected = admin_client().post(f"{url}reject/", {"note": "授权书缺失"}, format="json")

    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    history = public.client(public.mah).get(f"{url}history/").json()["results"]
    assert [(h["action"], h["from_status"], h["to_status"], h["note"]) for h in history] == [
        ("reject", "pending", "rejected", "授权书缺失")
    ]
    assert OutboxEvent.objects.filter(event_type="sole_seller.rejected", organization_id=public.mah.pk).exists()
    assert public.client(public.mah).post(f"{url}revoke/", {}, format="json").status_code == 409
    # a new registration may follow the rejected one
    assert (
        public.client(public.mah)
        .post(SOLE_SELLERS, {"kind": "sole_sales_company", "seller_id": public.other.pk}, format="json")
        .status_code
        == 201
    )


def test_the_desk_finds_an_upstream_invoice_by_what_is_on_it_through_indexes(public, client):
    # Upstream invoices come with every shipment to a public institution: the admin site's search reads them by a
    # whole number or credit code, by the order they came with, or by part of a party's name among the
    # organisations, never by matching text over every invoice recorded.
    shipment = designated_shipment(public)
    recorded = record(public, shipment, issuer=public.mah).json()
    invoice = UpstreamInvoice.objects.get(pk=recorded["id"])
    client.force_login(UserFactory(email="desk@platform.test", staff_role="admin", is_staff=True, is_superuser=True))
    for term in [
        invoice.number,
        shipment.order.number,
        invoice.issuer_uscc,
        invoice.recipient_uscc,
        public.mah.legal_name[-4:],
        public.distributor.legal_name[-4:],
    ]:
        with CaptureQueriesContext(connection) as queries:
            page = client.get("/admin/procurement/upstreaminvoice/", {"q": term})
        assert page.status_code == 200
        assert [row.pk for row in page.context["cl"].result_list] == [invoice.pk], term
        for sql in [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]:
            full_reads = [line for line in plans.plan(sql).splitlines() if "Seq Scan on" in line]
            assert all("accounts_organization" in line for line in full_reads), (term, sql, full_reads)
    for term in ["不存在的医药公司", "9" * 30, "'; DROP TABLE procurement_upstreaminvoice; --"]:
        assert list(client.get("/admin/procurement/upstreaminvoice/", {"q": term}).context["cl"].result_list) == []
    assert UpstreamInvoice.objects.count() == 1
