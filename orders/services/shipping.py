"""Shipping (SPEC §5): a confirmed order ships in one or more shipments; what will not ship is closed.

Each shipment carries lots with their expiry, traceability codes (whose custody it takes, orders/services/
custody.py), its invoices and, for cold-chain drugs, a temperature record. The order is `partially_shipped`
until every line is shipped in full or its rest closed (back to stock), then `shipped`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.choices import DrugType
from catalog.customs import lecheng_release
from catalog.models import Drug
from catalog.services import offers as catalog_offers
from orders import cold_chain
from orders.compliance import supplier_may_ship_reasons
from orders.errors import RecalledLot, ShipmentInvalid, StepNotAllowed, TemperatureRecordExists
from orders.invoices import invoice_errors
from orders.models import CodeFormat, Order, OrderLine, Recall, Shipment, ShipmentLine, TemperatureRecord, TraceCode
from orders.models.shipments import LOT_KEY_LENGTH
from orders.notifications import announce_shipment
from orders.services.custody import (
    CustodyRefused,
    LineCodes,
    case_units,
    custody_ship,
    diversion_flag,
    repeated_codes,
)
from orders.services.lifecycle import order_apply, order_complete_if_done, order_lock
from orders.trace_codes import Code, CodeInvalid, canonical, lot_key, mismatches, read
from orders.transitions import SHIPMENT
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.errors import NotAParty
from pharmex.money import line_amounts, money_sum
from pharmex.transitions import check_transition


def order_ship(*, order: Order, actor: Actor, data: dict) -> Order:
    """Ship some or all of what a confirmed order has left to ship (`close_rest`: and close what remains).

    Codes the supplier may not ship refuse the whole shipment and are flagged as suspected diversion; the
    flags are committed although the shipment is not.
    Raises: ShipmentInvalid, RecalledLot, CodesNotShippable, StepNotAllowed (may not trade, held), InvalidTransition,
    NotAParty.
    """
    fields: dict[str, str] = {}  # code → where the request named it, for the refusal
    try:
        with transaction.atomic():
            return _ship(order=order, actor=actor, data=data, fields=fields)
    except CustodyRefused as refused:
        refusals = refused.refusals
    raise diversion_flag(order=order, actor=actor, refusals=refusals, fields=fields)


@dataclass
class _Plan:
    lines: dict[int, OrderLine]
    codes: list[LineCodes] = field(default_factory=list)  # per request line
    quantities: dict[int, int] = field(default_factory=lambda: defaultdict(int))  # order line → shipped now
    stored_units: dict[str, list[str]] = field(default_factory=dict)
    storages: set[str] = field(default_factory=set)
    gross: Decimal = Decimal("0.00")


def _ship(*, order: Order, actor: Actor, data: dict, fields: dict[str, str]) -> Order:
    order = order_lock(order_id=order.pk, action="ship", actor=actor, related=("buyer", "supplier"))
    if reasons := supplier_may_ship_reasons(order):
        raise StepNotAllowed(
            _("The order cannot be shipped now; it waits until this is resolved."),
            errors=[reason.as_error() for reason in reasons],
        )
    plan = _plan(order=order, data=data, fields=fields)
    record = data.get("temperature_record")
    shipment = Shipment.objects.create(
        order=order,
        sequence=order.shipments.count() + 1,
        supplier_id=order.supplier_id,
        buyer_id=order.buyer_id,
        carrier=data["carrier"],
        tracking_number=data["tracking_number"],
        invoice_numbers=data["invoice_numbers"],
        invoice_amount=data["invoice_amount"],
        gross=plan.gross,
        temperature_flag=cold_chain.flag_for(
            storages=plan.storages,
            minimum=record and record["min_celsius"],
            maximum=record and record["max_celsius"],
        ),
        shipped_by=actor.audit.label,
    )
    shipment_lines = ShipmentLine.objects.bulk_create(
        [
            ShipmentLine(
                shipment=shipment,
                order_line_id=item["order_line_id"],
                drug_id=plan.lines[item["order_line_id"]].drug_id,
                lot_number=item["lot_number"],
                lot_key=lot_key(item["lot_number"]),
                expiry_date=item["expiry_date"],
                place_of_origin=item.get("place_of_origin", "").strip(),
                quantity=item["quantity"],
            )
            for item in data["lines"]
        ]
    )
    if record:
        TemperatureRecord.objects.create(
            shipment=shipment,
            logger_id=record.get("logger_id", ""),
            min_celsius=record["min_celsius"],
            max_celsius=record["max_celsius"],
            source="summary",
            recorded_by=actor.audit.label,
        )
    carried = custody_ship(
        shipment=shipment,
        shipper_id=order.supplier_id,
        lines=dict(zip(shipment_lines, plan.codes, strict=True)),
        stored_units=plan.stored_units,
    )
    for line in plan.lines.values():
        line.shipped_quantity += plan.quantities.get(line.pk, 0)
    closed = close_rest_of(plan.lines.values()) if data.get("close_rest") else {}
    OrderLine.objects.bulk_update(plan.lines.values(), ["shipped_quantity", "closed_quantity"])
    done = all(line.shipped_quantity + line.closed_quantity == line.quantity for line in plan.lines.values())
    order_apply(
        order=order,
        action="ship" if done else "ship_part",
        actor=actor,
        note=data.get("note", ""),
        data={"shipment_id": shipment.pk, "codes": carried, "closed": closed},
    )
    announce_shipment(shipment, "shipment.created")
    return order


@transaction.atomic
def order_close_rest(*, order: Order, actor: Actor, note: str = "") -> Order:
    """The supplier will not ship the rest of a partially shipped order: it goes back to stock, the buyer is told.

    Raises: InvalidTransition (nothing shipped yet, or nothing left), NotAParty.
    """
    order = order_lock(order_id=order.pk, action="close_rest", actor=actor)
    lines = list(order.lines.all())
    closed = close_rest_of(lines)
    OrderLine.objects.bulk_update(lines, ["closed_quantity"])
    order_apply(order=order, action="close_rest", actor=actor, note=note, data={"closed": closed})
    return order_complete_if_done(order=order, actor=actor)


def close_rest_of(lines) -> dict[str, int]:
    """Close what each line has left to ship and give it back to stock (offers in id order: no deadlocks).
    The caller saves the lines' `closed_quantity`. Returns {line id: closed}."""
    closed = {}
    for line in sorted(lines, key=lambda line: line.offer_id):
        rest = line.quantity - line.shipped_quantity - line.closed_quantity
        if rest:
            line.closed_quantity += rest
            closed[str(line.pk)] = rest
            catalog_offers.stock_release(offer_id=line.offer_id, quantity=rest)
            if line.lecheng_approval_id is not None:  # never delivered: the approval gets it back too (SPEC §4a)
                lecheng_release(approval_id=line.lecheng_approval_id, quantity=rest)
    return closed


