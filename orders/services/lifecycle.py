"""Order state changes: the order machine (orders.transitions) applied with its side effects (STYLE G9)."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.services import offers as catalog_offers
from orders.choices import ORDER_ACTION_SIDE, ORDER_TRANSITIONS, RELEASING_ACTIONS, OrderStatus, ShipmentStatus, Side
from orders.compliance import supplier_may_confirm_reasons
from orders.errors import StepNotAllowed
from orders.models import Order
from orders.notifications import announce_order
from orders.services.lecheng import lecheng_give_back
from orders.transitions import ORDER
from pharmex import events
from pharmex.actor import SYSTEM_ACTOR, Actor
from pharmex.errors import InvalidTransition, NotAParty
from pharmex.money import line_amounts, money_sum
from pharmex.transitions import check_transition, transition_apply, transition_lock

# The webhook event of each action, when it is not `order.<new status>`.
_ANNOUNCED_AS = {"flag_overdue": "order.overdue"}


def require_side(*, actor: Actor, order: Order, action: str) -> None:
    """Raises: NotAParty unless the actor is the side that takes `action` (the supplier, the buyer, the system)."""
    side = ORDER_ACTION_SIDE[action]
    allowed = {
        Side.SUPPLIER: actor.acts_for(order.supplier_id),
        Side.BUYER: actor.acts_for(order.buyer_id),
        Side.SYSTEM: actor.system,
        Side.PLATFORM: actor.system or actor.is_admin,
    }[side]
    if not allowed:
        raise NotAParty(_("Only the %(side)s may do this.") % {"side": side})


def order_lock(*, order_id: int, action: str, actor: Actor, related: tuple[str, ...] = ()) -> Order:
    """The order locked for `action`. Call inside a transaction. Raises: InvalidTransition, NotAParty."""
    order = transition_lock(ORDER, order_id, action, related=related)
    require_side(actor=actor, order=order, action=action)
    return order


def order_apply(
    *, order: Order, action: str, actor: Actor, note: str = "", data: dict | None = None, changes: dict | None = None
) -> Order:
    """Apply `action` to an order from order_lock: status and history (pharmex.transitions), then what the
    order machine adds — the ship-by deadline, the reservation released, the webhook, the receipt event."""
    changes = dict(changes or {})
    target = ORDER_TRANSITIONS[action].target
    if target == OrderStatus.CONFIRMED and action == "confirm":
        changes["ship_by"] = timezone.now() + settings.ORDER_SHIP_DEADLINE
    transition_apply(ORDER, order, action=action, actor=actor, note=note, data=data, changes=changes)
    if action in RELEASING_ACTIONS:
        # Ending an order before it shipped gives the whole reservation back.
        for line in order.lines.order_by("offer_id"):
            catalog_offers.stock_release(offer_id=line.offer_id, quantity=line.quantity)
        lecheng_give_back(order=order)
    announce_order(order, _ANNOUNCED_AS.get(action, f"order.{target}"))
    if target == OrderStatus.RECEIVED:
        events.emit(events.ORDER_RECEIVED, order_id=order.pk)
    return order


def order_transition(
    *, order_id: int, action: str, actor: Actor, note: str = "", data: dict | None = None, changes: dict | None = None
) -> Order:
    """Lock and apply in one go. Call inside a transaction. Raises: InvalidTransition (→ 409), NotAParty."""
    order = order_lock(order_id=order_id, action=action, actor=actor)
    return order_apply(order=order, action=action, actor=actor, note=note, data=data, changes=changes)


def order_complete_if_done(*, order: Order, actor: Actor) -> Order:
    """Receive a locked order whose every line is shipped or closed and whose every shipment is received.

    The buyer then owes the accepted value of all its shipments, rounded per line (SPEC §5); `actor` is who
    received the last shipment (or closed the rest), for the history. Call inside the order's transaction.
    """
    if order.status != OrderStatus.SHIPPED or order.shipments.filter(status=ShipmentStatus.IN_TRANSIT).exists():
        return order
    check_transition(ORDER, order, "complete")
    accepted = money_sum(
        line_amounts(unit_price=line.unit_price, quantity=line.accepted_quantity, vat_rate=line.vat_rate)[0]
        for line in order.lines.all()
    )
    return order_apply(order=order, action="complete", actor=actor, changes={"accepted_gross": accepted})


@transaction.atomic
def order_confirm(*, order: Order, actor: Actor, note: str = "") -> Order:
    """Supplier accepts a placed order, if it may trade today (its licence may have lapsed since the order was
    placed) and the order is not held; otherwise the order waits, unchanged.

    Raises: InvalidTransition, NotAParty, StepNotAllowed (409, every reason).
    """
    order = order_lock(order_id=order.pk, action="confirm", actor=actor, related=("supplier",))
    reasons = supplier_may_confirm_reasons(order)
    if reasons:
        raise StepNotAllowed(
            _("The order cannot be confirmed now; it waits until this is resolved or it is cancelled or expires."),
            errors=[reason.as_error() for reason in reasons],
        )
    return order_apply(order=order, action="confirm", actor=actor, note=note)


@transaction.atomic
def order_reject(*, order: Order, actor: Actor, note: str) -> Order:
    """Supplier declines a placed order; stock comes back. Raises: InvalidTransition, NotAParty."""
    return order_transition(order_id=order.pk, action="reject", actor=actor, note=note)


@transaction.atomic
def order_cancel(*, order: Order, actor: Actor, note: str = "") -> Order:
    """Buyer withdraws a placed order; stock comes back. Raises: InvalidTransition, NotAParty."""
    return order_transition(order_id=order.pk, action="cancel", actor=actor, note=note)


def due_ids(queryset, *, batch: int) -> list[int]:
    # SKIP LOCKED: an order being confirmed right now is left for the next run, not waited on.
    with transaction.atomic():
        return list(queryset.select_for_update(skip_locked=True).values_list("pk", flat=True)[:batch])


def _run_due(
    ids: list[int], *, action: str, note: str, changes: dict | None = None, done_already=lambda order: False
) -> int:
    """Apply a system action to each due order in its own transaction; one that moved on meanwhile is skipped."""
    done = 0
    for order_id in ids:
        with transaction.atomic():
            try:
                order = order_lock(order_id=order_id, action=action, actor=SYSTEM_ACTOR)
            except InvalidTransition:
                continue  # confirmed, cancelled or shipped in the meantime
            if done_already(order):
                continue  # another run of the job got here first
            order_apply(order=order, action=action, actor=SYSTEM_ACTOR, note=note, changes=changes)
            done += 1
    return done


def order_expire_due(*, now: datetime | None = None, batch: int = 500) -> int:
    """Job: expire placed orders not confirmed within ORDER_CONFIRM_TIMEOUT, releasing their stock."""
    due = Order.objects.awaiting_confirmation_past(now or timezone.now()).order_by("pk")
    return _run_due(due_ids(due, batch=batch), action="expire", note="Not confirmed in time.")


def order_flag_overdue(*, now: datetime | None = None, batch: int = 500) -> int:
    """Job: flag confirmed orders not shipped by their deadline, once, and announce it."""
    now = now or timezone.now()
    due = Order.objects.filter(status=OrderStatus.CONFIRMED, ship_by__lte=now, overdue_at__isnull=True).order_by("pk")
    return _run_due(
        due_ids(due, batch=batch),
        action="flag_overdue",
        note="Not shipped by the deadline.",
        changes={"overdue_at": now},
        done_already=lambda order: order.overdue_at is not None,
    )
