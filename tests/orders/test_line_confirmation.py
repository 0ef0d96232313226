"""Line-level confirmation (部分确认, SPEC §5, issue 21): each line in full, in part or rejected with a reason; what
is not accepted goes back to stock; every line rejected rejects the order; the buyer is told what changed and why."""

from decimal import Decimal

import pytest

from catalog.models import Offer
from orders.models import Order
from pharmex.models import AuditEvent
from tests.factories import DrugFactory, OfferFactory
from tests.orders.conftest import place
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def offers(market) -> list[Offer]:
    second = OfferFactory(
        supplier=market.supplier, drug=DrugFactory(generic_name="布洛芬缓释胶囊"), unit_price=Decimal("8.80"), stock=50
    )
    third = OfferFactory(
        supplier=market.supplier, drug=DrugFactory(generic_name="头孢克肟片"), unit_price=Decimal("20.00"), stock=30
    )
    return [market.offer, second, third]


@pytest.fixture
def placed(market, offers) -> Order:
    response = place(market.buyer_client(), (offers[0].pk, 10), (offers[1].pk, 10), (offers[2].pk, 5))
    assert response.status_code == 201, response.json()
    return Order.objects.get(pk=response.json()["id"])


def confirm(client, order, body):
    return client.post(f"/api/v1/orders/{order.pk}/confirm/", body, format="json")


def stocks(offers) -> list[int]:
    return [Offer.objects.get(pk=offer.pk).stock for offer in offers]


def test_each_line_in_full_in_part_or_rejected(market, offers, placed):
    assert stocks(offers) == [90, 40, 25]
    body = {
        "note": "部分确认",
        "lines": [
            {"line_no": 2, "quantity": 6, "reason": "库存不足"},
            {"line_no": 3, "quantity": 0, "reason": "停产"},
        ],
    }

    response = confirm(market.supplier_client(), placed, body)

    assert response.status_code == 200, response.json()
    order = response.json()
    assert order["status"] == "confirmed"
    assert [
        (
            line["line_no"],
            line["requested_quantity"],
            line["quantity"],
            line["confirmation"],
            line["confirmation_reason"],
            line["line_gross"],
            line["line_tax"],
        )
        for line in order["lines"]
    ] == [
        (1, 10, 10, "full", "", "123.50", "14.21"),
        (2, 10, 6, "partial", "库存不足", "52.80", "6.07"),
        (3, 5, 0, "rejected", "停产", "0.00", "0.00"),
    ]
    assert (order["total_gross"], order["total_tax"]) == ("176.30", "20.28")  # sums of the lines
    assert stocks(offers) == [90, 44, 30]  # the 4 and the 5 not accepted went back
    changed = [
        {
            "line_no": 2,
            "offer_id": offers[1].pk,
            "drug_name": "布洛芬缓释胶囊",
            "confirmation": "partial",
            "requested_quantity": 10,
            "accepted_quantity": 6,
            "reason": "库存不足",
        },
        {
            "line_no": 3,
            "offer_id": offers[2].pk,
            "drug_name": "头孢克肟片",
            "confirmation": "rejected",
            "requested_quantity": 5,
            "accepted_quantity": 0,
            "reason": "停产",
        },
    ]
    event = Order.objects.get(pk=placed.pk).events.get(action="confirm")
    assert (event.to_status, event.note, event.data) == ("confirmed", "部分确认", {"lines": changed})
    announced = OutboxEvent.objects.filter(event_type="order.confirmed")
    assert {e.organization_id for e in announced} == {market.buyer.pk, market.supplier.pk}
    assert all(e.payload["changed_lines"] == changed and e.payload["total_gross"] == "176.30" for e in announced)
    audit = AuditEvent.objects.get(action="order.confirm", object_id=str(placed.pk))
    assert (audit.organization_id, audit.changes["lines"]) == (market.supplier.pk, changed)


