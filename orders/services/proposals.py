"""Supplier proposals on a placed order (issue 21): another quantity and/or a substitute offer of its own for some
lines, which the buyer accepts — an amendment, re-gated and with its stock moved (orders.services.amendment) — or
declines, before the order is confirmed. A proposal moves no stock by itself; a new one replaces the open one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.models import Offer
from orders.compliance import LineRequest
from orders.models import Order, OrderLine
from orders.notifications import announce_order
from orders.services.amendment import amend_locked, amendment_lock
from orders.services.lifecycle import order_lock
from orders.transitions import ORDER
from pharmex.actor import Actor
from pharmex.errors import InvalidInput, InvalidTransition
from pharmex.transitions import transition_apply

_PROPOSAL_FIELDS = ["proposed_quantity", "proposed_offer", "proposal_reason"]


@dataclass(frozen=True)
class LineProposal:
    """For the order's line `line_no`: the quantity (None: the line's) of the offer (None: the line's) proposed."""

    line_no: int
    reason: str
    quantity: int | None = None
    offer_id: int | None = None


@transaction.atomic
def order_propose(*, order: Order, actor: Actor, proposals: Sequence[LineProposal], note: str = "") -> Order:
    """The supplier proposes changes to some lines of a placed order (replacing any open proposal).

    Raises: InvalidTransition, NotAParty, InvalidInput (400: a proposal that does not fit the order).
    """
    order = order_lock(order_id=order.pk, action="propose", actor=actor)
    lines = {line.line_no: line for line in order.lines.order_by("line_no")}
    _check(order=order, lines=lines, proposals=proposals)
    for line in lines.values():
        line.proposed_quantity, line.proposed_offer_id, line.proposal_reason = None, None, ""
    for proposal in proposals:
        line = lines[proposal.line_no]
        line.proposed_quantity = proposal.quantity or line.quantity
        line.proposed_offer_id = proposal.offer_id if proposal.offer_id != line.offer_id else None
        line.proposal_reason = proposal.reason
    OrderLine.objects.bulk_update(lines.values(), _PROPOSAL_FIELDS)
    proposed = [_proposal(line) for line in lines.values() if line.proposed_quantity is not None]
    transition_apply(
        ORDER,
        order,
        action="propose",
        actor=actor,
        note=note,
        data={"lines": proposed},
        audit_changes={"lines": proposed},
    )
    announce_order(order, "order.proposal_made", proposals=proposed)
    return order


# No savepoint: accepting is an amendment, whose view runs in the idempotency transaction.
@transaction.atomic(savepoint=False)
def order_answer_proposal(*, order: Order, actor: Actor, accept: bool, note: str = "") -> Order:
    """The buyer accepts the supplier's open proposal (the order is amended to it: re-gated, stock moved, the
    confirm deadline restarted) or declines it (nothing changes but the proposal ends).

    Raises: InvalidTransition (409: not placed, or no open proposal), NotAParty, OrderNotAllowed,
    InsufficientStock.
    """
    action = "accept_proposal" if accept else "decline_proposal"
    order = amendment_lock(order=order, action=action, actor=actor)
    lines = list(order.lines.order_by("line_no"))
    proposed = [_proposal(line) for line in lines if line.proposed_quantity is not None]
    if not proposed:
        raise InvalidTransition(_("The supplier has no open proposal on this order."))
    if accept:
        requests = [
            LineRequest(
                offer_id=line.proposed_offer_id or line.offer_id,
                quantity=line.quantity if line.proposed_quantity is None else line.proposed_quantity,
            )
            for line in lines
        ]
        return amend_locked(order=order, actor=actor, lines=requests, note=note, action=action)
    OrderLine.objects.filter(order=order).update(proposed_quantity=None, proposed_offer=None, proposal_reason="")
    transition_apply(
        ORDER,
        order,
        action=action,
        actor=actor,
        note=note,
        data={"lines": proposed},
        audit_changes={"lines": proposed},
    )
    announce_order(order, "order.proposal_declined", proposals=proposed)
    return order


def _check(*, order: Order, lines: dict[int, OrderLine], proposals: Sequence[LineProposal]) -> None:
    """Raises: InvalidInput for a line the order lacks or named twice, a proposal that changes nothing, or an
    offer that is not the supplier's."""
    own = set(
        Offer.objects.filter(
            pk__in=[p.offer_id for p in proposals if p.offer_id], supplier_id=order.supplier_id
        ).values_list("pk", flat=True)
    )
    errors, seen = [], set()
    for index, proposal in enumerate(proposals):
        at, line = f"lines[{index}]", lines.get(proposal.line_no)
        if line is None or proposal.line_no in seen:
            message = (
                _("Name each line once.") if line else _("The order has no line %(no)s.") % {"no": proposal.line_no}
            )
            code = "duplicate_line" if line else "unknown_line"
            errors.append({"field": f"{at}.line_no", "code": code, "message": message})
            continue
        seen.add(proposal.line_no)
        if proposal.offer_id is not None and proposal.offer_id not in own:
            errors.append(
                {
                    "field": f"{at}.offer_id",
                    "code": "other_supplier",
                    "message": _("Propose one of your own offers."),
                }
            )
        elif (proposal.offer_id or line.offer_id) == line.offer_id and (proposal.quantity or line.quantity) == (
            line.quantity
        ):
            errors.append(
                {
                    "field": at,
                    "code": "unchanged",
                    "message": _("Propose another quantity or another offer."),
                }
            )
    if errors:
        raise InvalidInput(errors)


def _proposal(line: OrderLine) -> dict:
    """A line's open proposal, as the order event and the webhook tell it."""
    return {
        "line_no": line.line_no,
        "offer_id": line.offer_id,
        "quantity": line.quantity,
        "proposed_offer_id": line.proposed_offer_id or line.offer_id,
        "proposed_quantity": line.proposed_quantity,
        "reason": line.proposal_reason,
    }