def _plan(*, order: Order, data: dict, fields: dict[str, str]) -> _Plan:
    """Check the shipment against the order and the rules; every problem is reported at once.

    Raises: ShipmentInvalid (400) listing the problems, RecalledLot (409), CustodyRefused (codes repeated).
    """
    plan = _Plan(lines={line.pk: line for line in order.lines.all()})
    errors: list[dict] = []
    items = data["lines"]
    drug_ids = {plan.lines[i["order_line_id"]].drug_id for i in items if i["order_line_id"] in plan.lines}
    drugs = {
        drug.pk: drug
        for drug in Drug.objects.filter(pk__in=drug_ids).only("gtin", "storage", "generic_name", "drug_type")
    }
    formats: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for drug_id, prefix, length in CodeFormat.objects.filter(drug_id__in=drug_ids).values_list(
        "drug_id", "prefix", "length"
    ):
        formats[drug_id].append((prefix, length))
    recalled = _recalled_lots(drug_ids)
    requested = [
        canonical(raw)
        for item in items
        for raw in [
            *item.get("trace_codes", []),
            *(case["code"] for case in item.get("case_codes", [])),
            *(unit for case in item.get("case_codes", []) for unit in case.get("units", [])),
        ]
    ]
    known = dict(TraceCode.objects.filter(code__in=requested).values_list("code", "is_case"))
    known_cases = {code for code, is_case in known.items() if is_case}
    plan.stored_units = case_units(known_cases)
    earliest_expiry = timezone.localdate() + timedelta(days=order.buyer.min_shelf_life_days)
    for index, item in enumerate(items):
        at = f"lines[{index}]"
        line = plan.lines.get(item["order_line_id"])
        if line is None:
            errors.append(
                {"field": f"{at}.order_line_id", "code": "unknown_line", "message": _("Not a line of this order.")}
            )
            plan.codes.append(LineCodes(drug_id=0, lot_number="", expiry_date=item["expiry_date"]))
            continue
        plan.quantities[line.pk] += item["quantity"]
        drug = drugs[line.drug_id]
        plan.storages.add(drug.storage)
        if item["expiry_date"] < earliest_expiry:
            errors.append(
                {
                    "field": f"{at}.expiry_date",
                    "code": "shelf_life_too_short",
                    "message": _("The buyer needs stock expiring on or after %(date)s.") % {"date": earliest_expiry},
                }
            )
        if drug.drug_type == DrugType.TCM_DECOCTION and not item.get("place_of_origin", "").strip():
            errors.append(
                {
                    "field": f"{at}.place_of_origin",
                    "code": "place_of_origin_required",
                    "message": _("TCM decoction pieces (中药饮片) need the place of origin (产地) of the lot."),
                }
            )
        if len(lot_key(item["lot_number"])) > LOT_KEY_LENGTH:  # NFKC may lengthen what was typed (㌀ → アパート)
            errors.append({"field": f"{at}.lot_number", "code": "invalid", "message": _("The lot number is too long.")})
        elif lot_key(item["lot_number"]) in recalled.get(line.drug_id, set()):
            raise RecalledLot(
                _("Lot %(lot)s of %(drug)s is recalled.") % {"lot": item["lot_number"], "drug": line.drug_name},
                field=f"{at}.lot_number",
            )
        codes = LineCodes(drug_id=line.drug_id, lot_number=item["lot_number"], expiry_date=item["expiry_date"])
        plan.codes.append(codes)
        units = _read_codes(item, at, drug, formats[line.drug_id], known, plan, codes, errors, fields)
        if units > item["quantity"]:
            errors.append(
                {
                    "field": f"{at}.trace_codes",
                    "code": "too_many_codes",
                    "message": _("%(codes)s coded units but %(quantity)s shipped.")
                    % {"codes": units, "quantity": item["quantity"]},
                }
            )
    for line_id, quantity in plan.quantities.items():
        line = plan.lines[line_id]
        rest = line.quantity - line.shipped_quantity - line.closed_quantity
        if quantity > rest:
            errors.append(
                {
                    "field": "lines",
                    "code": "over_shipped",
                    "message": _("Line %(no)s: %(quantity)s shipped now, %(rest)s left to ship.")
                    % {"no": line.line_no, "quantity": quantity, "rest": rest},
                }
            )
    plan.gross = money_sum(
        line_amounts(unit_price=plan.lines[pk].unit_price, quantity=quantity, vat_rate=plan.lines[pk].vat_rate)[0]
        for pk, quantity in plan.quantities.items()
    )
    errors += invoice_errors(
        supplier_id=order.supplier_id,
        numbers=data["invoice_numbers"],
        amount=data["invoice_amount"],
        gross=plan.gross,
        today=timezone.localdate(),
    )
    if errors:
        raise ShipmentInvalid(_("%(count)s problem(s) with the shipment.") % {"count": len(errors)}, errors=errors)
    if repeated := repeated_codes(plan.codes, plan.stored_units):
        raise CustodyRefused(repeated)
    return plan


