"""Receiving (入库验收, SPEC §5): the buyer checks each shipment in — per line accepted and rejected — and the
order is received when its last shipment is."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.choices import OrderStatus, ShipmentStatus
from orders.compliance import buyer_may_receive_reasons
from orders.errors import ReceiptInvalid, SeveralShipmentsInTransit, StepNotAllowed
from orders.models import CustodyHop, Order, OrderLine, Shipment, ShipmentLine, TraceCode
from orders.notifications import announce_shipment
from orders.receipt_rules import ReceiptRefused, check_receipt
from orders.services.custody import custody_receive
from orders.services.lifecycle import order_complete_if_done
from orders.trace_codes import canonical
from orders.transitions import SHIPMENT
from pharmex.actor import SYSTEM_ACTOR, Actor
from pharmex.errors import InvalidTransition, NotAParty
from pharmex.jobs import work_through
from pharmex.money import line_amounts, money_sum
from pharmex.transitions import transition_apply, transition_lock


@transaction.atomic
def shipment_receive(
    *, shipment: Shipment, actor: Actor, lines: list[dict], scanned_codes: list[str] | None = None, note: str = ""
) -> tuple[Shipment, Order, dict | None]:
    """The buyer's goods-in check of one shipment: every line, accepted + rejected = shipped, a reason for
    rejections and, where the line carried codes, which codes were rejected.

    Returns the shipment, its order and — when codes were scanned — their difference from what was shipped.
    Raises: ReceiptInvalid, InvalidTransition, NotAParty, StepNotAllowed (the buyer's licence no longer covers
    the goods), ReceiptRefused (a registered check: e.g. the two-invoice chain is broken).
    """
    order, shipment = _lock(shipment_id=shipment.pk, action="receive", actor=actor)
    shipment_lines = {line.pk: line for line in shipment.lines.all()}
    codes = _line_codes(shipment)
    rejected_codes = _check(lines, shipment_lines, codes)
    now = timezone.now()
    for item in lines:
        line = shipment_lines[item["shipment_line_id"]]
        line.accepted_quantity, line.rejected_quantity = item["accepted_quantity"], item["rejected_quantity"]
        line.rejection_reason = item.get("rejection_reason") or ""
    ShipmentLine.objects.bulk_update(
        shipment_lines.values(), ["accepted_quantity", "rejected_quantity", "rejection_reason"]
    )
    _add_to_order_lines(order, shipment_lines.values())
    custody_receive(shipment=shipment, rejected_code_ids=rejected_codes, moment=now)
    difference = _scan_difference(shipment=shipment, scanned=scanned_codes) if scanned_codes is not None else None
    _settle(shipment=shipment, order=order, action="receive", actor=actor, note=note, difference=difference)
    return shipment, order, difference


def order_receive(
    *, order: Order, actor: Actor, lines: list[dict], scanned_codes: list[str] | None = None, note: str = ""
) -> tuple[Order, dict | None]:
    """`POST /orders/{id}/receive/` (v1): receive the order's one shipment in transit, its lines named by order line.

    An order line shipped in several lots is accepted in full that way; a rejection must name the lot, through
    the shipment's own receipt. Raises: SeveralShipmentsInTransit and what shipment_receive raises.
    """
    in_transit = list(order.shipments.filter(status=ShipmentStatus.IN_TRANSIT).prefetch_related("lines")[:2])
    if not in_transit:
        raise InvalidTransition(
            _("Cannot receive an order that is %(status)s with nothing in transit.") % {"status": order.status}
        )
    if len(in_transit) > 1:
        raise SeveralShipmentsInTransit()
    shipment = in_transit[0]
    by_order_line: dict[int, list[ShipmentLine]] = defaultdict(list)
    for line in shipment.lines.all():
        by_order_line[line.order_line_id].append(line)
    mapped, errors = [], []
    for index, item in enumerate(lines):
        targets = by_order_line.get(item["order_line_id"], [])
        if not targets:
            errors.append(
                {
                    "field": f"lines[{index}].order_line_id",
                    "code": "unknown_line",
                    "message": _("Not a shipped line of this order."),
                }
            )
        elif len(targets) > 1 and item["rejected_quantity"]:
            errors.append(
                {
                    "field": f"lines[{index}]",
                    "code": "ambiguous_line",
                    "message": _("This line shipped in several lots: reject by lot at /shipments/%(id)s/receive/.")
                    % {"id": shipment.pk},
                }
            )
        elif len(targets) > 1:
            if item["accepted_quantity"] != sum(target.quantity for target in targets):
                errors.append(_quantities_error(f"lines[{index}]", sum(target.quantity for target in targets)))
            mapped += [
                {"shipment_line_id": t.pk, "accepted_quantity": t.quantity, "rejected_quantity": 0} for t in targets
            ]
        else:
            mapped.append({**item, "shipment_line_id": targets[0].pk})
    if errors:
        raise ReceiptInvalid(_("%(count)s problem(s) with the receipt.") % {"count": len(errors)}, errors=errors)
    shipment, order, difference = shipment_receive(
        shipment=shipment, actor=actor, lines=mapped, scanned_codes=scanned_codes, note=note
    )
    return order, difference


@transaction.atomic
def shipment_receive_in_full(*, shipment_id: int) -> Shipment:
    """Receive everything a shipment carried (the auto-receive job). Raises: InvalidTransition, ReceiptRefused."""
    order, shipment = _lock(shipment_id=shipment_id, action="auto_receive", actor=SYSTEM_ACTOR)
    shipment_lines = list(shipment.lines.all())
    for line in shipment_lines:
        line.accepted_quantity, line.rejected_quantity = line.quantity, 0
    ShipmentLine.objects.bulk_update(shipment_lines, ["accepted_quantity", "rejected_quantity"])
    _add_to_order_lines(order, shipment_lines)
    custody_receive(shipment=shipment, rejected_code_ids=set(), moment=timezone.now())
    note = _("Received automatically after %(days)s days.") % {"days": settings.AUTO_RECEIVE_AFTER.days}
    _settle(shipment=shipment, order=order, action="auto_receive", actor=SYSTEM_ACTOR, note=note, difference=None)
    return shipment


def order_auto_receive_due(*, now: datetime | None = None, batch: int = 500) -> int:
    """Job: receive in full the shipments in transit for more than AUTO_RECEIVE_DAYS, up to `batch` of them.

    One the job may not receive stays in transit and is passed over (`pharmex.jobs.work_through`)."""
    now = now or timezone.now()
    due = Shipment.objects.filter(
        status=ShipmentStatus.IN_TRANSIT, created_at__lte=now - settings.AUTO_RECEIVE_AFTER
    ).order_by("pk")
    return work_through(due, limit=batch, handle=_received_in_full).done


def _received_in_full(shipment_id: int) -> bool:
    try:
        shipment_receive_in_full(shipment_id=shipment_id)
    except InvalidTransition:
        return False  # the buyer received it meanwhile
    except ReceiptRefused:
        return False  # e.g. a broken two-invoice chain: the buyer may not take the goods in, so neither may the job
    return True


def _lock(*, shipment_id: int, action: str, actor: Actor) -> tuple[Order, Shipment]:
    """The shipment's order, then the shipment, locked (always in that order: receipts, shipping and closing
    of one order never deadlock); the buyer's licence must still cover the goods (the auto-receive job receives
    what was delivered regardless); the registered receipt checks pass (the job's too: a public institution may
    not take in goods whose invoice chain is broken). Raises: InvalidTransition, NotAParty, StepNotAllowed,
    ReceiptRefused."""
    order_id = Shipment.objects.values_list("order_id", flat=True).get(pk=shipment_id)
    order = Order.objects.select_for_update(of=("self",)).select_related("buyer").get(pk=order_id)
    if action == "receive" and not actor.acts_for(order.buyer_id):
        raise NotAParty(_("Only the buyer may do this."))
    if order.status not in (OrderStatus.PARTIALLY_SHIPPED, OrderStatus.SHIPPED):
        raise InvalidTransition(_("Cannot receive a shipment of an order that is %(s)s.") % {"s": order.status})
    shipment = transition_lock(SHIPMENT, shipment_id, action)
    if action == "receive" and (reasons := buyer_may_receive_reasons(order)):
        raise StepNotAllowed(
            _("The goods cannot be received now: your licence does not cover them."),
            errors=[reason.as_error() for reason in reasons],
        )
    check_receipt(shipment=shipment, order=order)
    return order, shipment


def _line_codes(shipment: Shipment) -> dict[int, dict[str, tuple[int, bool, int | None]]]:
    """Per shipment line: code → (id, is_case, its case's id) for the codes the line carried."""
    found: dict[int, dict[str, tuple[int, bool, int | None]]] = defaultdict(dict)
    rows = CustodyHop.objects.of_shipment(shipment).values_list(
        "shipment_line_id", "code__code", "code_id", "code__is_case", "code__case_id"
    )
    for line_id, code, code_id, is_case, case_id in rows:
        found[line_id][code] = (code_id, is_case, case_id)
    return found


def _check(lines: list[dict], shipment_lines: dict[int, ShipmentLine], codes) -> set[int]:
    """Every problem of a receipt at once; returns the ids of the rejected codes (a rejected case: and its units).

    Raises: ReceiptInvalid.
    """
    errors, given, rejected = [], {}, set()
    for index, item in enumerate(lines):
        line_id = item["shipment_line_id"]
        if line_id in given:
            errors.append(
                {
                    "field": f"lines[{index}].shipment_line_id",
                    "code": "duplicate_line",
                    "message": _("Line %(id)s is already given at lines[%(first)s].")
                    % {"id": line_id, "first": given[line_id]},
                }
            )
            continue
        given[line_id] = index
        line = shipment_lines.get(line_id)
        if line is None:
            errors.append(
                {
                    "field": f"lines[{index}].shipment_line_id",
                    "code": "unknown_line",
                    "message": _("Not a line of this shipment."),
                }
            )
            continue
        if item["accepted_quantity"] + item["rejected_quantity"] != line.quantity:
            errors.append(_quantities_error(f"lines[{index}]", line.quantity))
        if item["rejected_quantity"] and not item.get("rejection_reason"):
            errors.append(
                {
                    "field": f"lines[{index}].rejection_reason",
                    "code": "required",
                    "message": _("Give a reason for rejected goods."),
                }
            )
        rejected |= _rejected_codes(item, index, line, codes.get(line.pk, {}), errors)
    for line in shipment_lines.values():
        if line.pk not in given:
            errors.append(
                {
                    "field": "lines",
                    "code": "line_missing",
                    "message": _("Shipment line %(id)s (lot %(lot)s) is missing.")
                    % {"id": line.pk, "lot": line.lot_number},
                }
            )
    if errors:
        raise ReceiptInvalid(_("%(count)s problem(s) with the receipt.") % {"count": len(errors)}, errors=errors)
    return rejected


def _rejected_codes(item: dict, index: int, line: ShipmentLine, line_codes: dict, errors: list) -> set[int]:
    """The codes a line's rejection names, checked: codes of this line, as many as the rejected coded units must be.

    Units without codes absorb rejections first: with 5 shipped and 3 coded, rejecting 1 may name no code, and
    rejecting 3 must name at least one.
    """
    named = [canonical(raw) for raw in item.get("rejected_codes", [])]
    unknown = [code for code in named if code not in line_codes]
    if unknown:
        errors.append(
            {
                "field": f"lines[{index}].rejected_codes",
                "code": "unknown_code",
                "message": _("Not codes of this line: %(codes)s.") % {"codes": ", ".join(unknown[:10])},
            }
        )
        return set()
    ids = {line_codes[code][0] for code in named}
    cases = {line_codes[code][0] for code in named if line_codes[code][1]}
    ids |= {code_id for code_id, is_case, case_id in line_codes.values() if case_id in cases}
    units = sum(1 for code_id, is_case, _case in line_codes.values() if not is_case)
    rejected_units = sum(1 for code_id, is_case, _case in line_codes.values() if code_id in ids and not is_case)
    least = max(0, item["rejected_quantity"] - (line.quantity - units))
    if not least <= rejected_units <= item["rejected_quantity"]:
        errors.append(
            {
                "field": f"lines[{index}].rejected_codes",
                "code": "rejected_codes_do_not_add_up",
                "message": _("Name between %(least)s and %(most)s rejected coded units; %(named)s named.")
                % {"least": least, "most": item["rejected_quantity"], "named": rejected_units},
            }
        )
    return ids


def _quantities_error(field: str, shipped: int) -> dict:
    return {
        "field": field,
        "code": "quantities_do_not_add_up",
        "message": _("Accepted + rejected must equal the %(shipped)s shipped.") % {"shipped": shipped},
    }


def _add_to_order_lines(order: Order, shipment_lines) -> None:
    """Add a shipment's receipt to its order lines' buckets."""
    order_lines = {line.pk: line for line in order.lines.all()}
    for shipped in shipment_lines:
        line = order_lines[shipped.order_line_id]
        line.accepted_quantity += shipped.accepted_quantity
        line.rejected_quantity += shipped.rejected_quantity
        if shipped.rejection_reason:
            line.rejection_reason = shipped.rejection_reason
    OrderLine.objects.bulk_update(order_lines.values(), ["accepted_quantity", "rejected_quantity", "rejection_reason"])
    order._prefetched_objects_cache = {"lines": list(order_lines.values())}


def _settle(*, shipment: Shipment, order: Order, action: str, actor: Actor, note: str, difference) -> None:
    """The shipment received (history, audit, webhook), then the order if that was its last."""
    accepted = money_sum(
        line_amounts(
            unit_price=line.order_line.unit_price, quantity=line.accepted_quantity, vat_rate=line.order_line.vat_rate
        )[0]
        for line in shipment.lines.select_related("order_line")
    )
    transition_apply(
        SHIPMENT,
        shipment,
        action=action,
        actor=actor,
        note=note,
        data={"scan_difference": difference} if difference else {},
        changes={"accepted_gross": accepted, "received_by": actor.audit.label[:255]},
    )
    announce_shipment(shipment, "shipment.received")
    order_complete_if_done(order=order, actor=actor)


def _scan_difference(*, shipment: Shipment, scanned: list[str]) -> dict:
    """Codes shipped but not scanned (missing), scanned but shipped elsewhere (extra), never shipped (unknown).

    A scanned case covers its units.
    """
    shipped = dict(CustodyHop.objects.of_shipment(shipment).values_list("code__code", "code__is_case"))
    scanned_set = {canonical(code) for code in scanned}
    covered = scanned_set | set(
        TraceCode.objects.filter(case__code__in=scanned_set & set(shipped)).values_list("code", flat=True)
    )
    elsewhere = set(TraceCode.objects.filter(code__in=scanned_set - set(shipped)).values_list("code", flat=True))
    return {
        "missing": sorted(code for code, is_case in shipped.items() if not is_case and code not in covered),
        "extra": sorted(elsewhere),
        "unknown": sorted(scanned_set - set(shipped) - elsewhere),
    }
