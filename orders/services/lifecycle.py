"""Order state changes: one transition function over the table in orders.choices (STYLE G9)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.actor import Actor
from catalog.services import offers as catalog_offers
from orders.choices import ORDER_TRANSITIONS, RELEASING_ACTIONS, OrderStatus
from orders.models import Order, OrderEvent
from orders.notify import announce_order
from pharmex import events
from pharmex.audit import SYSTEM, AuditActor, audit_record
from pharmex.errors import InvalidTransition

_TIMESTAMP_FOR = {
    OrderStatus.CONFIRMED: "confirmed_at",
    OrderStatus.SHIPPED: "shipped_at",
    OrderStatus.RECEIVED: "received_at",
    OrderStatus.REJECTED: "closed_at",
    OrderStatus.CANCELLED: "closed_at",
    OrderStatus.EXPIRED: "closed_at",
}


def order_transition(
    *,
    order_id: int,
    action: str,
    actor: AuditActor,
    note: str = "",
    data: dict | None = None,
    changes: dict | None = None,
) -> Order:
    """Move an order along ORDER_TRANSITIONS under a row lock; event, audit and webhook in one go.

    Call inside a transaction. Raises: InvalidTransition (→ 409) from any other state.
    """
    order = Order.objects.select_for_update().get(pk=order_id)
    sources, target, _side = ORDER_TRANSITIONS[action]
    if order.status not in sources:
        raise InvalidTransition(f"Cannot {action.replace('_', ' ')} an order that is {order.status}.")
    previous, now = order.status, timezone.now()
    order.status = target
    setattr(order, _TIMESTAMP_FOR[target], now)
    for field, value in (changes or {}).items():
        setattr(order, field, value)
    if target == OrderStatus.CONFIRMED:
        order.ship_by = now + settings.ORDER_SHIP_DEADLINE
    order.save()
    if action in RELEASING_ACTIONS:
        # Leaving `placed` for a terminal state gives the whole reservation back.
        for line in order.lines.order_by("offer_id"):
            catalog_offers.stock_release(offer_id=line.offer_id, quantity=line.quantity)
    OrderEvent.objects.create(
        order=order,
        action=action,
        from_status=previous,
        to_status=target,
        actor=actor.label,
        note=note,
        data=data or {},
    )
    audit_record(
        actor=actor,
        action=f"order.{action}",
        object_type="order",
        object_id=order.pk,
        organization_id=order.supplier_id if ORDER_TRANSITIONS[action][2] == "supplier" else order.buyer_id,
        changes={"status": [previous, target], "note": note},
    )
    announce_order(order, f"order.{target}")
    if target == OrderStatus.RECEIVED:
        events.emit(events.ORDER_RECEIVED, order_id=order.pk)
    return order


@transaction.atomic
def order_confirm(*, order: Order, actor: Actor, note: str = "") -> Order:
    """Supplier accepts a placed order. Raises: InvalidTransition."""
    return order_transition(order_id=order.pk, action="confirm", actor=actor.audit, note=note)


@transaction.atomic
def order_reject(*, order: Order, actor: Actor, note: str) -> Order:
    """Supplier declines a placed order; stock comes back. Raises: InvalidTransition."""
    return order_transition(order_id=order.pk, action="reject", actor=actor.audit, note=note)


@transaction.atomic
def order_cancel(*, order: Order, actor: Actor, note: str = "") -> Order:
    """Buyer withdraws a placed order; stock comes back. Raises: InvalidTransition."""
    return order_transition(order_id=order.pk, action="cancel", actor=actor.audit, note=note)


def due_ids(queryset, *, batch: int) -> list[int]:
    # SKIP LOCKED: an order being confirmed right now is left for the next run, not waited on.
    with transaction.atomic():
        return list(queryset.select_for_update(skip_locked=True).values_list("pk", flat=True)[:batch])


def order_expire_due(*, now: datetime | None = None, batch: int = 500) -> int:
    """Job: expire placed orders not confirmed within ORDER_CONFIRM_TIMEOUT, releasing their stock."""
    now = now or timezone.now()
    expired = 0
    for order_id in due_ids(Order.objects.awaiting_confirmation_past(now).order_by("pk"), batch=batch):
        try:
            with transaction.atomic():
                order_transition(order_id=order_id, action="expire", actor=SYSTEM, note="Not confirmed in time.")
            expired += 1
        except InvalidTransition:
            continue  # confirmed or cancelled in the meantime
    return expired


def order_flag_overdue(*, now: datetime | None = None, batch: int = 500) -> int:
    """Job: flag confirmed orders not shipped by their deadline, once, and announce it."""
    now = now or timezone.now()
    due = Order.objects.filter(status=OrderStatus.CONFIRMED, ship_by__lte=now, overdue_at__isnull=True).order_by("pk")
    flagged = 0
    for order_id in due_ids(due, batch=batch):
        with transaction.atomic():
            updated = Order.objects.filter(pk=order_id, status=OrderStatus.CONFIRMED, overdue_at__isnull=True)
            if updated.update(overdue_at=now, updated_at=now) != 1:
                continue
            order = Order.objects.get(pk=order_id)
            OrderEvent.objects.create(
                order=order,
                action="flag_overdue",
                from_status=order.status,
                to_status=order.status,
                actor=SYSTEM.label,
                note="Not shipped by the deadline.",
            )
            audit_record(
                actor=SYSTEM,
                action="order.overdue",
                object_type="order",
                object_id=order.pk,
                organization_id=order.supplier_id,
                changes={"ship_by": order.ship_by},
            )
            announce_order(order, "order.overdue")
            flagged += 1
    return flagged
