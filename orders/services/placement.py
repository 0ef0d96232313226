"""Placing orders (STYLE G8): gate, lock in pk order, reserve, snapshot, totals, history, announce."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts.actor import Actor
from accounts.models import Organization
from catalog import selectors as catalog_selectors
from catalog.services import offers as catalog_offers
from orders.compliance import GateResult, LineRequest, LineVerdict, compliance_check, gate_facts, today
from orders.errors import InsufficientStock, OrderNotAllowed
from orders.models import Order, OrderEvent, OrderLine, attach_lines
from orders.notify import announce_order
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


@transaction.atomic
def order_place(*, actor: Actor, lines: Sequence[LineRequest], note: str = "") -> Order:
    """Place one order with one supplier; stock is reserved in the same transaction.

    Raises: OrderNotAllowed (every failing rule at once), InsufficientStock.
    """
    buyer = actor.require_organization()
    result = _gate_on_locked_offers(buyer=buyer, lines=lines)
    groups = _by_supplier(result.lines)
    if len(groups) > 1:
        raise OrderNotAllowed(
            "An order is placed with one supplier; use /checkout/ for a cart across suppliers.",
            errors=[{"field": "lines", "code": "several_suppliers", "message": "All lines must share one supplier."}],
        )
    (verdicts,) = groups.values()
    return _create_order(buyer=buyer, actor=actor, verdicts=verdicts, note=note, checkout_id=None)


@transaction.atomic
def checkout_place(*, actor: Actor, lines: Sequence[LineRequest], note: str = "") -> list[Order]:
    """A cart across suppliers: one order per supplier, all or nothing.

    Raises: OrderNotAllowed, InsufficientStock.
    """
    buyer = actor.require_organization()
    result = _gate_on_locked_offers(buyer=buyer, lines=lines)
    checkout_id = uuid.uuid4()
    return [
        _create_order(buyer=buyer, actor=actor, verdicts=verdicts, note=note, checkout_id=checkout_id)
        for _, verdicts in sorted(_by_supplier(result.lines).items())
    ]


def _gate_on_locked_offers(*, buyer: Organization, lines: Sequence[LineRequest]) -> GateResult:
    # Lock every offer of the cart in primary-key order before reading stock: concurrent carts that
    # share offers queue in the same order and never deadlock, and the checks see committed stock.
    offers = {
        offer.pk: offer for offer in catalog_selectors.offer_list_for_update(ids=[line.offer_id for line in lines])
    }
    facts = gate_facts(buyer=buyer, lines=lines, on=today(), offers=offers)
    result = compliance_check(buyer=buyer, lines=lines, facts=facts)
    if not result.eligible:
        errors = result.errors()
        if all(error["code"] == "insufficient_stock" for error in errors):
            raise InsufficientStock("Not enough stock for one or more lines.", errors=errors)
        raise OrderNotAllowed(f"{len(errors)} rule(s) refuse this order.", errors=errors)
    return result


def _by_supplier(verdicts: list[LineVerdict]) -> dict[int, list[LineVerdict]]:
    groups: dict[int, list[LineVerdict]] = {}
    for verdict in verdicts:
        if verdict.offer is not None:
            groups.setdefault(verdict.offer.supplier_id, []).append(verdict)
    return groups


def next_order_number(now: datetime) -> str:
    """PX + local date + a platform-wide sequence (a database sequence: no lock, never reused)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('orders_order_number_seq')")
        (sequence,) = cursor.fetchone()
    return f"PX{timezone.localtime(now):%Y%m%d}{sequence:08d}"


def _create_order(
    *, buyer: Organization, actor: Actor, verdicts: list[LineVerdict], note: str, checkout_id: uuid.UUID | None
) -> Order:
    now = timezone.now()
    supplier = verdicts[0].offer.supplier
    order = Order.objects.create(
        number=next_order_number(now),
        buyer=buyer,
        supplier=supplier,
        checkout_id=checkout_id,
        placed_by=actor.audit.label,
        note=note,
        buyer_province=buyer.province_code,
        total_gross=money_sum(v.gross for v in verdicts),
        total_tax=money_sum(v.tax for v in verdicts),
        placed_at=now,
        expires_at=now + settings.ORDER_CONFIRM_TIMEOUT,
    )
    lines = OrderLine.objects.bulk_create(
        [_snapshot(order, number, verdict) for number, verdict in enumerate(verdicts, 1)]
    )
    attach_lines(order, lines)  # the response shows them: no need to read them back
    short = catalog_offers.stock_reserve(quantities={v.offer.pk: v.request.quantity for v in verdicts})
    if short:  # only if the lock was bypassed: the gate checked stock on the locked rows
        index = next(v.index for v in verdicts if v.offer.pk in short)
        raise InsufficientStock(field=f"lines[{index}].quantity")
    OrderEvent.objects.create(order=order, action="place", to_status=order.status, actor=actor.audit.label, note=note)
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


def _snapshot(order: Order, line_no: int, verdict: LineVerdict) -> OrderLine:
    offer, drug = verdict.offer, verdict.offer.drug
    return OrderLine(
        order=order,
        line_no=line_no,
        offer=offer,
        drug=drug,
        drug_name=drug.generic_name,
        brand_name=drug.brand_name,
        specification=drug.specification,
        package=drug.package,
        approval_number=drug.approval_number,
        sale_unit=drug.sale_unit,
        unit_price=offer.unit_price,
        vat_rate=offer.vat_rate,
        quantity=verdict.request.quantity,
        line_gross=verdict.gross,
        line_tax=verdict.tax,
    )
