"""Reads of the orders app, scoped to the actor (STYLE G6)."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from orders.choices import Side
from orders.models import Order, OrderEvent, OrderLine, Recall, ShipmentLine, TraceCode
from pharmex.actor import Actor
from pharmex.errors import NotAParty, NotFound


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


def order_side_q(*, actor: Actor, side: str) -> Q:
    """Orders where the actor's organisation is the buyer, or the supplier (`?role=`); staff acting for no
    organisation keep every order."""
    if actor.organization is None:
        return Q()
    return Q(**{side: actor.organization})


def order_for_party(*, actor: Actor, order_id: int, side: str) -> Order:
    """An order the actor may act on as `side` (Side.BUYER or Side.SUPPLIER).

    Raises: NotFound when the actor may not see the order (not a party, not staff), NotAParty when it sees it
    but acts for the other side (or is staff acting for no party).
    """
    order = order_list(actor=actor).filter(pk=order_id).first()
    if order is None:
        raise NotFound()
    party_id = order.supplier_id if side == Side.SUPPLIER else order.buyer_id
    if not actor.acts_for(party_id):
        raise NotAParty(_("Only the %(side)s may do this.") % {"side": side})
    return order


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


def trace_get(*, actor: Actor, code: str) -> TraceCode:
    """trace_lookup, or NotFound (404) when the code is unknown or not the actor's to see."""
    trace = trace_lookup(actor=actor, code=code)
    if trace is None:
        raise NotFound()
    return trace


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


def order_buyer_ids(*, numbers: list[str]) -> set[int]:
    """The buyers of the orders with these numbers (bank references name orders)."""
    return set(Order.objects.filter(number__in=numbers).values_list("buyer_id", flat=True))
