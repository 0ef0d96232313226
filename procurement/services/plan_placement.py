"""Placing a procurement plan (SPEC §5a) as one checkout: the buyer stores a checked plan (`plan_create`) and
places it (`plan_place`): every line the check found eligible becomes a line of one checkout — an order per
supplier — all or nothing, in one transaction, once.

The decisions, documented in the API guide (procurement chapter):
- a plan with an ineligible line is refused whole unless the buyer asks for `eligible_only`, which orders the
  eligible lines and leaves the others out (nothing is guessed for them);
- the gate runs again at placement on the offers chosen at the check: a line it refuses now (stock taken,
  offer withdrawn, designation ended) refuses the whole placement, naming the rows; a price that moved since the
  check is the gate's price at placement, and each line reports both (`unit_price`, `placed_unit_price`);
- placing a placed plan again answers its orders (created False), so a retry without an Idempotency-Key cannot
  order twice either: the plan row is locked first.
"""

from __future__ import annotations

import re
from typing import BinaryIO

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from orders.compliance import LineRequest
from orders.errors import OrderNotAllowed
from orders.models import Order
from orders.services import checkout_place
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.errors import DomainError, NotAParty
from pharmex.transitions import transition_apply
from procurement.choices import PlanStatus
from procurement.models import ProcurementPlan, ProcurementPlanLine
from procurement.notifications import announce_plan
from procurement.services.plans import plan_check
from procurement.transitions import PLAN

_LINE_FIELD = re.compile(r"^lines\[(\d+)\]")


@transaction.atomic
def plan_create(*, actor: Actor, upload: BinaryIO, name: str) -> ProcurementPlan:
    """Check the plan like `plan_check` and keep it, status `checked`, with every line as checked.

    Raises: InvalidInput (what plan_check refuses)."""
    buyer = actor.require_organization()
    lines = plan_check(actor=actor, upload=upload, name=name)
    plan = ProcurementPlan.objects.create(buyer=buyer, file_name=name[:255], created_by=actor.audit.label[:255])
    ProcurementPlanLine.objects.bulk_create(
        ProcurementPlanLine(
            plan=plan,
            row=line.row,
            drug_ref=line.drug_id,
            supplier_ref=line.supplier_id,
            quantity=line.quantity,
            offer_id=line.offer_id,
            unit_price=line.unit_price,
            gross=line.gross,
            reasons=line.reasons,
        )
        for line in lines
    )
    audit_record(
        actor=actor.audit,
        action="procurement_plan.checked",
        object_type="procurement_plan",
        object_id=plan.pk,
        organization_id=buyer.pk,
        changes={"file": plan.file_name, "lines": len(lines), "eligible": sum(line.eligible for line in lines)},
    )
    return plan


def plan_orders(plan: ProcurementPlan) -> list[Order]:
    if plan.checkout_id is None:
        return []
    return list(Order.objects.filter(checkout_id=plan.checkout_id, buyer_id=plan.buyer_id).order_by("id"))


def _refusal(lines: list[ProcurementPlanLine]) -> OrderNotAllowed:
    errors = [
        {**reason, "field": f"rows[{line.row}].{reason.get('field', 'drug_id')}"}
        for line in lines
        for reason in line.reasons
    ]
    return OrderNotAllowed(
        ngettext(
            "%(count)d row of the plan cannot be ordered; fix it, or place only the eligible rows (eligible_only).",
            "%(count)d rows of the plan cannot be ordered; fix them, or place only the eligible rows (eligible_only).",
            len(lines),
        )
        % {"count": len(lines)},
        errors=errors,
    )


def _by_row(error: DomainError, placing: list[ProcurementPlanLine]) -> DomainError:
    """The checkout names its lines by index (`lines[3].quantity`); the buyer knows them by plan row."""

    def rename(name: str | None) -> str | None:
        if name is None:
            return None
        return _LINE_FIELD.sub(lambda match: f"rows[{placing[int(match.group(1))].row}]", name)

    error.field = rename(error.field)
    if error.errors:
        error.errors = [{**item, "field": rename(item.get("field"))} for item in error.errors]
    return error


@transaction.atomic(savepoint=False)
def plan_place(
    *, actor: Actor, plan: ProcurementPlan, eligible_only: bool = False, note: str = ""
) -> tuple[ProcurementPlan, list[Order], bool]:
    """Place the plan's eligible lines as one checkout. Returns (plan, orders, created): a placed plan answers its
    orders with created False.

    Raises: NotAParty (not the buyer), OrderNotAllowed (an ineligible row without eligible_only, no eligible row,
    or a row the gate refuses now), InsufficientStock (another order took the stock since the check).
    """
    if not actor.acts_for(plan.buyer_id):
        raise NotAParty()
    # The plan row first: two placements of one plan queue here, and the second finds it placed.
    locked = ProcurementPlan.objects.select_for_update().get(pk=plan.pk)
    if locked.status == PlanStatus.PLACED:
        return locked, plan_orders(locked), False
    lines = list(locked.lines.select_related("offer").order_by("row"))
    ineligible = [line for line in lines if not line.eligible]
    placing = [line for line in lines if line.eligible]
    if ineligible and not eligible_only:
        raise _refusal(ineligible)
    if not placing:
        raise OrderNotAllowed(
            _("No row of the plan can be ordered."),
            errors=[{"field": "plan", "code": "nothing_to_place", "message": _("No row of the plan is eligible.")}],
        )
    requests = [LineRequest(offer_id=line.offer_id, quantity=line.quantity) for line in placing]
    try:
        orders = checkout_place(actor=actor, lines=requests, note=note)
    except DomainError as error:
        raise _by_row(error, placing) from None
    _link(placing, orders)
    changed = [line.row for line in placing if line.placed_unit_price != line.unit_price]
    locked = transition_apply(
        PLAN,
        locked,
        action="place",
        actor=actor,
        note=note,
        data={"orders": [order.pk for order in orders], "skipped_rows": [line.row for line in ineligible]},
        changes={"checkout_id": orders[0].checkout_id},
        audit_changes={
            "checkout_id": str(orders[0].checkout_id),
            "orders": [order.pk for order in orders],
            "skipped_rows": [line.row for line in ineligible],
            "price_changed_rows": changed,
        },
    )
    announce_plan(locked, orders, skipped_rows=[line.row for line in ineligible], price_changed_rows=changed)
    return locked, orders, True


def _link(placing: list[ProcurementPlanLine], orders: list[Order]) -> None:
    """Each placed row to its order line: the checkout makes an order per supplier (by supplier id) whose lines
    keep the rows' order."""
    rows_of: dict[int, list[ProcurementPlanLine]] = {}
    for line in placing:
        rows_of.setdefault(line.offer.supplier_id, []).append(line)
    for order in orders:
        for line, order_line in zip(rows_of[order.supplier_id], order.lines.order_by("line_no"), strict=True):
            line.order_line, line.placed_unit_price = order_line, order_line.unit_price
    ProcurementPlanLine.objects.bulk_update(placing, ["order_line", "placed_unit_price"])
