"""Open orders held because a drug of theirs left the market (SPEC §4), and the platform admin's decision on them.

The catalogue takes a drug off the market (catalog.services.market) and emits DRUG_LEFT_MARKET inside its
transaction; `orders_hold_for_drug` (subscribed in orders.handlers) holds every open order with a line of that
drug in the same transaction. A held order is neither confirmed nor shipped (orders.compliance.order_hold_reasons)
until an admin releases it or cancels it (its reservation comes back).
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from orders.choices import OPEN_ORDER_STATUSES, HoldStatus, OrderStatus
from orders.errors import OrderNotHeld
from orders.models import Order, OrderLine
from orders.notifications import announce_order
from orders.services.lifecycle import order_apply, order_complete_if_done, order_lock
from orders.services.shipping import close_rest_of
from orders.transitions import ORDER_HOLD
from pharmex.actor import Actor
from pharmex.choices import StaffRole
from pharmex.errors import InvalidTransition
from pharmex.transitions import transition_apply, transition_lock


def orders_hold_for_drug(*, drug_id: int, reason: str, note: str, actor: Actor) -> int:
    """Hold every open order with a line of the drug (those already held stay as they are). Call inside the
    transaction that took the drug off the market. Returns how many were held."""
    due = (
        Order.objects.filter(status__in=OPEN_ORDER_STATUSES, lines__drug_id=drug_id)
        .exclude(hold_status=HoldStatus.HELD)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
    held = 0
    for order_id in due:  # in primary-key order, as every path that locks several orders
        order = transition_lock(ORDER_HOLD, order_id, "hold")
        transition_apply(
            ORDER_HOLD,
            order,
            action="hold",
            actor=actor,
            note=note,
            data={"drug": drug_id, "reason": reason},
            changes={"hold_reason": reason, "hold_note": note[:500], "hold_decided_at": None},
        )
        announce_order(order, "order.held", hold_reason=reason, drug_id=drug_id)
        held += 1
    return held


@transaction.atomic
def order_hold_release(*, order: Order, actor: Actor, note: str = "") -> Order:
    """A platform admin lets a held order go on (e.g. the lots were made before the registration expired).

    Raises: NotAParty (admins only), OrderNotHeld, InvalidTransition when the order ended meanwhile.
    """
    actor.require_staff(StaffRole.ADMIN)
    try:
        order = transition_lock(ORDER_HOLD, order.pk, "release_hold")
    except InvalidTransition:
        raise OrderNotHeld() from None
    if order.status not in OPEN_ORDER_STATUSES:
        raise InvalidTransition()
    transition_apply(ORDER_HOLD, order, action="release_hold", actor=actor, note=note)
    announce_order(order, "order.hold_released")
    return order


@transaction.atomic
def order_hold_cancel(*, order: Order, actor: Actor, note: str) -> Order:
    """A platform admin ends a held order: cancelled, its reservation back to stock — or, when part of it has
    shipped already, what is left to ship is closed (back to stock) and the shipped part goes on to receipt.

    Raises: NotAParty (admins only), OrderNotHeld, InvalidTransition when the order ended meanwhile.
    """
    actor.require_staff(StaffRole.ADMIN)
    partly_shipped = Order.objects.filter(pk=order.pk, status=OrderStatus.PARTIALLY_SHIPPED).exists()
    action = "close_held" if partly_shipped else "cancel_held"
    order = order_lock(order_id=order.pk, action=action, actor=actor)
    if not order.held:
        raise OrderNotHeld()
    changes = {"hold_status": HoldStatus.CANCELLED, "hold_decided_at": timezone.now()}
    if action == "cancel_held":
        return order_apply(order=order, action=action, actor=actor, note=note, changes=changes)
    lines = list(order.lines.all())
    closed = close_rest_of(lines)
    OrderLine.objects.bulk_update(lines, ["closed_quantity"])
    order_apply(order=order, action=action, actor=actor, note=note, changes=changes, data={"closed": closed})
    return order_complete_if_done(order=order, actor=actor)
