"""Order announcements: webhook events written to the outbox in the same transaction as the change."""

from __future__ import annotations

from orders.models import Order, Shipment
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


def shipment_payload(shipment: Shipment) -> dict:
    return {
        "shipment_id": shipment.pk,
        "order_id": shipment.order_id,
        "sequence": shipment.sequence,
        "status": shipment.status,
        "buyer_id": shipment.buyer_id,
        "supplier_id": shipment.supplier_id,
        "carrier": shipment.carrier,
        "tracking_number": shipment.tracking_number,
        "gross": str(shipment.gross),
        "accepted_gross": None if shipment.accepted_gross is None else str(shipment.accepted_gross),
        "temperature_flag": shipment.temperature_flag,
    }


def announce_shipment(shipment: Shipment, event_type: str) -> None:
    """Tell both parties about a shipment (created, received), after commit."""
    outbox_publish(
        event_type=event_type,
        organization_ids=[shipment.buyer_id, shipment.supplier_id],
        payload=shipment_payload(shipment),
        object_type="shipment",
        object_id=shipment.pk,
    )
