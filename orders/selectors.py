"""Reads of the orders app, scoped to the actor (STYLE G6)."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from accounts.actor import Actor
from orders.models import Order, OrderEvent, OrderLine, Recall, ShipmentLine, TraceCode


def _party_filter(actor: Actor) -> Q | None:
    if actor.is_staff:
        return Q()
    if actor.organization is None:
        return None
    return Q(buyer=actor.organization) | Q(supplier=actor.organization)


def order_list(*, actor: Actor) -> QuerySet[Order]:
    """Orders the actor is a party to (as buyer or supplier); staff see all."""
    party = _party_filter(actor)
    if party is None:
        return Order.objects.none()
    return (
        Order.objects.filter(party)
        .select_related("buyer", "supplier")
        .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.order_by("line_no")))
        .order_by("-id")
    )


def order_events(*, order: Order) -> QuerySet[OrderEvent]:
    return OrderEvent.objects.filter(order=order)


def trace_lookup(*, actor: Actor, code: str) -> TraceCode | None:
    """A traceability code's story, for the parties of its shipment and platform staff only."""
    queryset = TraceCode.objects.select_related(
        "shipment_line__drug", "shipment_line__shipment__order__buyer", "shipment_line__shipment__order__supplier"
    ).filter(code=code)
    party = _party_filter(actor)
    if party is None:
        return None
    if not actor.is_staff:
        organization = actor.organization
        queryset = queryset.filter(
            Q(shipment_line__shipment__order__buyer=organization)
            | Q(shipment_line__shipment__order__supplier=organization)
        )
    return queryset.first()


def recall_list(*, actor: Actor) -> QuerySet[Recall]:
    """Recall notices are public to every signed-in participant."""
    return Recall.objects.select_related("drug").order_by("-id")


def recall_affected_lines(*, recall: Recall, actor: Actor | None = None) -> QuerySet[ShipmentLine]:
    """Shipped lines of the recalled lots; a non-staff actor sees only its own shipments."""
    queryset = (
        ShipmentLine.objects.filter(drug=recall.drug, lot_number__in=recall.lots)
        .select_related("shipment__order__buyer", "shipment__order__supplier")
        .order_by("pk")
    )
    if actor is not None and not actor.is_staff:
        if actor.organization is None:
            return queryset.none()
        queryset = queryset.filter(
            Q(shipment__order__buyer=actor.organization) | Q(shipment__order__supplier=actor.organization)
        )
    return queryset
