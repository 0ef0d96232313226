"""Placing orders (STYLE G8): gate, snapshot, totals, history, announce, and reserve stock last."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import uuid6
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Organization
from catalog.services import offers as catalog_offers
from orders import sql
from orders.compliance import GateFacts, GateResult, LineRequest, LineVerdict, compliance_check, gate_facts, today
from orders.customs import crosses_second_line, lecheng_approval_for
from orders.errors import InsufficientStock, OrderNotAllowed
from orders.models import Order, OrderEvent, OrderLine
from orders.notifications import announce_order
from orders.services.lecheng import lecheng_take
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.money import money_sum


@dataclass(frozen=True)
class Preview:
    result: GateResult
    groups: dict[int, list[LineVerdict]]  # supplier id -> its lines


def checkout_preview(*, actor: Actor, lines: Sequence[LineRequest]) -> Preview:
    """Prices, taxes, totals and every reason a line could not be ordered; places nothing."""
    buyer = actor.require_organization()
    result = compliance_check(buyer=buyer, lines=lines, facts=gate_facts(buyer=buyer, lines=lines, on=today()))
    return Preview(result=result, groups=_by_supplier(result.lines))


# No savepoint inside a caller's transaction (its views run in one, pharmex.api.idempotency): a refused
# placement is never recovered from, the whole request rolls back.
@transaction.atomic(savepoint=False)
def order_place(*, actor: Actor, lines: Sequence[LineRequest], note: str = "") -> Order:
    """Place one order with one supplier; stock is reserved in the same transaction.

    Raises: OrderNotAllowed (every failing rule at once), InsufficientStock.
    """
    buyer = actor.require_organization()
    result, facts = _gate(buyer=buyer, lines=lines)
    groups = _by_supplier(result.lines)
    if len(groups) > 1:
        raise OrderNotAllowed(
            _("An order is placed with one supplier; use /checkout/ for a cart across suppliers."),
            errors=[
                {"field": "lines", "code": "several_suppliers", "message": _("All lines must share one supplier.")}
            ],
        )
    (verdicts,) = groups.values()
    order = _create_order(buyer=buyer, actor=actor, verdicts=verdicts, facts=facts, note=note, checkout_id=None)
    _reserve_stock(verdicts)
    _take_approvals([order], verdicts)
    return order


@transaction.atomic(savepoint=False)
def checkout_place(*, actor: Actor, lines: Sequence[LineRequest], note: str = "") -> list[Order]:
    """A cart across suppliers: one order per supplier, all or nothing.

    Raises: OrderNotAllowed, InsufficientStock.
    """
    buyer = actor.require_organization()
    result, facts = _gate(buyer=buyer, lines=lines)
    checkout_id = uuid6.uuid7()  # time-ordered: the orders' index of it keeps every year (pharmex.context)
    orders = [
        _create_order(buyer=buyer, actor=actor, verdicts=verdicts, facts=facts, note=note, checkout_id=checkout_id)
        for _, verdicts in sorted(_by_supplier(result.lines).items())
    ]
    _reserve_stock(result.lines)
    _take_approvals(orders, result.lines)
    return orders


def _gate(*, buyer: Organization, lines: Sequence[LineRequest]) -> tuple[GateResult, GateFacts]:
    # The offers are read without locks: stock is taken last, by a conditional update that locks them
    # (catalog stock_reserve), so a hot offer stays locked for the end of the transaction only, and a
    # line the gate let through on stock read a moment ago still cannot oversell.
    facts = gate_facts(buyer=buyer, lines=lines, on=today())
    result = compliance_check(buyer=buyer, lines=lines, facts=facts)
    if not result.eligible:
        errors = result.errors()
        if all(error["code"] == "insufficient_stock" for error in errors):
            raise InsufficientStock(_("Not enough stock for one or more lines."), errors=errors)
        raise OrderNotAllowed(
            ngettext("%(count)d rule refuses this order.", "%(count)d rules refuse this order.", len(errors))
            % {"count": len(errors)},
            errors=errors,
        )
    return result, facts


def _reserve_stock(verdicts: list[LineVerdict]) -> None:
    """Take the stock of every line, last: the offers stay locked from here to the commit.

    Raises: InsufficientStock when another order took the stock since the gate read it.
    """
    short = catalog_offers.stock_reserve(quantities={v.offer.pk: v.request.quantity for v in verdicts})
    if short:
        index = next(v.index for v in verdicts if v.offer.pk in short)
        raise InsufficientStock(
            _("Another order took the stock of this line a moment ago."), field=f"lines[{index}].quantity"
        )


def _take_approvals(orders: list[Order], verdicts: list[LineVerdict]) -> None:
    """Take the Lecheng approvals the lines draw on (SPEC §4a), after the stock and like it."""
    lines = [line for order in orders for line in order.lines.all()]
    if any(line.lecheng_approval_id is not None for line in lines):
        index_of = {v.offer.pk: v.index for v in verdicts}
        lecheng_take(lines=lines, indexes={line.pk: index_of[line.offer_id] for line in lines})


def _by_supplier(verdicts: list[LineVerdict]) -> dict[int, list[LineVerdict]]:
    groups: dict[int, list[LineVerdict]] = {}
    for verdict in verdicts:
        if verdict.offer is not None:
            groups.setdefault(verdict.offer.supplier_id, []).append(verdict)
    return groups


def _create_order(
    *,
    buyer: Organization,
    actor: Actor,
    verdicts: list[LineVerdict],
    facts: GateFacts,
    note: str,
    checkout_id: uuid.UUID | None,
) -> Order:
    refuse_several_payer_funds(v.payer_fund_id for v in verdicts)
    now = timezone.now()
    supplier = verdicts[0].offer.supplier
    order = Order(
        buyer=buyer,
        supplier=supplier,
        # Both parties as the sales record names them (SPEC §5): renames and renewals later change nothing here.
        buyer_name=buyer.legal_name,
        buyer_license_number=facts.license_numbers.get(buyer.pk, ""),
        supplier_name=supplier.legal_name,
        supplier_license_number=facts.license_numbers.get(supplier.pk, ""),
        checkout_id=checkout_id,
        placed_by=actor.audit.label,
        note=note,
        buyer_province=buyer.province_code,
        total_gross=money_sum(v.gross for v in verdicts),
        total_tax=money_sum(v.tax for v in verdicts),
        placed_at=now,
        expires_at=now + settings.ORDER_CONFIRM_TIMEOUT,
    )
    sql.order_insert(
        order,
        [snapshot_line(number, verdict, buyer=buyer, facts=facts) for number, verdict in enumerate(verdicts, 1)],
        OrderEvent(action="place", to_status=order.status, actor=actor.audit.label, note=note, created_at=now),
    )
    audit_record(
        actor=actor.audit,
        action="order.placed",
        object_type="order",
        object_id=order.pk,
        organization_id=buyer.pk,
        changes={
            "number": order.number,
            "supplier": supplier.pk,
            "total_gross": order.total_gross,
            "lines": [[v.offer.pk, v.request.quantity] for v in verdicts],
        },
    )
    announce_order(order, "order.placed")
    return order


def refuse_several_payer_funds(fund_ids: Iterable[int | None]) -> None:
    """The receivable is split between the buyer and one fund at receipt (settlements): lines of two funds'
    direct-settlement contracts are placed as two orders. Raises: OrderNotAllowed (`several_payer_funds`)."""
    if len(set(fund_ids) - {None}) > 1:
        raise OrderNotAllowed(
            _("These lines are paid by different medical insurance funds; place them as separate orders."),
            errors=[
                {
                    "field": "lines",
                    "code": "several_payer_funds",
                    "message": _("All fund-paid lines of an order must share one medical insurance fund."),
                }
            ],
        )


def snapshot_line(line_no: int, verdict: LineVerdict, *, buyer: Organization, facts: GateFacts) -> OrderLine:
    offer, drug = verdict.offer, verdict.offer.drug
    approval = (
        lecheng_approval_for(approvals=facts.lecheng_approvals.get(drug.pk, []), quantity=verdict.request.quantity)
        if drug.special_licensed
        else None
    )
    return OrderLine(
        customs_status=offer.customs_status,
        second_line=crosses_second_line(buyer=buyer, offer=offer),
        lecheng_approval=approval,
        line_no=line_no,
        offer=offer,
        drug=drug,
        drug_name=drug.generic_name,
        brand_name=drug.brand_name,
        dosage_form=drug.dosage_form,
        specification=drug.specification,
        package=drug.package,
        manufacturer_name=drug.manufacturer_name,
        mah_name=drug.mah_name,
        approval_number=drug.approval_number,
        sale_unit=drug.sale_unit,
        unit_price=verdict.unit_price,  # a contract or quoted price when lower (orders.gate_rules)
        vat_rate=offer.vat_rate,
        quantity=verdict.request.quantity,
        line_gross=verdict.gross,
        line_tax=verdict.tax,
        payer_fund_id=verdict.payer_fund_id,  # a direct-settlement 集采 contract's fund, like the price
    )
