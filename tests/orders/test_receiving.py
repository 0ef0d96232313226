"""Receipt (入库验收) per shipment: buckets that add up, rejected codes, the v1 order receipt, auto-receipt."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from orders.models import Order, Shipment, TraceCode
from orders.services import order_auto_receive_due
from tests.orders.conftest import place
from tests.orders.shipping import code, item, receipt, receive, ship, shipment_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed(market):
    order_id = place(market.buyer_client(), (market.offer.pk, 5)).json()["id"]
    market.supplier_client().post(f"/api/v1/orders/{order_id}/confirm/", {}, format="json")
    return Order.objects.get(pk=order_id)


def shipped(market, order, *items) -> Shipment:
    response = ship(market.supplier_client(), order, shipment_body(order, *items))
    assert response.status_code == 200, response.json()
    return Shipment.objects.filter(order=order).latest("sequence")


def test_a_receipt_must_add_up_give_reasons_and_name_rejected_codes(market, confirmed):
    line = confirmed.lines.get()
    shipment = shipped(market, confirmed, item(line, 5, codes=[code(1), code(2), code(3)]))
    shipment_line = shipment.lines.get()
    client = market.buyer_client()

    short = receipt(shipment)
    short["lines"][0]["accepted_quantity"] = 4
    assert [e["code"] for e in receive(client, shipment, short).json()["errors"]] == ["quantities_do_not_add_up"]

    no_reason = receipt(shipment, rejected={shipment_line.pk: (1, [])})
    del no_reason["lines"][0]["rejection_reason"]
    assert receive(client, shipment, no_reason).json()["errors"][0]["field"] == "lines[0].rejection_reason"

    # 5 shipped, 3 coded: rejecting 3 must name at least one code (two units carry none)
    unnamed = receive(client, shipment, receipt(shipment, rejected={shipment_line.pk: (3, [])}))
    assert [e["code"] for e in unnamed.json()["errors"]] == ["rejected_codes_do_not_add_up"]
    foreign = receive(client, shipment, receipt(shipment, rejected={shipment_line.pk: (1, [code(9)])}))
    assert [e["code"] for e in foreign.json()["errors"]] == ["unknown_code"]

    response = receive(
        client,
        shipment,
        receipt(shipment, rejected={shipment_line.pk: (1, [code(2)])}, scanned_codes=[code(1), code(3), code(99)]),
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["scan_difference"] == {"missing": [code(2)], "extra": [], "unknown": [code(99)]}
    assert (body["shipment"]["status"], body["shipment"]["accepted_gross"]) == ("received", "49.40")
    order_line = body["order"]["lines"][0]
    assert (order_line["shipped_quantity"], order_line["accepted_quantity"], order_line["rejected_quantity"]) == (
        5,
        4,
        1,
    )
    assert (body["order"]["status"], body["order"]["accepted_gross"]) == ("received", "49.40")
    holders = dict(TraceCode.objects.values_list("code", "holder_id"))
    assert holders == {code(1): market.buyer.pk, code(2): market.supplier.pk, code(3): market.buyer.pk}
    assert not TraceCode.objects.filter(shipment__isnull=False).exists()


def test_a_shipment_is_received_once(market, confirmed):
    shipment = shipped(market, confirmed, item(confirmed.lines.get(), 5))
    assert receive(market.buyer_client(), shipment).status_code == 200
    assert receive(market.buyer_client(), shipment).status_code == 409


def test_only_the_buyer_receives(market, confirmed):
    shipment = shipped(market, confirmed, item(confirmed.lines.get(), 5))
    assert receive(market.supplier_client(), shipment).status_code == 403


def test_the_v1_order_receipt_receives_the_one_shipment_in_transit(market, confirmed):
    line = confirmed.lines.get()
    shipped(market, confirmed, item(line, 2, lot="A"), item(line, 3, lot="B"))
    client = market.buyer_client()
    ambiguous = client.post(
        f"/api/v1/orders/{confirmed.pk}/receive/",
        {
            "lines": [
                {
                    "order_line_id": line.pk,
                    "accepted_quantity": 4,
                    "rejected_quantity": 1,
                    "rejection_reason": "damaged",
                }
            ]
        },
        format="json",
    )
    assert [e["code"] for e in ambiguous.json()["errors"]] == ["ambiguous_line"]
    response = client.post(
        f"/api/v1/orders/{confirmed.pk}/receive/",
        {"lines": [{"order_line_id": line.pk, "accepted_quantity": 5}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["order"]["status"] == "received"


def test_the_v1_order_receipt_refuses_when_several_shipments_are_in_transit(market, confirmed):
    line = confirmed.lines.get()
    shipped(market, confirmed, item(line, 2))
    shipped(market, confirmed, item(line, 3))
    response = market.buyer_client().post(
        f"/api/v1/orders/{confirmed.pk}/receive/",
        {"lines": [{"order_line_id": line.pk, "accepted_quantity": 3}]},
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (409, "several_shipments_in_transit")


def test_a_receipt_giving_the_same_line_twice_is_refused(market, confirmed):
    shipment = shipped(market, confirmed, item(confirmed.lines.get(), 5))
    shipment_line = shipment.lines.get()
    twice = {
        "lines": [
            {"shipment_line_id": shipment_line.pk, "accepted_quantity": 5, "rejected_quantity": 0},
            {
                "shipment_line_id": shipment_line.pk,
                "accepted_quantity": 0,
                "rejected_quantity": 5,
                "rejection_reason": "damaged",
            },
        ]
    }
    response = receive(market.buyer_client(), shipment, twice)
    assert (response.status_code, response.json()["errors"]) == (
        400,
        [
            {
                "field": "lines[1].shipment_line_id",
                "code": "duplicate_line",
                "message": f"Line {shipment_line.pk} is already given at lines[0].",
            }
        ],
    )
    shipment.refresh_from_db()
    assert shipment.status == "in_transit"


def test_shipments_are_received_in_full_after_auto_receive_days(market, confirmed, settings):
    line = confirmed.lines.get()
    shipped(market, confirmed, item(line, 2, codes=[code(4)]))
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        shipped(market, confirmed, item(line, 3))
    with time_machine.travel(timezone.now() + settings.AUTO_RECEIVE_AFTER + timedelta(hours=1)):
        assert order_auto_receive_due() == 1  # the second shipment is a day younger
        assert order_auto_receive_due() == 0
    confirmed.refresh_from_db()
    assert confirmed.status == "shipped"
    assert TraceCode.objects.get(code=code(4)).holder_id == market.buyer.pk
    with time_machine.travel(timezone.now() + settings.AUTO_RECEIVE_AFTER + timedelta(days=2)):
        assert order_auto_receive_due() == 1
    confirmed.refresh_from_db()
    line.refresh_from_db()
    assert (confirmed.status, line.accepted_quantity, line.rejected_quantity) == ("received", 5, 0)
    assert confirmed.accepted_gross == confirmed.total_gross
