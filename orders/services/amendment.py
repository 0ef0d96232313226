"""The buyer's amendment of a placed order (SPEC §5): new quantities, lines removed or added (same supplier).

The amended order passes the same compliance gate as a placement, every reason reported at once; its stock
changes by the difference only, taken and given back in one statement that locks the offers in primary-key
order (catalog stock_adjust), so an amendment racing placements on a hot offer never oversells or deadlocks.
Lines kept keep the price they were placed at; added lines are snapshotted as at placement. The confirm
deadline restarts: the supplier gets a full ORDER_CONFIRM_TIMEOUT to consider the order as it now is.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from catalog.services import offers as catalog_offers
from orders.compliance import GateFacts, LineRequest, LineVerdict, compliance_check, gate_facts, today
from orders.errors import InsufficientStock, OrderNotAllowed
from orders.models import Order, OrderLine, attach_lines
from orders.notifications import announce_order
from orders.services.lecheng import lecheng_follow, lecheng_in_use
from orders.services.lifecycle import order_lock
from orders.services.placement import refuse_several_payer_funds, snapshot_line
from orders.transitions import ORDER
from pharmex.actor import Actor
from pharmex.errors import InvalidInput, InvalidTransition
from pharmex.money import line_amounts, money_sum
from pharmex.transitions import transition_apply


# No savepoint: the view runs in the idempotency transaction, and a refused amendment rolls all of it back.
@transaction.atomic(savepoint=False)
def order_amend(*, order: Order, actor: Actor, lines: Sequence[LineRequest], note: str = "") -> Order:
    """Replace a placed order's lines by `lines` (matched to the current lines by offer): quantities change,
    lines absent are removed, new offers of the same supplier are added.

    Raises: InvalidTransition (409: no longer placed, or past its confirm deadline), NotAParty,
    InvalidInput (400: nothing changes), OrderNotAllowed (409, every failing rule), InsufficientStock (409).
    """
    order = amendment_lock(order=order, action="amend", actor=actor)
    return amend_locked(order=order, actor=actor, lines=lines, note=note, action="amend")


def amendment_lock(*, order: Order, action: str, actor: Actor) -> Order:
    """The placed order locked for a change of its lines. Raises: InvalidTransition, NotAParty."""
    order = order_lock(order_id=order.pk, action=action, actor=actor, related=("buyer",))
    if order.expires_at <= timezone.now():
        # Past its confirmation window the order is the expiry job's: an amendment does not revive it.
        raise InvalidTransition(_("The order was not confirmed in time; it expires and cannot be amended."))
    return order


def amend_locked(*, order: Order, actor: Actor, lines: Sequence[LineRequest], note: str, action: str) -> Order:
    """The amendment of an order from amendment_lock, recorded as `action` (amend, accept_proposal); any open
    proposal of the supplier ends with it. Raises: InvalidInput, OrderNotAllowed, InsufficientStock."""
    current = {line.offer_id: line for line in order.lines.order_by("line_no")}
    wanted = {line.offer_id: line.quantity for line in lines}
    if wanted == {offer_id: line.quantity for offer_id, line in current.items()} and len(wanted) == len(lines):
        raise InvalidInput(
            [{"field": "lines", "code": "unchanged", "message": _("These are the order's lines already.")}]
        )
    verdicts, facts = _gate(order=order, lines=lines, current=current)
    approvals_before = lecheng_in_use(current.values())

    # Only the difference moves: more of a line is taken, less (or a removed line) goes back to stock.
    deltas = {offer_id: wanted.get(offer_id, 0) - line.quantity for offer_id, line in current.items()}
    deltas.update({offer_id: quantity for offer_id, quantity in wanted.items() if offer_id not in current})
    short = catalog_offers.stock_adjust(deltas=deltas)
    if short:
        index = next(v.index for v in verdicts if v.offer.pk in short)
        raise InsufficientStock(
            _("Another order took the stock of this line a moment ago."), field=f"lines[{index}].quantity"
        )

    changed, kept = _apply_lines(order=order, verdicts=verdicts, current=current, facts=facts)
    if lecheng_follow(before=approvals_before, after=lecheng_in_use(kept)):
        raise OrderNotAllowed(
            _("The Lecheng approval's remaining quantity is too small."),
            errors=[
                {
                    "field": "lines",
                    "code": "lecheng_quantity_exceeded",
                    "message": _("The approval (批件) for this drug has not enough quantity left."),
                }
            ],
        )
    OrderLine.objects.filter(order=order, proposed_quantity__isnull=False).update(
        proposed_quantity=None, proposed_offer=None, proposal_reason=""
    )
    for line in kept:
        line.proposed_quantity, line.proposed_offer, line.proposal_reason = None, None, ""
    before = {"total_gross": str(order.total_gross), "total_tax": str(order.total_tax)}
    changes = {
        "total_gross": money_sum(line.line_gross for line in kept),
        "total_tax": money_sum(line.line_tax for line in kept),
        "expires_at": timezone.now() + settings.ORDER_CONFIRM_TIMEOUT,  # the confirm deadline restarts
    }
    data = {
        "lines": changed,
        "total_gross": [before["total_gross"], str(changes["total_gross"])],
        "total_tax": [before["total_tax"], str(changes["total_tax"])],
    }
    transition_apply(
        ORDER, order, action=action, actor=actor, note=note, data=data, changes=changes, audit_changes=data
    )
    attach_lines(order, kept)
    announce_order(order, "order.amended", lines=changed)
    return order


def _gate(
    *, order: Order, lines: Sequence[LineRequest], current: dict[int, OrderLine]
) -> tuple[list[LineVerdict], GateFacts]:
    """The gate's verdict on the order as amended, and the facts it judged on; only the increase of a line needs
    stock, and of a Lecheng approval (the rest is reserved already). Raises: OrderNotAllowed, InsufficientStock."""
    facts = gate_facts(buyer=order.buyer, lines=lines, on=today())
    own = lecheng_in_use(current.values())
    for approvals in facts.lecheng_approvals.values():
        for approval in approvals:
            approval.used -= own.get(approval.pk, 0)  # what this order holds is its own to keep (in memory only)
    result = compliance_check(buyer=order.buyer, lines=lines, facts=facts, check_stock=False)
    errors = result.errors()
    for verdict in result.lines:
        offer = verdict.offer
        if offer is None:
            continue
        if offer.supplier_id != order.supplier_id:
            errors.append(
                {
                    "field": f"lines[{verdict.index}].offer_id",
                    "code": "other_supplier",
                    "message": _("An amendment may add offers of the order's supplier only."),
                }
            )
        held = current[offer.pk].quantity if offer.pk in current else 0
        if verdict.request.quantity - held > offer.stock:
            errors.append(
                {
                    "field": f"lines[{verdict.index}].quantity",
                    "code": "insufficient_stock",
                    "message": _("Only %(stock)s more available.") % {"stock": offer.stock},
                }
            )
    if errors:
        if all(error["code"] == "insufficient_stock" for error in errors):
            raise InsufficientStock(_("Not enough stock for one or more lines."), errors=errors)
        raise OrderNotAllowed(
            ngettext("%(count)d rule refuses this amendment.", "%(count)d rules refuse this amendment.", len(errors))
            % {"count": len(errors)},
            errors=errors,
        )
    return result.lines, facts


def _apply_lines(
    *, order: Order, verdicts: list[LineVerdict], current: dict[int, OrderLine], facts: GateFacts
) -> tuple[list[dict], list[OrderLine]]:
    """Write the amended lines; returns the before/after of each line that changed and the order's lines now."""
    refuse_several_payer_funds(
        current[v.offer.pk].payer_fund_id if v.offer.pk in current else v.payer_fund_id for v in verdicts
    )
    changed, kept, updated, added = [], [], [], []
    next_no = max((line.line_no for line in current.values()), default=0) + 1
    for verdict in verdicts:
        offer_id, quantity = verdict.offer.pk, verdict.request.quantity
        line = current.get(offer_id)
        if line is None:
            line = snapshot_line(next_no, verdict, buyer=order.buyer, facts=facts)
            line.order = order
            next_no += 1
            added.append(line)
            changed.append(_change(line, before=None, after=quantity))
        elif line.quantity != quantity:
            changed.append(_change(line, before=line.quantity, after=quantity))
            line.quantity = quantity
            line.line_gross, line.line_tax = line_amounts(
                unit_price=line.unit_price, quantity=quantity, vat_rate=line.vat_rate
            )
            updated.append(line)
        kept.append(line)
    removed = [line for offer_id, line in current.items() if offer_id not in {v.offer.pk for v in verdicts}]
    changed += [_change(line, before=line.quantity, after=None) for line in removed]
    if removed:
        OrderLine.objects.filter(pk__in=[line.pk for line in removed]).delete()
    if updated:
        OrderLine.objects.bulk_update(updated, ["quantity", "line_gross", "line_tax"])
    if added:
        OrderLine.objects.bulk_create(added)
    kept.sort(key=lambda line: line.line_no)
    changed.sort(key=lambda change: change["line_no"])
    return changed, kept


def _change(line: OrderLine, *, before: int | None, after: int | None) -> dict:
    """One line's before/after, as the order event and the webhook tell it (None: absent)."""
    return {
        "line_no": line.line_no,
        "offer_id": line.offer_id,
        "drug_name": line.drug_name,
        "quantity": [before, after],
        "line_gross": [
            None if before is None else str(_gross(line, before)),
            None if after is None else str(_gross(line, after)),
        ],
    }


def _gross(line: OrderLine, quantity: int):
    return line_amounts(unit_price=line.unit_price, quantity=quantity, vat_rate=line.vat_rate)[0]
