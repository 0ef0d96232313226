"""Shipping, receiving, traceability codes, trace lookups and recalls (SPEC §5)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.choices import MemberRole
from catalog.models import Offer
from orders.models import Order, SuspectedDiversion, TraceCode
from orders.services import order_auto_receive_due
from pharmex.choices import StaffRole
from tests.conftest import client_for
from tests.factories import MembershipFactory, OfferFactory, OrganizationFactory, UserFactory
from tests.orders.conftest import place

pytestmark = pytest.mark.django_db


def code(n: int) -> str:
    return f"8{n:019d}"


@pytest.fixture
def confirmed(market):
    order_id = place(market.buyer_client(), (market.offer.pk, 5)).json()["id"]
    assert market.supplier_client().post(f"/api/v1/orders/{order_id}/confirm/", {}, format="json").status_code == 200
    return Order.objects.get(pk=order_id)


def shipment(order, quantity=5, codes=(), lot="L2026A", expiry_days=400, **extra):
    line = order.lines.get()
    return {
        "carrier": "顺丰速运",
        "tracking_number": "SF1234567890",
        "invoice_numbers": ["24460000000012345678"],
        "invoice_amount": "61.75",
        "lines": [
            {
                "order_line_id": line.pk,
                "lot_number": lot,
                "quantity": quantity,
                "expiry_date": (timezone.localdate() + timedelta(days=expiry_days)).isoformat(),
                "trace_codes": list(codes),
            }
        ],
        **extra,
    }


def ship(market, order, body):
    return market.supplier_client().post(f"/api/v1/orders/{order.pk}/ship/", body, format="json")


def receive(market, order, body):
    return market.buyer_client().post(f"/api/v1/orders/{order.pk}/receive/", body, format="json")


def test_a_short_shipment_returns_the_shortfall_to_stock(market, confirmed):
    assert Offer.objects.get(pk=market.offer.pk).stock == 95
    response = ship(market, confirmed, shipment(confirmed, quantity=3, codes=[code(1), code(2)]))
    assert response.status_code == 200, response.json()
    line = response.json()["lines"][0]
    assert (response.json()["status"], line["quantity"], line["shipped_quantity"]) == ("shipped", 5, 3)
    assert Offer.objects.get(pk=market.offer.pk).stock == 97
    event = confirmed.events.get(action="ship")
    assert event.data["short"] == {str(line["id"]): 2}


def test_expiry_must_leave_the_buyers_minimum_shelf_life(market, confirmed):
    market.buyer.min_shelf_life_days = 365
    market.buyer.save()
    response = ship(market, confirmed, shipment(confirmed, expiry_days=300))
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "shelf_life_too_short"
    confirmed.refresh_from_db()
    assert confirmed.status == "confirmed"


def test_a_trace_code_ships_once_on_the_whole_platform(market, confirmed):
    assert ship(market, confirmed, shipment(confirmed, codes=[code(7)])).status_code == 200

    # another order, another supplier even, tries the same code
    other_supplier = OrganizationFactory()
    offer = OfferFactory(supplier=other_supplier, drug=market.offer.drug)
    operator = MembershipFactory(organization=other_supplier, role=MemberRole.OPERATOR).user
    order_id = place(market.buyer_client(), (offer.pk, 2)).json()["id"]
    client = client_for(operator)
    client.post(f"/api/v1/orders/{order_id}/confirm/", {}, format="json")
    order = Order.objects.get(pk=order_id)
    response = client.post(
        f"/api/v1/orders/{order_id}/ship/", shipment(order, quantity=2, codes=[code(7), code(8)]), format="json"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_trace_code"
    order.refresh_from_db()
    assert order.status == "confirmed"
    assert not TraceCode.objects.filter(code=code(8)).exists()
    flag = SuspectedDiversion.objects.get()
    assert (flag.code, flag.attempted_order_id) == (code(7), order.pk)
    from webhooks.models import OutboxEvent

    announced = OutboxEvent.objects.get(event_type="trace.duplicate_code")
    assert (announced.organization_id, announced.payload["codes"]) == (other_supplier.pk, [code(7)])


def test_invalid_codes_and_too_many_codes_are_refused(market, confirmed):
    response = ship(market, confirmed, shipment(confirmed, quantity=1, codes=[code(1), code(2)]))
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]] == ["too_many_codes"]
    bad = ship(market, confirmed, shipment(confirmed, codes=["12345"]))
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "lines[0].trace_codes[0]"


def test_receipt_buckets_add_up_and_the_scan_difference_is_returned(market, confirmed):
    ship(market, confirmed, shipment(confirmed, codes=[code(1), code(2), code(3)]))
    line = confirmed.lines.get()
    refused = receive(
        market, confirmed, {"lines": [{"order_line_id": line.pk, "accepted_quantity": 4, "rejected_quantity": 0}]}
    )
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["code"] == "quantities_do_not_add_up"
    no_reason = receive(
        market, confirmed, {"lines": [{"order_line_id": line.pk, "accepted_quantity": 4, "rejected_quantity": 1}]}
    )
    assert no_reason.json()["errors"][0]["field"] == "lines[0].rejection_reason"

    response = receive(
        market,
        confirmed,
        {
            "lines": [
                {
                    "order_line_id": line.pk,
                    "accepted_quantity": 4,
                    "rejected_quantity": 1,
                    "rejection_reason": "damaged",
                }
            ],
            "scanned_codes": [code(1), code(3), code(99)],
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["scan_difference"] == {"missing": [code(2)], "extra": [], "unknown": [code(99)]}
    received_line = body["order"]["lines"][0]
    assert (
        received_line["shipped_quantity"],
        received_line["accepted_quantity"],
        received_line["rejected_quantity"],
        received_line["rejection_reason"],
    ) == (5, 4, 1, "damaged")
    assert (body["order"]["status"], body["order"]["accepted_gross"]) == ("received", "49.40")


def test_shipped_orders_are_received_in_full_after_auto_receive_days(market, confirmed, settings):
    ship(market, confirmed, shipment(confirmed))
    with time_machine.travel(timezone.now() + settings.AUTO_RECEIVE_AFTER + timedelta(hours=1)):
        assert order_auto_receive_due() == 1
        assert order_auto_receive_due() == 0
    confirmed.refresh_from_db()
    line = confirmed.lines.get()
    assert (confirmed.status, line.accepted_quantity, line.rejected_quantity) == ("received", 5, 0)
    assert confirmed.accepted_gross == confirmed.total_gross


def test_trace_lookup_is_for_the_parties_and_staff_only(market, confirmed):
    ship(market, confirmed, shipment(confirmed, codes=[code(5)]))
    expected = market.buyer_client().get(f"/api/v1/trace/{code(5)}/")
    assert expected.status_code == 200
    body = expected.json()
    assert (body["lot_number"], body["order_number"], body["buyer"]["id"], body["supplier"]["id"]) == (
        "L2026A",
        confirmed.number,
        market.buyer.pk,
        market.supplier.pk,
    )
    assert market.supplier_client().get(f"/api/v1/trace/{code(5)}/").status_code == 200
    admin = UserFactory(staff_role=StaffRole.ADMIN, is_staff=True)
    assert client_for(admin).get(f"/api/v1/trace/{code(5)}/").status_code == 200
    stranger = MembershipFactory(organization=OrganizationFactory()).user
    assert client_for(stranger).get(f"/api/v1/trace/{code(5)}/").status_code == 404
    assert market.buyer_client().get(f"/api/v1/trace/{code(6)}/").status_code == 404


def test_a_recall_lists_the_affected_and_blocks_the_lots(market, confirmed):
    from webhooks.models import OutboxEvent

    ship(market, confirmed, shipment(confirmed, lot="BAD-LOT"))
    admin = UserFactory(staff_role=StaffRole.ADMIN, is_staff=True)
    response = client_for(admin).post(
        "/api/v1/recalls/",
        {
            "drug": market.offer.drug_id,
            "lots": ["BAD-LOT"],
            "level": "II",
            "reason": "溶出度不合格",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    recall_id = response.json()["id"]
    affected = market.buyer_client().get(f"/api/v1/recalls/{recall_id}/affected/").json()["results"]
    assert [(a["order_number"], a["lot_number"], a["quantity"]) for a in affected] == [(confirmed.number, "BAD-LOT", 5)]
    event = OutboxEvent.objects.get(event_type="recall.issued")
    assert event.organization_id == market.buyer.pk

    # the recalled lot can no longer be shipped
    order_id = place(market.buyer_client(), (market.offer.pk, 1)).json()["id"]
    market.supplier_client().post(f"/api/v1/orders/{order_id}/confirm/", {}, format="json")
    order = Order.objects.get(pk=order_id)
    refused = ship(market, order, shipment(order, quantity=1, lot="BAD-LOT"))
    assert refused.status_code == 409
    assert refused.json()["code"] == "recalled_lot"


def test_only_admins_issue_recalls(market):
    response = market.supplier_client().post(
        "/api/v1/recalls/", {"drug": market.offer.drug_id, "lots": ["X"], "level": "I", "reason": "r"}, format="json"
    )
    assert response.status_code == 403


def test_a_receipt_giving_the_same_line_twice_is_refused(market, confirmed):
    ship(market, confirmed, shipment(confirmed))
    line = confirmed.lines.get()
    twice = {
        "lines": [
            {"order_line_id": line.pk, "accepted_quantity": 5, "rejected_quantity": 0},
            {"order_line_id": line.pk, "accepted_quantity": 0, "rejected_quantity": 5, "rejection_reason": "damaged"},
        ]
    }

    response = receive(market, confirmed, twice)

    assert (response.status_code, response.json()["errors"]) == (
        400,
        [
            {
                "field": "lines[1].order_line_id",
                "code": "duplicate_line",
                "message": f"Line {line.pk} is already given at lines[0].",
            }
        ],
    )
    confirmed.refresh_from_db()
    assert confirmed.status == "shipped"
