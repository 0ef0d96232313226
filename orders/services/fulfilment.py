"""Shipping and receiving (SPEC §5): lots, expiry, traceability codes, short shipments, 入库验收."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.services import offers as catalog_offers
from orders.choices import OrderStatus
from orders.errors import DuplicateTraceCode, RecalledLot, ReceiptInvalid, ShipmentInvalid
from orders.models import Order, OrderLine, Recall, Shipment, ShipmentLine, SuspectedDiversion, TraceCode
from orders.services.lifecycle import due_ids, order_apply, order_lock
from pharmex.actor import SYSTEM_ACTOR, Actor
from pharmex.audit import audit_record
from pharmex.errors import InvalidTransition
from pharmex.money import line_amounts, money_sum
from webhooks.services import outbox_publish

TRACE_CODE = re.compile(r"^8\d{19}$")


def order_ship(*, order: Order, actor: Actor, data: dict) -> Order:
    """Ship a confirmed order, possibly short (the shortfall goes back to stock).

    A traceability code already shipped anywhere on the platform refuses the whole shipment and is
    flagged as suspected counterfeit or diversion; the flag is committed although the shipment is not.
    Raises: ShipmentInvalid, RecalledLot, DuplicateTraceCode, InvalidTransition, NotAParty.
    """
    codes = [code for line in data["lines"] for code in line.get("trace_codes", [])]
    try:
        with transaction.atomic():
            return _ship(order=order, actor=actor, data=data, codes=codes)
    except _CodesAlreadyShipped:
        pass
    except IntegrityError as error:
        # Two shipments raced for one code: the unique index let one through; this one is the repeat.
        if "tracecode" not in str(error).lower():
            raise
    raise _flag_duplicates(order=order, actor=actor, codes=codes)


class _CodesAlreadyShipped(Exception):
    """Rolls the shipment back so the flag can be written in a transaction of its own."""


@transaction.atomic
def _flag_duplicates(*, order: Order, actor: Actor, codes: list[str]) -> DuplicateTraceCode:
    shipped = dict(TraceCode.objects.filter(code__in=codes).values_list("code", "shipment_line_id"))
    for code in sorted(shipped):
        SuspectedDiversion.objects.create(
            code=code, attempted_order=order, attempted_by=actor.audit.label, first_shipment_line_id=shipped[code]
        )
    audit_record(
        actor=actor.audit,
        action="trace.duplicate_code",
        object_type="order",
        object_id=order.pk,
        organization_id=order.supplier_id,
        changes={"codes": sorted(shipped)},
    )
    outbox_publish(
        event_type="trace.duplicate_code",
        organization_ids=[order.supplier_id],
        payload={"order_id": order.pk, "number": order.number, "codes": sorted(shipped)},
        object_type="order",
        object_id=order.pk,
    )
    return DuplicateTraceCode(
        f"Already shipped on the platform: {', '.join(sorted(shipped))}. The attempt is flagged for review.",
        errors=[{"field": "lines", "code": "duplicate_trace_code", "message": code} for code in sorted(shipped)],
    )


def _ship(*, order: Order, actor: Actor, data: dict, codes: list[str]) -> Order:
    order = order_lock(order_id=order.pk, action="ship", actor=actor, related=("buyer",))
    if TraceCode.objects.filter(code__in=codes).exists():
        raise _CodesAlreadyShipped
    lines = {line.pk: line for line in order.lines.all()}
    shipped = _validate_shipment(order=order, lines=lines, data=data)
    shipment = Shipment.objects.create(
        order=order,
        carrier=data["carrier"],
        tracking_number=data["tracking_number"],
        invoice_numbers=data["invoice_numbers"],
        invoice_amount=data["invoice_amount"],
        shipped_by=actor.audit.label,
    )
    for item in data["lines"]:
        line = lines[item["order_line_id"]]
        shipment_line = ShipmentLine.objects.create(
            shipment=shipment,
            order_line=line,
            drug_id=line.drug_id,
            lot_number=item["lot_number"],
            expiry_date=item["expiry_date"],
            quantity=item["quantity"],
        )
        TraceCode.objects.bulk_create(
            [TraceCode(code=code, shipment_line=shipment_line) for code in item.get("trace_codes", [])]
        )
    short = {}
    for line in lines.values():
        line.shipped_quantity = shipped.get(line.pk, 0)
        if line.quantity > line.shipped_quantity:
            short[line.pk] = line.quantity - line.shipped_quantity
            catalog_offers.stock_release(offer_id=line.offer_id, quantity=short[line.pk])
    OrderLine.objects.bulk_update(lines.values(), ["shipped_quantity"])
    return order_apply(
        order=order,
        action="ship",
        actor=actor,
        note=data.get("note", ""),
        data={"shipment_id": shipment.pk, "short": {str(k): v for k, v in short.items()}},
    )


def _validate_shipment(*, order: Order, lines: dict[int, OrderLine], data: dict) -> dict[int, int]:
    errors, shipped = [], defaultdict(int)
    earliest_expiry = timezone.localdate() + timedelta(days=order.buyer.min_shelf_life_days)
    recalled = _recalled_lots({lines[i["order_line_id"]].drug_id for i in data["lines"] if i["order_line_id"] in lines})
    seen_codes: set[str] = set()
    for index, item in enumerate(data["lines"]):
        at = f"lines[{index}]"
        line = lines.get(item["order_line_id"])
        if line is None:
            errors.append(
                {"field": f"{at}.order_line_id", "code": "unknown_line", "message": "Not a line of this order."}
            )
            continue
        shipped[line.pk] += item["quantity"]
        if item["expiry_date"] < earliest_expiry:
            errors.append(
                {
                    "field": f"{at}.expiry_date",
                    "code": "shelf_life_too_short",
                    "message": f"The buyer needs stock expiring on or after {earliest_expiry}.",
                }
            )
        if item["lot_number"] in recalled.get(line.drug_id, set()):
            raise RecalledLot(f"Lot {item['lot_number']} of {line.drug_name} is recalled.", field=f"{at}.lot_number")
        codes = item.get("trace_codes", [])
        if len(codes) > item["quantity"]:
            errors.append(
                {
                    "field": f"{at}.trace_codes",
                    "code": "too_many_codes",
                    "message": "More traceability codes than units shipped.",
                }
            )
        for code in codes:
            if not TRACE_CODE.match(code) or code in seen_codes:
                errors.append(
                    {
                        "field": f"{at}.trace_codes",
                        "code": "invalid_trace_code",
                        "message": f"{code}: a code is 20 digits starting with 8, once per shipment.",
                    }
                )
            seen_codes.add(code)
    for line_id, quantity in shipped.items():
        if quantity > lines[line_id].quantity:
            errors.append(
                {
                    "field": "lines",
                    "code": "over_shipped",
                    "message": f"Line {lines[line_id].line_no}: {quantity} shipped, {lines[line_id].quantity} ordered.",
                }
            )
    if not errors and not sum(shipped.values()):
        errors.append({"field": "lines", "code": "nothing_shipped", "message": "Ship at least one unit."})
    if errors:
        raise ShipmentInvalid(f"{len(errors)} problem(s) with the shipment.", errors=errors)
    return dict(shipped)


def _recalled_lots(drug_ids: set[int]) -> dict[int, set[str]]:
    recalled: dict[int, set[str]] = defaultdict(set)
    for drug_id, lots in Recall.objects.filter(drug_id__in=drug_ids).values_list("drug_id", "lots"):
        recalled[drug_id].update(lots)
    return recalled


@transaction.atomic
def order_receive(
    *, order: Order, actor: Actor, lines: list[dict], scanned_codes: list[str] | None = None, note: str = ""
) -> tuple[Order, dict | None]:
    """The buyer's goods-in check: per line accepted + rejected = shipped, a reason for rejections.

    Returns the order and, when codes were scanned, their difference from what was shipped.
    Raises: ReceiptInvalid, InvalidTransition, NotAParty.
    """
    order = order_lock(order_id=order.pk, action="receive", actor=actor)
    order_lines = {line.pk: line for line in order.lines.all()}
    given: dict[int, tuple[int, dict]] = {}
    errors = []
    for index, item in enumerate(lines):
        if item["order_line_id"] in given:  # the same line twice would silently keep the last one
            first = given[item["order_line_id"]][0]
            errors.append(
                {
                    "field": f"lines[{index}].order_line_id",
                    "code": "duplicate_line",
                    "message": f"Line {item['order_line_id']} is already given at lines[{first}].",
                }
            )
        else:
            given[item["order_line_id"]] = (index, item)
    for line in order_lines.values():
        if line.shipped_quantity == 0:
            continue
        if line.pk not in given:
            errors.append({"field": "lines", "code": "line_missing", "message": f"Line {line.line_no} is missing."})
            continue
        index, item = given[line.pk]
        if item["accepted_quantity"] + item["rejected_quantity"] != line.shipped_quantity:
            errors.append(
                {
                    "field": f"lines[{index}]",
                    "code": "quantities_do_not_add_up",
                    "message": f"Accepted + rejected must equal the {line.shipped_quantity} shipped.",
                }
            )
        if item["rejected_quantity"] and not item.get("rejection_reason"):
            errors.append(
                {
                    "field": f"lines[{index}].rejection_reason",
                    "code": "required",
                    "message": "Give a reason for rejected goods.",
                }
            )
    for item_id, (index, _) in given.items():
        if item_id not in order_lines or order_lines[item_id].shipped_quantity == 0:
            errors.append(
                {
                    "field": f"lines[{index}].order_line_id",
                    "code": "unknown_line",
                    "message": "Not a shipped line of this order.",
                }
            )
    if errors:
        raise ReceiptInvalid(f"{len(errors)} problem(s) with the receipt.", errors=errors)
    for line in order_lines.values():
        if line.pk in given:
            _, item = given[line.pk]
            line.accepted_quantity, line.rejected_quantity = item["accepted_quantity"], item["rejected_quantity"]
            line.rejection_reason = item.get("rejection_reason") or ""
    OrderLine.objects.bulk_update(order_lines.values(), ["accepted_quantity", "rejected_quantity", "rejection_reason"])
    difference = scan_difference(order=order, scanned=scanned_codes) if scanned_codes is not None else None
    order = order_apply(
        order=order,
        action="receive",
        actor=actor,
        note=note,
        changes={"accepted_gross": _accepted_gross(order_lines.values())},
        data={"scan_difference": difference} if difference else {},
    )
    return order, difference


def _accepted_gross(lines) -> Decimal:
    """What the buyer owes: each line's gross for the accepted quantity, rounded per line."""
    return money_sum(
        line_amounts(unit_price=line.unit_price, quantity=line.accepted_quantity, vat_rate=line.vat_rate)[0]
        for line in lines
    )