def test_whole_order_confirm_is_every_line_in_full(market, offers, placed):
    response = confirm(market.supplier_client(), placed, {})

    assert response.status_code == 200, response.json()
    assert [
        (line["quantity"], line["requested_quantity"], line["confirmation"]) for line in response.json()["lines"]
    ] == [
        (10, 10, "full"),
        (10, 10, "full"),
        (5, 5, "full"),
    ]
    assert response.json()["total_gross"] == "311.50"
    assert stocks(offers) == [90, 40, 25]
    assert OutboxEvent.objects.filter(event_type="order.confirmed").first().payload["changed_lines"] == []


def test_every_line_rejected_rejects_the_order_and_releases_everything(market, offers, placed):
    body = {"lines": [{"line_no": n, "quantity": 0, "reason": "缺货"} for n in (1, 2, 3)]}

    response = confirm(market.supplier_client(), placed, body)

    assert response.status_code == 200, response.json()
    order = response.json()
    assert order["status"] == "rejected"
    assert [(line["quantity"], line["confirmation"], line["confirmation_reason"]) for line in order["lines"]] == [
        (10, "rejected", "缺货"),
        (10, "rejected", "缺货"),
        (5, "rejected", "缺货"),
    ]
    assert stocks(offers) == [100, 50, 30]
    event = Order.objects.get(pk=placed.pk).events.get(action="reject")
    assert [(line["line_no"], line["accepted_quantity"], line["reason"]) for line in event.data["lines"]] == [
        (1, 0, "缺货"),
        (2, 0, "缺货"),
        (3, 0, "缺货"),
    ]
    assert OutboxEvent.objects.filter(event_type="order.rejected").count() == 2
    assert not OutboxEvent.objects.filter(event_type="order.confirmed").exists()


@pytest.mark.parametrize(
    ("lines", "errors"),
    [
        (
            [{"line_no": 9, "quantity": 1}],
            [{"field": "lines[0].line_no", "code": "unknown_line", "message": "The order has no line 9."}],
        ),
        (
            [{"line_no": 1, "quantity": 11, "reason": "x"}],
            [
                {
                    "field": "lines[0].quantity",
                    "code": "more_than_ordered",
                    "message": "The line is for 10; accept at most that.",
                }
            ],
        ),
        (
            [{"line_no": 1, "quantity": 4}],
            [
                {
                    "field": "lines[0].reason",
                    "code": "reason_required",
                    "message": "Say why the line is not accepted in full.",
                }
            ],
        ),
        (
            [{"line_no": 1, "quantity": 10}, {"line_no": 1, "quantity": 10}],
            [{"field": "lines[1].line_no", "code": "duplicate_line", "message": "Name each line once."}],
        ),
    ],
)
def test_a_decision_that_does_not_fit_the_order_is_a_400_and_changes_nothing(market, offers, placed, lines, errors):
    response = confirm(market.supplier_client(), placed, {"lines": lines})

    assert response.status_code == 400, response.json()
    assert response.json()["errors"] == errors
    order = Order.objects.get(pk=placed.pk)
    assert order.status == "placed"
    assert list(order.lines.values_list("quantity", "confirmation")) == [(10, ""), (10, ""), (5, "")]
    assert stocks(offers) == [90, 40, 25]


def test_a_partially_confirmed_order_ships_only_what_was_accepted(market, offers, placed):
    from tests.orders.shipping import item, receive, ship, shipment_body

    body = {
        "lines": [{"line_no": 2, "quantity": 6, "reason": "库存不足"}, {"line_no": 3, "quantity": 0, "reason": "停产"}]
    }
    assert confirm(market.supplier_client(), placed, body).status_code == 200
    order = Order.objects.get(pk=placed.pk)

    items = [item(line, line.quantity) for line in order.lines.all() if line.quantity]
    response = ship(market.supplier_client(), order, shipment_body(order, *items))

    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "shipped"
    shipment = order.shipments.get()
    assert sorted(shipment.lines.values_list("quantity", flat=True)) == [6, 10]
    assert receive(market.buyer_client(), shipment).status_code == 200
    order.refresh_from_db()
    assert (order.status, order.accepted_gross, order.total_gross) == ("received", Decimal("176.30"), Decimal("176.30"))
    assert stocks(offers) == [90, 44, 30]