def _read_codes(item, at, drug, formats, known: dict[str, bool], plan, codes: LineCodes, errors, fields) -> int:
    """Read a request line's codes into `codes`; returns the number of units they cover.

    `known` maps the request's codes the platform knows to whether each is a case.
    """

    def parse(raw: str, where: str) -> Code | None:
        try:
            code = read(raw, formats=formats)
        except CodeInvalid as invalid:
            errors.append({"field": where, "code": invalid.code, "message": invalid.message})
            return None
        for problem, message in mismatches(
            code, lot=item["lot_number"], expiry=item["expiry_date"], drug_gtin=drug.gtin
        ):
            errors.append({"field": where, "code": problem, "message": message})
        fields.setdefault(code.code, where)
        return code

    units = 0
    for position, raw in enumerate(item.get("trace_codes", [])):
        code = parse(raw, f"{at}.trace_codes[{position}]")
        if code is None:
            continue
        if known.get(code.code):  # a case listed among the units ships as the case it is
            codes.cases.append((code, []))
            units += len(plan.stored_units[code.code])
        else:
            codes.units.append(code)
            units += 1
    for position, case in enumerate(item.get("case_codes", [])):
        where = f"{at}.case_codes[{position}]"
        code = parse(case["code"], f"{where}.code")
        given = [parse(raw, f"{where}.units[{n}]") for n, raw in enumerate(case.get("units", []))]
        if code is None or None in given:
            continue
        stored = plan.stored_units.get(code.code)
        nested = [unit.code for unit in given if known.get(unit.code)]
        if known.get(code.code) is False or nested:
            errors.append(
                {
                    "field": f"{where}.code" if not nested else f"{where}.units",
                    "code": "not_a_case",
                    "message": _("%(code)s is a unit code on the platform, not a case.") % {"code": code.code}
                    if not nested
                    else _("A case cannot hold another case: %(codes)s.") % {"codes": ", ".join(nested)},
                }
            )
            continue
        if stored is None and not given:
            errors.append(
                {
                    "field": f"{where}.units",
                    "code": "case_units_required",
                    "message": _("%(code)s is new to the platform: list the units it holds.") % {"code": code.code},
                }
            )
        elif stored is not None and given and {unit.code for unit in given} != set(stored):
            errors.append(
                {
                    "field": f"{where}.units",
                    "code": "case_contents_mismatch",
                    "message": _("%(code)s holds %(count)s other units on the platform.")
                    % {"code": code.code, "count": len(stored)},
                }
            )
        codes.cases.append((code, [] if stored is not None else given))
        units += len(stored) if stored is not None else len(given)
    return units


