"""Helpers for returns through the API in tests: a received order, and each step of a return."""

from __future__ import annotations

from orders.models import Order, Return, Shipment
from tests.orders.conftest import place
from tests.orders.shipping import item, receipt, receive, ship, shipment_body


def received(market, quantity: int = 5, *, codes=(), rejected: int = 0) -> tuple[Order, Shipment]:
    """An order of `quantity` units placed, confirmed, shipped (with `codes`) and received, `rejected` refused."""
    buyer, supplier = market.buyer_client(), market.supplier_client()
    order_id = place(buyer, (market.offer.pk, quantity)).json()["id"]
    assert supplier.post(f"/api/v1/orders/{order_id}/confirm/", {}, format="json").status_code == 200
    order = Order.objects.get(pk=order_id)
    line = order.lines.get()
    assert ship(supplier, order, shipment_body(order, item(line, quantity, codes=codes))).status_code == 200
    shipment = Shipment.objects.get(order=order)
    rejected_lines = {shipment.lines.get().pk: (rejected, [])} if rejected else None
    response = receive(buyer, shipment, receipt(shipment, rejected=rejected_lines))
    assert response.status_code == 200, response.json()
    return Order.objects.get(pk=order_id), shipment


def request_return(client, order: Order, shipment: Shipment, quantity: int, *, reason="quality", codes=(), **extra):
    body = {
        "order_id": order.pk,
        "reason": reason,
        "note": "批号外观异常",
        "lines": [{"shipment_line_id": shipment.lines.get().pk, "quantity": quantity, "codes": list(codes)}],
        **extra,
    }
    return client.post("/api/v1/returns/", body, format="json")


def step(client, ret_id: int, name: str, body: dict | None = None):
    return client.post(f"/api/v1/returns/{ret_id}/{name}/", body or {}, format="json")


def receive_back(client, ret: Return, *, rejected: int = 0):
    lines = [
        {
            "return_line_id": line.pk,
            "accepted_quantity": line.approved_quantity - rejected,
            "rejected_quantity": rejected,
            **({"rejection_reason": "damaged_in_return"} if rejected else {}),
        }
        for line in ret.lines.all()
    ]
    return step(client, ret.pk, "receive", {"lines": lines})