def scan_difference(*, order: Order, scanned: list[str]) -> dict:
    """Codes shipped but not scanned (missing), scanned from other shipments (extra), never shipped (unknown)."""
    shipped = set(TraceCode.objects.filter(shipment_line__shipment__order=order).values_list("code", flat=True))
    scanned_set = set(scanned)
    elsewhere = set(TraceCode.objects.filter(code__in=scanned_set - shipped).values_list("code", flat=True))
    return {
        "missing": sorted(shipped - scanned_set),
        "extra": sorted(elsewhere),
        "unknown": sorted(scanned_set - shipped - elsewhere),
    }


@transaction.atomic
def receive_in_full(*, order_id: int) -> Order:
    """Receive everything that was shipped (the auto-receive job). Raises: InvalidTransition."""
    order = order_lock(order_id=order_id, action="auto_receive", actor=SYSTEM_ACTOR)
    lines = list(order.lines.all())
    for line in lines:
        line.accepted_quantity, line.rejected_quantity = line.shipped_quantity, 0
    OrderLine.objects.bulk_update(lines, ["accepted_quantity", "rejected_quantity"])
    return order_apply(
        order=order,
        action="auto_receive",
        actor=SYSTEM_ACTOR,
        note=f"Received automatically after {settings.AUTO_RECEIVE_AFTER.days} days.",
        changes={"accepted_gross": _accepted_gross(lines)},
    )


def order_auto_receive_due(*, now: datetime | None = None, batch: int = 500) -> int:
    """Job: receive in full the orders shipped more than AUTO_RECEIVE_DAYS ago."""
    now = now or timezone.now()
    due = Order.objects.filter(status=OrderStatus.SHIPPED, shipped_at__lte=now - settings.AUTO_RECEIVE_AFTER)
    received = 0
    for order_id in due_ids(due.order_by("pk"), batch=batch):
        try:
            receive_in_full(order_id=order_id)
            received += 1
        except InvalidTransition:
            continue
    return received