def _recalled_lots(drug_ids: set[int]) -> dict[int, set[str]]:
    recalled: dict[int, set[str]] = defaultdict(set)
    for drug_id, keys in Recall.objects.filter(drug_id__in=drug_ids).values_list("drug_id", "lot_keys"):
        recalled[drug_id].update(keys)
    return recalled


@transaction.atomic
def shipment_record_temperatures(*, shipment: Shipment, actor: Actor, readings: list[tuple]) -> Shipment:
    """The supplier adds the logger's readings to a shipment in transit (once: the record is evidence).

    Raises: NotAParty (not the supplier), InvalidTransition (already received), TemperatureRecordExists.
    """
    shipment = Shipment.objects.select_for_update().get(pk=shipment.pk)
    if not actor.acts_for(shipment.supplier_id):
        raise NotAParty(_("Only the supplier may do this."))
    check_transition(SHIPMENT, shipment, "receive")  # still in transit
    if TemperatureRecord.objects.filter(shipment=shipment).exists():
        raise TemperatureRecordExists()
    temperatures = [celsius for _moment, celsius in readings]
    record = TemperatureRecord.objects.create(
        shipment=shipment,
        min_celsius=min(temperatures),
        max_celsius=max(temperatures),
        readings=[[moment.isoformat(), str(celsius)] for moment, celsius in readings],
        source="readings",
        recorded_by=actor.audit.label,
    )
    storages = set(shipment.lines.values_list("drug__storage", flat=True))
    shipment.temperature_flag = cold_chain.flag_for(
        storages=storages, minimum=record.min_celsius, maximum=record.max_celsius
    )
    shipment.save(update_fields=["temperature_flag", "updated_at"])
    audit_record(
        actor=actor.audit,
        action="shipment.temperature_recorded",
        object_type="shipment",
        object_id=shipment.pk,
        organization_id=shipment.supplier_id,
        changes={
            "readings": len(readings),
            "min": record.min_celsius,
            "max": record.max_celsius,
            "flag": shipment.temperature_flag,
        },
    )
    return shipment
