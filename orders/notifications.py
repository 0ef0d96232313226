"""Order announcements: webhook events written to the outbox in the same transaction as the change."""

from __future__ import annotations

from orders.models import Order
from webhooks.services import outbox_publish


def order_payload(order: Order) -> dict:
    return {
        "order_id": order.pk,
        "number": order.number,
        "status": order.status,
        "buyer_id": order.buyer_id,
        "supplier_id": order.supplier_id,
        "total_gross": str(order.total_gross),
        "currency": order.currency,
    }


def announce_order(order: Order, event_type: str, **extra) -> None:
    """Tell both parties (their webhook endpoints) about an order event, after commit."""
    outbox_publish(
        event_type=event_type,
        organization_ids=[order.buyer_id, order.supplier_id],
        payload={**order_payload(order), **extra},
        object_type="order",
        object_id=order.pk,
    )
