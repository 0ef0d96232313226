"""Returns (退货, SPEC §5): the buyer asks, the supplier decides, the goods go back and are checked in, and the
credit note follows (settlements, on RETURN_RECEIVED).

Units a return claims (`ReturnLine.claimed_quantity`: requested, then approved, then accepted back; 0 once refused
or cancelled) never add up to more than the lot's accepted quantity: a request locks the order's lines (in pk
order) before it counts what other returns claim, so concurrent requests for the same units queue and the second
sees the first.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.choices import HopOutcome, OrderStatus, ShipmentStatus
from orders.models import CustodyHop, Order, OrderLine, Recall, Return, ReturnEvent, ReturnLine, ShipmentLine, TraceCode
from orders.return_choices import ReturnReason, ReturnStatus
from orders.return_errors import ReturnInvalid, ReturnNotAllowed
from orders.return_transitions import RETURN
from orders.services.lecheng import lecheng_give_back_returned
from orders.trace_codes import canonical
from pharmex import events
from pharmex.actor import SYSTEM_ACTOR, Actor
from pharmex.audit import audit_record
from pharmex.errors import NotAParty
from pharmex.money import line_amounts, money_sum
from pharmex.transitions import transition_apply, transition_lock
from webhooks.services import outbox_publish

# Units a return still holds of its lot, by status: requests and approvals hold their claim; refusals and
# cancellations hold nothing; a received return holds what the supplier accepted back.
_OPEN = (
    ReturnStatus.REQUESTED,
    ReturnStatus.APPROVED,
    ReturnStatus.PARTIALLY_APPROVED,
    ReturnStatus.SHIPPED_BACK,
    ReturnStatus.RECEIVED,
    ReturnStatus.CREDITED,
)


def return_payload(ret: Return) -> dict:
    return {
        "return_id": ret.pk,
        "number": ret.number,
        "order_id": ret.order_id,
        "status": ret.status,
        "reason": ret.reason,
        "buyer_id": ret.buyer_id,
        "supplier_id": ret.supplier_id,
        "gross": str(ret.gross),
        "currency": ret.currency,
    }


def announce_return(ret: Return, event_type: str) -> None:
    """Tell both parties about a return step, after commit (the outbox)."""
    outbox_publish(
        event_type=event_type,
        organization_ids=[ret.buyer_id, ret.supplier_id],
        payload=return_payload(ret),
        object_type="return",
        object_id=ret.pk,
    )


def _error(field: str, code: str, message: str) -> dict:
    return {"field": field, "code": code, "message": message}


def claimed_by_lot(shipment_line_ids: list[int], *, exclude_return_id: int | None = None) -> dict[int, int]:
    """Units of each lot (shipment line) that returns hold now."""
    rows = ReturnLine.objects.filter(shipment_line_id__in=shipment_line_ids, return_request__status__in=_OPEN)
    if exclude_return_id is not None:
        rows = rows.exclude(return_request_id=exclude_return_id)
    totals = rows.values("shipment_line_id").annotate(claimed=Sum("claimed_quantity"))
    return {row["shipment_line_id"]: row["claimed"] or 0 for row in totals}


def _recall_for(line: ShipmentLine, recall_id: int | None) -> Recall | None:
    recalls = Recall.objects.filter(drug_id=line.drug_id, lot_keys__contains=[line.lot_key])
    if recall_id is not None:
        recalls = recalls.filter(pk=recall_id)
    return recalls.order_by("-id").first()


def _buyer_codes(line: ShipmentLine, buyer_id: int) -> set[str]:
    """Codes of units the buyer accepted on this lot and still holds (not cases: units go back one by one)."""
    return set(
        CustodyHop.objects.of_shipment(line.shipment)
        .filter(shipment_line=line, outcome=HopOutcome.ACCEPTED, code__holder_id=buyer_id, code__is_case=False)
        .values_list("code__code", flat=True)
    )


@transaction.atomic
def return_request(
    *,
    order: Order,
    actor: Actor,
    reason: str,
    lines: list[dict],
    note: str = "",
    recall_id: int | None = None,
    now=None,
    for_recall: bool = False,
) -> Return:
    """The buyer asks to return units of received lots: `lines` = [{shipment_line_id, quantity, codes}].

    Raises: NotAParty (the buyer only), ReturnInvalid (unknown or repeated lots, codes not held),
    ReturnNotAllowed (more than accepted minus already returned, the return window closed, no recall covers a lot
    returned for a recall).
    """
    if not (for_recall or actor.acts_for(order.buyer_id)):
        raise NotAParty(_("Only the buyer may do this."))
    now = now or timezone.now()
    if order.status != OrderStatus.RECEIVED:
        raise ReturnNotAllowed(
            _("Goods are returned once the order is received; this order is %(status)s.") % {"status": order.status}
        )
    # Lock the order's lines in pk order: every return request of this order queues here.
    list(OrderLine.objects.filter(order_id=order.pk).order_by("pk").select_for_update())
    lots = {
        line.pk: line
        for line in ShipmentLine.objects.filter(
            shipment__order_id=order.pk, pk__in=[item["shipment_line_id"] for item in lines]
        ).select_related("shipment", "order_line")
    }
    claimed = claimed_by_lot(list(lots))
    invalid, refused, seen, recall = [], [], set(), None
    for index, item in enumerate(lines):
        field = f"lines[{index}]"
        lot = lots.get(item["shipment_line_id"])
        if lot is None:
            invalid.append(_error(f"{field}.shipment_line_id", "unknown_line", _("Not a lot shipped on this order.")))
            continue
        if lot.pk in seen:
            invalid.append(_error(f"{field}.shipment_line_id", "duplicate_line", _("This lot is given twice.")))
            continue
        seen.add(lot.pk)
        if lot.shipment.status != ShipmentStatus.RECEIVED:
            refused.append(_error(field, "not_received", _("This lot has not been received yet.")))
            continue
        if reason == ReturnReason.RECALL:
            recall = _recall_for(lot, recall_id) or None
            if recall is None:
                refused.append(_error(field, "not_recalled", _("No recall covers this lot.")))
        elif now > lot.shipment.received_at + timedelta(days=settings.RETURN_WINDOW_DAYS):
            refused.append(
                _error(
                    field,
                    "return_window_closed",
                    _("Goods may be returned within %(days)s days of receipt; this lot was received on %(date)s.")
                    % {"days": settings.RETURN_WINDOW_DAYS, "date": timezone.localdate(lot.shipment.received_at)},
                )
            )
        left = lot.accepted_quantity - claimed.get(lot.pk, 0)
        if item["quantity"] > left:
            refused.append(
                _error(
                    f"{field}.quantity",
                    "quantity_exceeded",
                    _("Only %(left)s of the %(accepted)s accepted units of lot %(lot)s are left to return.")
                    % {"left": max(left, 0), "accepted": lot.accepted_quantity, "lot": lot.lot_number},
                )
            )
        codes = [canonical(code) for code in item.get("codes", [])]
        if codes:
            held = _buyer_codes(lot, order.buyer_id)
            if not_held := sorted(set(codes) - held):
                invalid.append(
                    _error(
                        f"{field}.codes",
                        "code_not_held",
                        _("Not codes you received on this lot and hold: %(codes)s.") % {"codes": ", ".join(not_held)},
                    )
                )
            if len(set(codes)) > item["quantity"]:
                invalid.append(_error(f"{field}.codes", "too_many_codes", _("More codes than units to return.")))
    if invalid:
        raise ReturnInvalid(_("%(count)s problem(s) with the return.") % {"count": len(invalid)}, errors=invalid)
    if refused:
        raise ReturnNotAllowed(_("%(count)s line(s) cannot be returned.") % {"count": len(refused)}, errors=refused)
    sequence = Return.objects.filter(order_id=order.pk).count() + 1
    ret = Return.objects.create(
        number=f"RT{order.number[2:]}-{sequence}",
        order=order,
        buyer_id=order.buyer_id,
        supplier_id=order.supplier_id,
        recall=recall,
        reason=reason,
        note=note,
        currency=order.currency,
        requested_by=actor.audit.label[:255],
        created_at=now,
    )
    ReturnLine.objects.bulk_create(
        ReturnLine(
            return_request=ret,
            shipment_line=lots[item["shipment_line_id"]],
            order_line_id=lots[item["shipment_line_id"]].order_line_id,
            requested_quantity=item["quantity"],
            claimed_quantity=item["quantity"],
            codes=sorted({canonical(code) for code in item.get("codes", [])}),
        )
        for item in lines
    )
    ReturnEvent.objects.create(
        return_request=ret,
        action="request",
        from_status="",
        to_status=ret.status,
        actor=actor.audit.label[:255],
        note=note[:1000],
        created_at=now,
    )
    audit_record(
        actor=actor.audit,
        action="return.requested",
        object_type="return",
        object_id=ret.pk,
        organization_id=ret.buyer_id,
        changes={
            "number": ret.number,
            "order": order.pk,
            "reason": reason,
            "lines": [[item["shipment_line_id"], item["quantity"]] for item in lines],
        },
    )
    announce_return(ret, "return.requested")
    return ret


def _lock(ret: Return, action: str, actor: Actor, side: str) -> Return:
    locked = transition_lock(RETURN, ret.pk, action)
    party = locked.supplier_id if side == "supplier" else locked.buyer_id
    if not actor.acts_for(party):
        raise NotAParty(_("Only the %(side)s may do this.") % {"side": side})
    return locked


def _lines(ret: Return) -> dict[int, ReturnLine]:
    return {line.pk: line for line in ret.lines.select_related("order_line", "shipment_line").order_by("pk")}


@transaction.atomic
def return_approve(*, ret: Return, actor: Actor, lines: list[dict] | None = None, note: str = "") -> Return:
    """The supplier agrees: to everything asked (no `lines`), or to `lines` = [{return_line_id, approved_quantity}]
    (lines not named: none). Units not approved are free to return again.

    Raises: NotAParty, InvalidTransition, ReturnInvalid.
    """
    locked = _lock(ret, "approve", actor, "supplier")
    rows = _lines(locked)
    approved = {pk: row.requested_quantity for pk, row in rows.items()}
    if lines is not None:
        errors = []
        approved = dict.fromkeys(rows, 0)
        for index, item in enumerate(lines):
            row = rows.get(item["return_line_id"])
            if row is None:
                errors.append(_error(f"lines[{index}].return_line_id", "unknown_line", _("Not a line of this return.")))
            elif item["approved_quantity"] > row.requested_quantity:
                errors.append(
                    _error(
                        f"lines[{index}].approved_quantity",
                        "more_than_requested",
                        _("The buyer asked to return %(n)s.") % {"n": row.requested_quantity},
                    )
                )
            else:
                approved[row.pk] = item["approved_quantity"]
        if not errors and not any(approved.values()):
            errors.append(_error("lines", "nothing_approved", _("Approve at least one unit, or refuse the return.")))
        if errors:
            raise ReturnInvalid(_("%(count)s problem(s) with the approval.") % {"count": len(errors)}, errors=errors)
    for pk, row in rows.items():
        row.approved_quantity = row.claimed_quantity = approved[pk]
    ReturnLine.objects.bulk_update(rows.values(), ["approved_quantity", "claimed_quantity"])
    in_full = all(row.approved_quantity == row.requested_quantity for row in rows.values())
    action = "approve" if in_full else "approve_part"
    locked = transition_apply(
        RETURN,
        locked,
        action=action,
        actor=actor,
        note=note,
        data={"approved": {str(k): v for k, v in approved.items()}},
    )
    announce_return(locked, "return.approved" if in_full else "return.partially_approved")
    return locked


@transaction.atomic
def return_refuse(*, ret: Return, actor: Actor, reason: str) -> Return:
    """The supplier says no, with a reason; the units are free again. Raises: NotAParty, InvalidTransition."""
    locked = _lock(ret, "refuse", actor, "supplier")
    locked.lines.update(claimed_quantity=0)
    locked = transition_apply(
        RETURN, locked, action="refuse", actor=actor, note=reason, changes={"refusal_reason": reason[:1000]}
    )
    announce_return(locked, "return.refused")
    return locked


@transaction.atomic
def return_cancel(*, ret: Return, actor: Actor, note: str = "") -> Return:
    """The buyer withdraws a request the supplier has not decided on. Raises: NotAParty, InvalidTransition."""
    locked = _lock(ret, "cancel", actor, "buyer")
    locked.lines.update(claimed_quantity=0)
    locked = transition_apply(RETURN, locked, action="cancel", actor=actor, note=note)
    announce_return(locked, "return.cancelled")
    return locked


@transaction.atomic
def return_ship_back(
    *, ret: Return, actor: Actor, carrier: str, tracking_number: str, codes: dict[int, list[str]] | None = None
) -> Return:
    """The buyer sends the approved units back: carrier, tracking and, per line, the codes of the units sent
    (default: the codes named in the request, up to the approved quantity).

    Raises: NotAParty, InvalidTransition, ReturnInvalid.
    """
    locked = _lock(ret, "ship_back", actor, "buyer")
    rows = _lines(locked)
    errors = []
    for pk in codes or {}:
        if pk not in rows:
            errors.append(_error("lines", "unknown_line", _("Line %(id)s is not a line of this return.") % {"id": pk}))
    for pk, row in rows.items():
        given = (codes or {}).get(pk)
        # By default the codes named in the request, as many as were approved.
        sent = (
            sorted({canonical(code) for code in given})
            if given is not None
            else row.codes[: row.approved_quantity or 0]
        )
        if len(sent) > (row.approved_quantity or 0):
            errors.append(
                _error("lines", "too_many_codes", _("More codes than approved units on line %(id)s.") % {"id": pk})
            )
        if not_held := sorted(set(sent) - _buyer_codes(row.shipment_line, locked.buyer_id)):
            errors.append(
                _error(
                    "lines",
                    "code_not_held",
                    _("Not codes you hold on this lot: %(codes)s.") % {"codes": ", ".join(not_held)},
                )
            )
        row.shipped_codes = sent
    if errors:
        raise ReturnInvalid(_("%(count)s problem(s) with the return shipment.") % {"count": len(errors)}, errors=errors)
    ReturnLine.objects.bulk_update(rows.values(), ["shipped_codes"])
    _hops_back(locked, rows.values(), now=timezone.now())
    locked = transition_apply(
        RETURN,
        locked,
        action="ship_back",
        actor=actor,
        note=f"{carrier} {tracking_number}",
        changes={"carrier": carrier, "tracking_number": tracking_number},
    )
    announce_return(locked, "return.shipped_back")
    return locked


def _hops_back(ret: Return, rows, *, now) -> None:
    """One custody hop per code sent back, from the buyer to the supplier, in transit until the supplier's receipt
    (as a shipment writes its hops)."""
    by_code = {code: row for row in rows for code in row.shipped_codes}
    codes = list(TraceCode.objects.filter(code__in=sorted(by_code)).order_by("code"))
    TraceCode.objects.filter(pk__in=[code.pk for code in codes]).update(last_hop_at=now)
    CustodyHop.objects.bulk_create(
        [
            CustodyHop(
                code=code,
                return_request=ret,
                return_line=by_code[code.code],
                order_id=ret.order_id,
                from_organization_id=ret.buyer_id,
                to_organization_id=ret.supplier_id,
                shipped_at=now,
            )
            for code in codes
        ]
    )


@transaction.atomic
def return_receive(*, ret: Return, actor: Actor, lines: list[dict], note: str = "") -> Return:
    """The supplier checks the goods in: per line accepted and rejected (with a reason), adding up to the approved
    quantity, and optionally the codes of rejected units. Custody of the accepted units' codes goes back to the
    supplier; the credit note follows in the same transaction (RETURN_RECEIVED).

    Raises: NotAParty, InvalidTransition, ReturnInvalid.
    """
    locked = _lock(ret, "receive", actor, "supplier")
    rows = _lines(locked)
    errors, given = [], {}
    for index, item in enumerate(lines):
        row = rows.get(item["return_line_id"])
        field = f"lines[{index}]"
        if row is None or row.pk in given:
            errors.append(
                _error(f"{field}.return_line_id", "unknown_line", _("Not a line of this return, or given twice."))
            )
            continue
        given[row.pk] = item
        if item["accepted_quantity"] + item["rejected_quantity"] != (row.approved_quantity or 0):
            errors.append(
                _error(
                    field,
                    "quantities_do_not_add_up",
                    _("Accepted + rejected must equal the %(n)s approved.") % {"n": row.approved_quantity or 0},
                )
            )
        if item["rejected_quantity"] and not item.get("rejection_reason"):
            errors.append(_error(f"{field}.rejection_reason", "required", _("Give a reason for rejected goods.")))
        if unknown := sorted({canonical(c) for c in item.get("rejected_codes", [])} - set(row.shipped_codes)):
            errors.append(
                _error(
                    f"{field}.rejected_codes",
                    "unknown_code",
                    _("Not codes sent back: %(codes)s.") % {"codes": ", ".join(unknown)},
                )
            )
    for pk, row in rows.items():
        if pk not in given and row.approved_quantity:
            errors.append(_error("lines", "line_missing", _("Return line %(id)s is missing.") % {"id": pk}))
    if errors:
        raise ReturnInvalid(_("%(count)s problem(s) with the receipt.") % {"count": len(errors)}, errors=errors)
    moved: list[str] = []
    for pk, row in rows.items():
        item = given.get(pk, {"accepted_quantity": 0, "rejected_quantity": 0})
        row.accepted_quantity, row.rejected_quantity = item["accepted_quantity"], item["rejected_quantity"]
        row.rejection_reason = item.get("rejection_reason") or ""
        row.claimed_quantity = row.accepted_quantity
        row.gross, row.tax = line_amounts(
            unit_price=row.order_line.unit_price, quantity=row.accepted_quantity, vat_rate=row.order_line.vat_rate
        )
        rejected_codes = {canonical(c) for c in item.get("rejected_codes", [])}
        moved += [code for code in row.shipped_codes if code not in rejected_codes][: row.accepted_quantity]
    ReturnLine.objects.bulk_update(
        rows.values(),
        ["accepted_quantity", "rejected_quantity", "rejection_reason", "claimed_quantity", "gross", "tax"],
    )
    # Custody goes back with the goods (SPEC §5): the supplier holds the accepted units' codes again.
    back = TraceCode.objects.filter(code__in=sorted(moved), holder_id=locked.buyer_id, shipment__isnull=True)
    moved_codes = sorted(back.values_list("code", flat=True))
    back.update(holder_id=locked.supplier_id, case=None)
    # The trip back is a leg of each code's custody chain: accepted units moved, the others stay with the buyer.
    hops = CustodyHop.objects.of_return(locked).filter(outcome=HopOutcome.IN_TRANSIT)
    hops.filter(code__code__in=moved_codes).update(outcome=HopOutcome.ACCEPTED, settled_at=timezone.now())
    hops.update(outcome=HopOutcome.REJECTED, settled_at=timezone.now())
    lecheng_give_back_returned(returned=[(row.order_line, row.accepted_quantity) for row in rows.values()])
    locked = transition_apply(
        RETURN,
        locked,
        action="receive",
        actor=actor,
        note=note,
        data={"codes_back": moved_codes},
        changes={
            "gross": money_sum(row.gross for row in rows.values()),
            "tax": money_sum(row.tax for row in rows.values()),
        },
    )
    announce_return(locked, "return.received")
    events.emit(events.RETURN_RECEIVED, return_id=locked.pk)
    return locked


@transaction.atomic
def return_mark_credited(*, return_id: int, credit_note: str) -> Return:
    """The credit note is posted (called by settlements in the receipt's transaction). Raises: InvalidTransition."""
    locked = transition_lock(RETURN, return_id, "credit")
    locked = transition_apply(RETURN, locked, action="credit", actor=SYSTEM_ACTOR, note=credit_note)
    announce_return(locked, "return.credited")
    return locked


def returned_by_order_line(order_id: int) -> dict[int, int]:
    """Units accepted back by the supplier, per order line (received and credited returns)."""
    totals: dict[int, int] = defaultdict(int)
    rows = ReturnLine.objects.filter(
        return_request__order_id=order_id,
        return_request__status__in=(ReturnStatus.RECEIVED, ReturnStatus.CREDITED),
    ).values_list("order_line_id", "accepted_quantity")
    for order_line_id, quantity in rows:
        totals[order_line_id] += quantity or 0
    return dict(totals)


@transaction.atomic
def recall_open_returns(*, recall: Recall, actor: Actor) -> list[Return]:
    """Open a recall return for every affected buyer in one action: per received order, every unit of the recalled
    lots it accepted and no return holds yet. The buyers ship them back as usual. Running it again opens nothing
    new for units already claimed.

    Raises: NotAParty (platform admins and the drug's MAH only).
    """
    holder = recall.drug.mah_organization_id
    if not (actor.is_admin or (holder is not None and actor.acts_for(holder))):
        raise NotAParty(_("Only platform admins and the drug's marketing-authorisation holder may do this."))
    lots: dict[int, list[ShipmentLine]] = defaultdict(list)
    affected = ShipmentLine.objects.filter(
        drug_id=recall.drug_id,
        lot_key__in=recall.lot_keys,
        shipment__status=ShipmentStatus.RECEIVED,
        shipment__order__status=OrderStatus.RECEIVED,
        accepted_quantity__gt=0,
    ).select_related("shipment")
    for line in affected.order_by("pk"):
        lots[line.shipment.order_id].append(line)
    opened = []
    for order_id in sorted(lots):
        order = Order.objects.get(pk=order_id)
        list(OrderLine.objects.filter(order_id=order_id).order_by("pk").select_for_update())
        claimed = claimed_by_lot([line.pk for line in lots[order_id]])
        items = [
            {"shipment_line_id": line.pk, "quantity": line.accepted_quantity - claimed.get(line.pk, 0)}
            for line in lots[order_id]
            if line.accepted_quantity > claimed.get(line.pk, 0)
        ]
        if items:
            note = _("Opened for recall %(id)s: %(reason)s") % {"id": recall.pk, "reason": recall.reason}
            opened.append(
                return_request(
                    order=order,
                    actor=actor,
                    reason=ReturnReason.RECALL,
                    lines=items,
                    note=note[:1000],
                    recall_id=recall.pk,
                    for_recall=True,
                )
            )
    return opened
