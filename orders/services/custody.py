"""Custody of traceability codes (SPEC §5): each known code has one holder, and moves only by shipment and receipt.

Shipping takes the shipment's codes into transit: a code the platform does not know enters custody with the
shipper (bought off-platform, or made by it); a code it knows must be held by the shipper and not be on its way
somewhere already. Receipt then moves every accepted unit to the buyer and leaves a rejected unit with the
shipper. Reselling what one bought is ordinary wholesale: the distributor that received a box ships it on.

Refusals are not input errors but evidence (回流/串货, or a counterfeit copy of a real code): the shipment is
rolled back and each refused code is flagged for the platform's admins and the code's expected holder.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organization
from accounts.notifications import notify_staff
from orders.choices import DiversionKind, DiversionStatus, HopOutcome
from orders.errors import CodesNotShippable
from orders.models import CustodyHop, Order, Shipment, ShipmentLine, SuspectedDiversion, TraceCode
from orders.trace_codes import Code
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.choices import StaffRole
from pharmex.errors import InvalidTransition
from webhooks.services import outbox_publish


@dataclass
class LineCodes:
    """The codes a shipment line carries: loose units, and cases (箱码) with their units where the request gave them."""

    drug_id: int
    lot_number: str
    expiry_date: date
    units: list[Code] = field(default_factory=list)
    # (case, its units as given; [] = the units the platform knows in it)
    cases: list[tuple[Code, list[Code]]] = field(default_factory=list)

    def all_codes(self) -> Iterable[Code]:
        yield from self.units
        for case, units in self.cases:
            yield case
            yield from units


@dataclass(frozen=True)
class Refusal:
    code: str
    kind: str  # DiversionKind
    holder_id: int | None = None
    in_transit_shipment_id: int | None = None


class CustodyRefused(Exception):
    """Rolls the shipment back; the refusals are then flagged in a transaction of their own."""

    def __init__(self, refusals: list[Refusal]):
        super().__init__(f"{len(refusals)} code(s) refused")
        self.refusals = refusals


def case_units(case_codes: Iterable[str]) -> dict[str, list[str]]:
    """The units the platform knows inside each of these cases."""
    found: dict[str, list[str]] = {code: [] for code in case_codes}
    for unit, case in TraceCode.objects.filter(case__code__in=list(found)).values_list("code", "case__code"):
        found[case].append(unit)
    return found


def repeated_codes(lines: Iterable[LineCodes], stored_units: dict[str, list[str]]) -> list[Refusal]:
    """Codes that appear twice in one shipment (a case's stored units count as shipped with it)."""
    seen: set[str] = set()
    repeated: list[Refusal] = []
    for line in lines:
        codes = [code.code for code in line.all_codes()]
        codes += [unit for case, given in line.cases if not given for unit in stored_units.get(case.code, [])]
        for code in codes:
            if code in seen:
                repeated.append(Refusal(code=code, kind=DiversionKind.REPEATED))
            seen.add(code)
    return repeated


def custody_ship(
    *, shipment: Shipment, shipper_id: int, lines: dict[ShipmentLine, LineCodes], stored_units: dict[str, list[str]]
) -> int:
    """Put the shipment's codes in transit; returns how many codes it carries.

    Call inside the shipment's transaction. Raises: CustodyRefused (the caller rolls back and flags).
    """
    new: dict[str, TraceCode] = {}
    line_of: dict[str, ShipmentLine] = {}
    case_of: dict[str, str | None] = {}  # unit → the case it ships in (None: loose)
    for shipment_line, codes in lines.items():
        for code in codes.units:
            line_of[code.code], case_of[code.code] = shipment_line, None
            new[code.code] = _new_code(code, codes, shipper_id, shipment, is_case=False)
        for case, given in codes.cases:
            line_of[case.code] = shipment_line
            new[case.code] = _new_code(case, codes, shipper_id, shipment, is_case=True)
            for unit in given:
                line_of[unit.code], case_of[unit.code] = shipment_line, case.code
                new[unit.code] = _new_code(unit, codes, shipper_id, shipment, is_case=False)
            for unit in stored_units.get(case.code, []) if not given else []:
                line_of[unit], case_of[unit] = shipment_line, case.code
    if not line_of:
        return 0
    # Unknown codes enter custody with the shipper. Sorted inserts and locks: two shipments never wait on
    # each other in opposite orders; a code inserted by a concurrent shipment is then seen as in transit.
    TraceCode.objects.bulk_create([new[code] for code in sorted(new)], ignore_conflicts=True)
    held = list(TraceCode.objects.select_for_update().filter(code__in=sorted(line_of)).order_by("code"))
    refusals = [_refusal(code, shipper_id) for code in held]
    if refused := [refusal for refusal in refusals if refusal is not None]:
        raise CustodyRefused(refused)
    by_code = {code.code: code for code in held}
    cases = {code: by_code[code].pk for code in set(case_of.values()) - {None}}
    in_transit = TraceCode.objects.filter(pk__in=[code.pk for code in held])
    in_transit.update(shipment=shipment, last_hop_at=shipment.created_at)
    for case_code, case_pk in cases.items():
        units = [by_code[unit].pk for unit, case in case_of.items() if case == case_code]
        TraceCode.objects.filter(pk__in=units).exclude(case_id=case_pk).update(case_id=case_pk)
    loose = [by_code[unit].pk for unit, case in case_of.items() if case is None and by_code[unit].case_id is not None]
    if loose:  # a unit shipped on its own leaves its case
        TraceCode.objects.filter(pk__in=loose).update(case=None)
    carried = Counter(line_of.values())
    for shipment_line, count in carried.items():
        shipment_line.code_count = count
    ShipmentLine.objects.bulk_update(list(carried), ["code_count"])
    CustodyHop.objects.bulk_create(
        [
            CustodyHop(
                code=code,
                shipment=shipment,
                shipment_line=line_of[code.code],
                order_id=shipment.order_id,
                from_organization_id=shipper_id,
                to_organization_id=shipment.buyer_id,
                shipped_at=shipment.created_at,
            )
            for code in held
        ]
    )
    return len(held)


def _new_code(code: Code, line: LineCodes, holder_id: int, shipment: Shipment, *, is_case: bool) -> TraceCode:
    # A code is known from its first hop on: no hop of it is older than its created_at, which lets a trace lookup
    # skip the custody partitions before it (orders.selectors.trace_get), as last_hop_at the ones after.
    return TraceCode(
        created_at=shipment.created_at,
        last_hop_at=shipment.created_at,
        code=code.code,
        kind=code.kind,
        drug_id=line.drug_id,
        gtin=code.gtin,
        lot_number=code.lot or line.lot_number,
        expiry_date=line.expiry_date,
        holder_id=holder_id,
        is_case=is_case,
    )


def _refusal(code: TraceCode, shipper_id: int) -> Refusal | None:
    if code.shipment_id is not None:
        return Refusal(code.code, DiversionKind.IN_TRANSIT, code.holder_id, code.shipment_id)
    if code.holder_id != shipper_id:
        return Refusal(code.code, DiversionKind.HELD_BY_OTHER, code.holder_id)
    return None


def custody_receive(*, shipment: Shipment, rejected_code_ids: set[int], moment: datetime) -> None:
    """Settle a shipment's codes at receipt: accepted units go to the buyer, rejected ones stay with the shipper.

    A rejected unit of an accepted case leaves the case (the case goes on without it).
    """
    in_shipment = TraceCode.objects.filter(shipment=shipment)
    hops = CustodyHop.objects.of_shipment(shipment)
    if rejected_code_ids:
        in_shipment.filter(pk__in=rejected_code_ids, case__isnull=False).exclude(case_id__in=rejected_code_ids).update(
            case=None
        )
        in_shipment.filter(pk__in=rejected_code_ids).update(shipment=None)
        hops.filter(code_id__in=rejected_code_ids).update(outcome=HopOutcome.REJECTED, settled_at=moment)
    in_shipment.update(holder_id=shipment.buyer_id, shipment=None)
    hops.filter(outcome=HopOutcome.IN_TRANSIT).update(outcome=HopOutcome.ACCEPTED, settled_at=moment)


@transaction.atomic
def diversion_flag(*, order: Order, actor: Actor, refusals: list[Refusal], fields: dict[str, str]) -> CodesNotShippable:
    """Record refused codes as suspected diversion or counterfeit, tell the expected holders and the admins,
    and return the error to answer with (the shipment itself was rolled back)."""
    flags = SuspectedDiversion.objects.bulk_create(
        [
            SuspectedDiversion(
                code=refusal.code,
                kind=refusal.kind,
                attempted_order=order,
                attempted_by_organization_id=order.supplier_id,
                attempted_by=actor.audit.label,
                expected_holder_id=refusal.holder_id,
                in_transit_shipment_id=refusal.in_transit_shipment_id,
            )
            for refusal in refusals
        ]
    )
    codes = sorted({refusal.code for refusal in refusals})
    audit_record(
        actor=actor.audit,
        action="trace.suspected_diversion",
        object_type="order",
        object_id=order.pk,
        organization_id=order.supplier_id,
        changes={"codes": codes, "flags": [flag.pk for flag in flags]},
    )
    by_holder: dict[int, list[SuspectedDiversion]] = {}
    for flag in flags:
        if flag.expected_holder_id not in (None, order.supplier_id):
            by_holder.setdefault(flag.expected_holder_id, []).append(flag)
    for holder_id, held in sorted(by_holder.items()):
        outbox_publish(
            event_type="trace.suspected_diversion",
            organization_ids=[holder_id],
            payload={"codes": [{"flag_id": flag.pk, "code": flag.code, "kind": flag.kind} for flag in held]},
            object_type="trace",
            object_id=held[0].pk,
        )
    notify_staff(
        role=StaffRole.ADMIN,
        subject=_("PharmEx: suspected diversion on order %(number)s") % {"number": order.number},
        body="\n".join(f"{flag.kind}: {flag.code}" for flag in flags),
    )
    holders = dict(Organization.objects.filter(pk__in={r.holder_id for r in refusals}).values_list("pk", "legal_name"))
    return CodesNotShippable(
        _("%(count)s traceability code(s) cannot be shipped by you; the attempt is flagged for review.")
        % {"count": len(codes)},
        errors=[
            {"field": fields.get(r.code, "lines"), "code": r.kind, "message": _refusal_message(r, holders)}
            for r in refusals
        ],
    )


def _refusal_message(refusal: Refusal, holders: dict[int, str]) -> str:
    """The refusal as the shipper reads it; the expected holder is named (by its legal name and id)."""
    if refusal.kind == DiversionKind.REPEATED:
        return _("%(code)s appears twice in this shipment.") % {"code": refusal.code}
    holder = f"{holders.get(refusal.holder_id, '')} (organisation {refusal.holder_id})"
    if refusal.kind == DiversionKind.IN_TRANSIT:
        return _("%(code)s is already in transit from %(holder)s.") % {"code": refusal.code, "holder": holder}
    return _("%(code)s is held by %(holder)s.") % {"code": refusal.code, "holder": holder}


@transaction.atomic
def diversion_resolve(*, flag: SuspectedDiversion, actor: Actor, outcome: str, note: str) -> SuspectedDiversion:
    """Platform admins close a suspected diversion: confirmed (reported on) or dismissed (explained), with a note.

    Raises: NotAParty (admins only), InvalidTransition (already resolved).
    """
    actor.require_staff(StaffRole.ADMIN)
    flag = SuspectedDiversion.objects.select_for_update().get(pk=flag.pk)
    if flag.status != DiversionStatus.OPEN:
        raise InvalidTransition(_("This suspected diversion is already %(status)s.") % {"status": flag.status})
    flag.status, flag.resolution_note = outcome, note
    flag.resolved_by, flag.resolved_at = actor.audit.label, timezone.now()
    flag.save(update_fields=["status", "resolution_note", "resolved_by", "resolved_at"])
    audit_record(
        actor=actor.audit,
        action=f"trace.diversion_{outcome}",
        object_type="suspected_diversion",
        object_id=flag.pk,
        organization_id=flag.attempted_by_organization_id,
        changes={"code": flag.code, "status": [DiversionStatus.OPEN, outcome], "note": note},
    )
    return flag
