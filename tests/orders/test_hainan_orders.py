"""Hainan customs on orders (SPEC §4a): line snapshots, Lecheng approvals taken and given back, the second-line
declaration before shipping, custody of special-licensed drugs ending at the institution."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.choices import MemberRole, OrganizationKind
from catalog.choices import CustomsStatus
from catalog.models import LechengApproval
from orders.models import Order, Return, SecondLineDeclaration, Shipment
from orders.services import order_expire_due
from pharmex.models import AuditEvent
from tests.conftest import client_for
from tests.factories import MembershipFactory, OfferFactory, OrganizationFactory
from tests.orders.conftest import place
from tests.orders.hainan import approval, lecheng_institution, special_offer
from tests.orders.returns import receive_back, request_return, step
from tests.orders.shipping import first_invoice, item, receipt, receive, ship, shipment_body
from tests.orders.test_amendments import amend
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db


def operator(organization):
    return client_for(MembershipFactory(organization=organization, role=MemberRole.OPERATOR).user)


@pytest.fixture
def supplier(db):
    return OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR)


@pytest.fixture
def lecheng(supplier):
    institution = lecheng_institution()
    offer = special_offer(supplier, stock=100)
    return institution, offer, approval(institution, offer.drug, quantity=10)


def used(approval_row: LechengApproval) -> int:
    return LechengApproval.objects.get(pk=approval_row.pk).used


# --- snapshots and the approval's quantity ----------------------------------------------------------------------


def test_a_lecheng_order_snapshots_the_customs_status_and_takes_the_approved_quantity(supplier, lecheng):
    institution, offer, taken = lecheng

    response = place(operator(institution), (offer.pk, 4))

    assert response.status_code == 201, response.json()
    (line,) = response.json()["lines"]
    assert (line["customs_status"], line["second_line"], line["lecheng_approval"]) == (
        "lecheng_special",
        False,
        taken.pk,
    )
    assert used(taken) == 4
    assert Order.objects.get().lines.get().customs_status == CustomsStatus.LECHENG_SPECIAL


@pytest.mark.parametrize("ending", ["cancel", "reject", "expire"])
def test_ending_a_placed_order_gives_the_approved_quantity_back(supplier, lecheng, ending):
    institution, offer, taken = lecheng
    order_id = place(operator(institution), (offer.pk, 6)).json()["id"]
    assert used(taken) == 6

    if ending == "cancel":
        assert operator(institution).post(f"/api/v1/orders/{order_id}/cancel/", {}, format="json").status_code == 200
    elif ending == "reject":
        rejected = operator(supplier).post(f"/api/v1/orders/{order_id}/reject/", {"note": "缺货"}, format="json")
        assert rejected.status_code == 200
    else:
        assert order_expire_due(now=timezone.now() + timedelta(days=30)) == 1

    assert used(taken) == 0
    assert Order.objects.get(pk=order_id).status in {"cancelled", "rejected", "expired"}
    # … and the quantity can be ordered again in full
    assert place(operator(institution), (offer.pk, 10)).status_code == 201
    assert used(taken) == 10


def test_an_order_past_the_remaining_quantity_is_refused_and_changes_nothing(supplier, lecheng):
    institution, offer, taken = lecheng
    assert place(operator(institution), (offer.pk, 7)).status_code == 201

    response = place(operator(institution), (offer.pk, 4))

    assert response.status_code == 409
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("lines[0].quantity", "lecheng_quantity_exceeded")
    ]
    assert (used(taken), Order.objects.count()) == (7, 1)


def test_two_lines_of_one_drug_cannot_together_exceed_the_approval(lecheng):
    institution, offer, taken = lecheng
    other_supplier = OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR)
    second = special_offer(other_supplier, drug=offer.drug, stock=100)
    client = client_for(MembershipFactory(organization=institution, role=MemberRole.OPERATOR).user)

    response = client.post(
        "/api/v1/checkout/",
        {"lines": [{"offer_id": offer.pk, "quantity": 6}, {"offer_id": second.pk, "quantity": 6}]},
        format="json",
    )

    assert response.status_code == 409, response.json()
    assert {e["code"] for e in response.json()["errors"]} == {"lecheng_quantity_exceeded"}
    assert (used(taken), Order.objects.count()) == (0, 0)


def test_a_lecheng_institution_cannot_ship_special_licensed_units_onward(supplier, lecheng):
    institution, offer, _ = lecheng
    order_id = place(operator(institution), (offer.pk, 2)).json()["id"]
    order = Order.objects.get(pk=order_id)
    assert operator(supplier).post(f"/api/v1/orders/{order_id}/confirm/", {}, format="json").status_code == 200
    # the supplier became a designated institution since (an admin verified it): custody would end with it
    supplier.lecheng_designation_number = "琼卫医政〔2026〕88号"
    supplier.lecheng_verified_at = timezone.now()
    supplier.save()

    response = ship(operator(supplier), order, shipment_body(order))

    assert response.status_code == 409
    assert [e["code"] for e in response.json()["errors"]] == ["lecheng_custody_ends"]


# --- the second line --------------------------------------------------------------------------------------------


@pytest.fixture
def second_line_order(supplier):
    buyer = OrganizationFactory(kind=OrganizationKind.PHARMACY, province_code="440000")
    offer = OfferFactory(supplier=supplier, customs_status=CustomsStatus.ZERO_TARIFF, second_line_clearance=True)
    response = place(operator(buyer), (offer.pk, 3))
    assert response.status_code == 201, response.json()
    assert response.json()["lines"][0]["second_line"] is True
    order = Order.objects.get(pk=response.json()["id"])
    assert operator(supplier).post(f"/api/v1/orders/{order.pk}/confirm/", {}, format="json").status_code == 200
    return order


def test_a_second_line_order_does_not_ship_without_its_declaration(supplier, second_line_order):
    order = second_line_order

    refused = ship(operator(supplier), order, shipment_body(order))

    assert refused.status_code == 409
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [("order", "second_line_declaration_missing")]
    order.refresh_from_db()
    assert (order.status, order.shipments.count()) == ("confirmed", 0)


def test_a_second_line_order_ships_once_its_declaration_number_and_duty_are_recorded(supplier, second_line_order):
    order = second_line_order
    client = operator(supplier)

    declared = client.post(
        f"/api/v1/orders/{order.pk}/second-line-declaration/",
        {"declaration_number": "460120260000012345", "duty_amount": "3.75"},
        format="json",
    )

    assert declared.status_code == 201, declared.json()
    body = declared.json()
    assert (body["order"], body["declaration_number"], body["duty_amount"], body["currency"]) == (
        order.pk,
        "460120260000012345",
        "3.75",
        "CNY",
    )
    assert AuditEvent.objects.filter(action="order.second_line_declared", object_id=str(order.pk)).count() == 1
    announced = OutboxEvent.objects.filter(event_type="order.second_line_declared", object_id=str(order.pk))
    assert sorted(announced.values_list("organization_id", flat=True)) == sorted([order.buyer_id, order.supplier_id])
    assert {(e.payload["declaration_number"], e.payload["duty_amount"]) for e in announced} == {
        ("460120260000012345", "3.75")
    }
    assert client.get(f"/api/v1/orders/{order.pk}/second-line-declaration/").json() == body
    shipped = ship(client, order, shipment_body(order))
    assert shipped.status_code == 200, shipped.json()
    assert shipped.json()["status"] == "shipped"


def test_the_declaration_is_recorded_once_by_the_supplier_and_only_for_second_line_orders(
    supplier, second_line_order, market
):
    order = second_line_order
    body = {"declaration_number": "460120260000012345", "duty_amount": "0.00"}
    buyer_client = client_for(order.buyer.memberships.first().user)

    assert (
        buyer_client.post(f"/api/v1/orders/{order.pk}/second-line-declaration/", body, format="json").status_code == 403
    )
    assert (
        operator(supplier).post(f"/api/v1/orders/{order.pk}/second-line-declaration/", body, format="json").status_code
        == 201
    )
    again = operator(supplier).post(f"/api/v1/orders/{order.pk}/second-line-declaration/", body, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "second_line_not_needed")

    island_order = place(market.buyer_client(), (market.offer.pk, 1)).json()["id"]
    plain = market.supplier_client().post(
        f"/api/v1/orders/{island_order}/second-line-declaration/", body, format="json"
    )
    assert (plain.status_code, plain.json()["code"]) == (409, "second_line_not_needed")
    negative = operator(supplier).post(
        f"/api/v1/orders/{order.pk}/second-line-declaration/", {**body, "duty_amount": "-1.00"}, format="json"
    )
    assert negative.status_code == 400
    assert SecondLineDeclaration.objects.count() == 1


def test_value_added_exempt_goods_for_the_mainland_also_ship_with_a_zero_duty_declaration(supplier):
    buyer = OrganizationFactory(kind=OrganizationKind.PHARMACY, province_code="440000")
    offer = OfferFactory(
        supplier=supplier,
        customs_status=CustomsStatus.ZERO_TARIFF,
        value_added_certificate_number="HN-VA-2026-001",
        value_added_verified_at=timezone.now(),
    )
    order_id = place(operator(buyer), (offer.pk, 2)).json()["id"]
    order = Order.objects.get(pk=order_id)
    client = operator(supplier)
    assert client.post(f"/api/v1/orders/{order_id}/confirm/", {}, format="json").status_code == 200
    assert ship(client, order, shipment_body(order)).status_code == 409

    client.post(
        f"/api/v1/orders/{order_id}/second-line-declaration/",
        {"declaration_number": "460120260000054321", "duty_amount": "0.00"},
        format="json",
    )

    assert ship(client, order, shipment_body(order)).status_code == 200
    assert SecondLineDeclaration.objects.get(order=order).duty_amount == Decimal("0.00")


def test_units_the_supplier_closes_instead_of_shipping_go_back_to_the_approval(supplier, lecheng):
    institution, offer, taken = lecheng
    order = Order.objects.get(pk=place(operator(institution), (offer.pk, 5)).json()["id"])
    client = operator(supplier)
    assert client.post(f"/api/v1/orders/{order.pk}/confirm/", {}, format="json").status_code == 200
    line = order.lines.get()

    assert ship(client, order, shipment_body(order, item(line, 2))).status_code == 200
    closed = client.post(f"/api/v1/orders/{order.pk}/close/", {"note": "缺货"}, format="json")

    assert closed.status_code == 200, closed.json()
    assert used(taken) == 2  # the 3 closed units were never delivered


def test_the_checkout_preview_reports_the_customs_reasons_with_the_others(supplier, lecheng):
    institution, offer, _ = lecheng
    bonded = OfferFactory(supplier=supplier, customs_status=CustomsStatus.BONDED, min_order_quantity=2)

    response = operator(institution).post(
        "/api/v1/checkout/preview/",
        {"lines": [{"offer_id": offer.pk, "quantity": 11}, {"offer_id": bonded.pk, "quantity": 1}]},
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["eligible"] is False
    assert [[(r["field"], r["code"]) for r in line["reasons"]] for line in body["lines"]] == [
        [("lines[0].quantity", "lecheng_quantity_exceeded")],
        [("lines[1].quantity", "below_minimum_quantity"), ("lines[1].offer_id", "bonded_not_entered")],
    ]


def test_units_a_lecheng_institution_returns_go_back_to_the_approval(supplier, lecheng):
    institution, offer, taken = lecheng
    buyer, seller = operator(institution), operator(supplier)
    order = Order.objects.get(pk=place(buyer, (offer.pk, 5)).json()["id"])
    assert seller.post(f"/api/v1/orders/{order.pk}/confirm/", {}, format="json").status_code == 200
    assert ship(seller, order, shipment_body(order, item(order.lines.get(), 5))).status_code == 200
    shipment = Shipment.objects.get(order=order)
    assert first_invoice(seller, shipment).status_code == 201  # a public institution: the two-invoice chain
    assert receive(buyer, shipment, receipt(shipment)).status_code == 200
    assert used(taken) == 5

    asked = request_return(buyer, order, shipment, 2)
    assert asked.status_code == 201, asked.json()
    assert step(seller, asked.json()["id"], "approve").status_code == 200
    assert (
        step(buyer, asked.json()["id"], "ship-back", {"carrier": "顺丰速运", "tracking_number": "SF1"}).status_code
        == 200
    )
    back = receive_back(seller, Return.objects.get(pk=asked.json()["id"]), rejected=1)

    assert back.status_code == 200, back.json()
    assert used(taken) == 4  # the one unit the supplier accepted back; the rejected one stays the institution's


def test_an_amendment_moves_the_approved_quantity_with_the_line(supplier, lecheng):
    institution, offer, taken = lecheng  # 10 approved
    buyer = operator(institution)
    order = Order.objects.get(pk=place(buyer, (offer.pk, 5)).json()["id"])

    assert amend(buyer, order, [(offer.pk, 8)]).status_code == 200
    assert used(taken) == 8  # the order's own 5 count as its own: 3 more were taken, not 8
    refused = amend(buyer, order, [(offer.pk, 11)])
    assert refused.status_code == 409, refused.json()
    assert {error["code"] for error in refused.json()["errors"]} == {"lecheng_quantity_exceeded"}
    assert used(taken) == 8
    assert amend(buyer, order, [(offer.pk, 2)]).status_code == 200
    assert used(taken) == 2


def test_a_line_confirmed_in_part_gives_the_rest_back_to_the_approval(supplier, lecheng):
    institution, offer, taken = lecheng
    order = Order.objects.get(pk=place(operator(institution), (offer.pk, 5)).json()["id"])
    body = {"lines": [{"line_no": 1, "quantity": 3, "reason": "库存不足"}]}

    confirmed = operator(supplier).post(f"/api/v1/orders/{order.pk}/confirm/", body, format="json")

    assert confirmed.status_code == 200, confirmed.json()
    assert used(taken) == 3
