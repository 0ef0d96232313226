"""Order state changes: the order machine (orders.transitions) applied with its side effects (STYLE G9)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.services import offers as catalog_offers
from orders.choices import (
    ORDER_ACTION_SIDE,
    ORDER_TRANSITIONS,
    RELEASING_ACTIONS,
    LineConfirmation,
    OrderStatus,
    ShipmentStatus,
    Side,
)
from orders.compliance import supplier_may_confirm_reasons
from orders.errors import StepNotAllowed
from orders.models import Order, OrderLine, attach_lines
from orders.notifications import announce_order
from orders.services.lecheng import lecheng_follow, lecheng_give_back, lecheng_in_use
from orders.transitions import ORDER
from pharmex import events
from pharmex.actor import SYSTEM_ACTOR, Actor
from pharmex.errors import InvalidInput, InvalidTransition, NotAParty
from pharmex.money import line_amounts, money_sum
from pharmex.transitions import check_transition, transition_apply, transition_lock

# The webhook event of each action, when it is not `order.<new status>`.
_ANNOUNCED_AS = {"flag_overdue": "order.overdue", "amend": "order.amended"}


@dataclass(frozen=True)
class LineDecision:
    """The supplier's word on one line at confirmation: the quantity it accepts (0 rejects the line) and why,
    when that is less than ordered."""

    line_no: int
    quantity: int
    reason: str = ""


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
    *,
    order: Order,
    action: str,
    actor: Actor,
    note: str = "",
    data: dict | None = None,
    changes: dict | None = None,
    announce: dict | None = None,
    audit_changes: dict | None = None,
) -> Order:
    """Apply `action` to an order from order_lock: status and history (pharmex.transitions), then what the
    order machine adds — the ship-by deadline, the reservation released, the webhook, the receipt event."""
    changes = dict(changes or {})
    target = ORDER_TRANSITIONS[action].target
    if target == OrderStatus.CONFIRMED and action == "confirm":
        changes["ship_by"] = timezone.now() + settings.ORDER_SHIP_DEADLINE
    transition_apply(
        ORDER, order, action=action, actor=actor, note=note, data=data, changes=changes, audit_changes=audit_changes
    )
    if action in RELEASING_ACTIONS:
        # Ending an order before it shipped gives the whole reservation back.
        for line in order.lines.order_by("offer_id"):
            catalog_offers.stock_release(offer_id=line.offer_id, quantity=line.quantity)
        lecheng_give_back(order=order)
    announce_order(order, _ANNOUNCED_AS.get(action, f"order.{target}"), **(announce or {}))
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
def order_confirm(*, order: Order, actor: Actor, note: str = "", lines: Sequence[LineDecision] | None = None) -> Order:
    """Supplier accepts a placed order, if it may trade today (its licence may have lapsed since the order was
    placed) and the order is not held; otherwise the order waits, unchanged.

    Line by line (部分确认) when `lines` are given: each named line is accepted in full, in part (a lower
    quantity, with a reason) or rejected (0, with a reason); lines not named are accepted in full. What is not
    accepted goes back to stock and the line's `quantity`, gross and tax become the accepted ones
    (`requested_quantity` keeps what was ordered); the totals follow. Every line rejected rejects the order.

    Raises: InvalidTransition, NotAParty, InvalidInput (400: a decision that does not fit the order),
    StepNotAllowed (409, every reason).
    """
    order = order_lock(order_id=order.pk, action="confirm", actor=actor, related=("supplier",))
    order_lines = list(order.lines.order_by("line_no"))
    accepted = _accepted_quantities(order_lines, lines or ())
    if not any(accepted.values()):
        return _reject_every_line(order=order, actor=actor, note=note, order_lines=order_lines, decisions=lines)
    reasons = supplier_may_confirm_reasons(order)
    if reasons:
        raise StepNotAllowed(
            _("The order cannot be confirmed now; it waits until this is resolved or it is cancelled or expires."),
            errors=[reason.as_error() for reason in reasons],
        )
    why = {decision.line_no: decision.reason for decision in lines or ()}
    changed = []
    for line in order_lines:
        quantity = accepted[line.line_no]
        line.requested_quantity = line.quantity
        line.proposed_quantity, line.proposed_offer_id, line.proposal_reason = None, None, ""  # confirming ends it
        if quantity == line.quantity:
            line.confirmation = LineConfirmation.FULL
            continue
        line.confirmation = LineConfirmation.PARTIAL if quantity else LineConfirmation.REJECTED
        line.confirmation_reason = why[line.line_no]
        line.quantity = quantity
        line.line_gross, line.line_tax = line_amounts(
            unit_price=line.unit_price, quantity=quantity, vat_rate=line.vat_rate
        )
        changed.append(_decided(line))
    # What is not accepted goes back in one statement, the offers locked in primary-key order.
    catalog_offers.stock_adjust(deltas={line.offer_id: line.quantity - line.requested_quantity for line in order_lines})
    lecheng_follow(before=_requested_use(order_lines), after=lecheng_in_use(order_lines))  # only ever less: no refusal
    OrderLine.objects.bulk_update(
        order_lines,
        [
            "quantity",
            "line_gross",
            "line_tax",
            "requested_quantity",
            "confirmation",
            "confirmation_reason",
            "proposed_quantity",
            "proposed_offer",
            "proposal_reason",
        ],
    )
    attach_lines(order, order_lines)
    changes = {}
    if changed:
        changes = {
            "total_gross": money_sum(line.line_gross for line in order_lines),
            "total_tax": money_sum(line.line_tax for line in order_lines),
        }
    return order_apply(
        order=order,
        action="confirm",
        actor=actor,
        note=note,
        data={"lines": changed} if changed else None,
        changes=changes,
        announce={"changed_lines": changed},
        audit_changes={"lines": changed} if changed else None,
    )


def _requested_use(order_lines: list[OrderLine]) -> dict[int, int]:
    """The lines' use of Lecheng approvals as ordered, before the confirmation reduced them."""
    return lecheng_in_use(
        OrderLine(lecheng_approval_id=line.lecheng_approval_id, quantity=line.requested_quantity)
        for line in order_lines
    )


def _accepted_quantities(order_lines: list[OrderLine], decisions: Sequence[LineDecision]) -> dict[int, int]:
    """Each line's accepted quantity (in full unless a decision says otherwise).

    Raises: InvalidInput for a line the order does not have, named twice, more than ordered, or less without a
    reason.
    """
    accepted = {line.line_no: line.quantity for line in order_lines}
    errors, seen = [], set()
    for index, decision in enumerate(decisions):
        at = f"lines[{index}]"
        if decision.line_no not in accepted:
            errors.append(
                {
                    "field": f"{at}.line_no",
                    "code": "unknown_line",
                    "message": _("The order has no line %(no)s.") % {"no": decision.line_no},
                }
            )
            continue
        if decision.line_no in seen:
            errors.append({"field": f"{at}.line_no", "code": "duplicate_line", "message": _("Name each line once.")})
            continue
        seen.add(decision.line_no)
        ordered = accepted[decision.line_no]
        if decision.quantity > ordered:
            errors.append(
                {
                    "field": f"{at}.quantity",
                    "code": "more_than_ordered",
                    "message": _("The line is for %(quantity)s; accept at most that.") % {"quantity": ordered},
                }
            )
        elif decision.quantity < ordered and not decision.reason.strip():
            errors.append(
                {
                    "field": f"{at}.reason",
                    "code": "reason_required",
                    "message": _("Say why the line is not accepted in full."),
                }
            )
        else:
            accepted[decision.line_no] = decision.quantity
    if errors:
        raise InvalidInput(errors)
    return accepted


def _reject_every_line(
    *,
    order: Order,
    actor: Actor,
    note: str,
    order_lines: list[OrderLine],
    decisions: Sequence[LineDecision] | None,
) -> Order:
    """Every line rejected: the order is rejected (its whole reservation released), each line saying why."""
    why = {decision.line_no: decision.reason for decision in decisions or ()}
    for line in order_lines:
        line.confirmation, line.confirmation_reason = LineConfirmation.REJECTED, why[line.line_no]
        line.requested_quantity = line.quantity
    OrderLine.objects.bulk_update(order_lines, ["requested_quantity", "confirmation", "confirmation_reason"])
    changed = [_decided(line, accepted=0) for line in order_lines]
    check_transition(ORDER, order, "reject")
    return order_apply(
        order=order,
        action="reject",
        actor=actor,
        note=note or "; ".join(f"{line.line_no}: {line.confirmation_reason}" for line in order_lines),
        data={"lines": changed},
        announce={"changed_lines": changed},
        audit_changes={"lines": changed},
    )


def _decided(line: OrderLine, *, accepted: int | None = None) -> dict:
    """A line the supplier did not accept in full, as the order event and the webhook tell the buyer."""
    return {
        "line_no": line.line_no,
        "offer_id": line.offer_id,
        "drug_name": line.drug_name,
        "confirmation": line.confirmation,
        "requested_quantity": line.requested_quantity,
        "accepted_quantity": line.quantity if accepted is None else accepted,
        "reason": line.confirmation_reason,
    }


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
    now = now or timezone.now()
    due = Order.objects.awaiting_confirmation_past(now).order_by("pk")
    return _run_due(
        due_ids(due, batch=batch),
        action="expire",
        note="Not confirmed in time.",
        done_already=lambda order: order.expires_at > now,  # amended meanwhile: its deadline restarted
    )


def order_flag_overdue(*, now: datetime | None = None, batch: int = 500) -> int:
    """Job: flag confirmed orders not shipped by their deadline, once, and announce it."""
    now = now or timezone.now()
    due = Order.objects.unshipped_past(now).order_by("ship_by", "pk")
    return _run_due(
        due_ids(due, batch=batch),
        action="flag_overdue",
        note="Not shipped by the deadline.",
        changes={"overdue_at": now},
        done_already=lambda order: order.overdue_at is not None,
    )
