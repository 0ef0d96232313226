"""The offer-import task body: parse, check every row against the listing rules, upsert in chunks by COPY.

New offers get their customs status (SPEC §4a) from the optional customs_status column, duty_paid without it, and
the `list` row of their customs history, as POST /offers/ gives them; an existing offer's status is never changed
by import (catalog.customs: forward only, by a recorded event with the declaration number).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from itertools import islice

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.choices import PROVINCE_CODES
from accounts.selectors import trading_standing
from catalog import sql
from catalog.choices import CustomsStatus, OfferStatus
from catalog.models import Drug, ImportJob, Offer, SimplifiedVatElection
from catalog.services.offers import default_vat_rate, listing_refusal, vat_rate_refusal
from catalog.tabular import (
    CHUNK_ROWS,
    CellError,
    FileUnreadable,
    ImportTally,
    cell,
    date_cell,
    decimal_cell,
    header_map,
    int_cell,
    text_cell,
)
from catalog.validators import normalize_code

ALIASES = {
    "药品id": "drug_id",
    "drug": "drug_id",
    "批准文号": "approval_number",
    "规格": "specification",
    "包装": "package",
    "单价": "unit_price",
    "含税单价": "unit_price",
    "price": "unit_price",
    "税率": "vat_rate",
    "库存": "stock",
    "起订量": "min_order_quantity",
    "最小起订量": "min_order_quantity",
    "订购倍数": "order_multiple",
    "交货天数": "lead_time_days",
    "配送省份": "provinces",
    "最近效期": "earliest_expiry",
    "状态": "status",
    "关税状态": "customs_status",
    "海关状态": "customs_status",
}
TERMS = sql.IMPORT_TERMS
DEFAULTS = {"min_order_quantity": 1, "order_multiple": 1, "lead_time_days": 2, "provinces": [], "earliest_expiry": None,
            "status": OfferStatus.ACTIVE}  # fmt: skip
_PROVINCE_BY_NAME = {name: code for code, name in PROVINCE_CODES.items()}
_STATUS_WORDS = {"active": OfferStatus.ACTIVE, "上架": OfferStatus.ACTIVE, "paused": OfferStatus.PAUSED,
                 "下架": OfferStatus.PAUSED}  # fmt: skip
_CUSTOMS_WORDS = {"duty_paid": CustomsStatus.DUTY_PAID, "完税": CustomsStatus.DUTY_PAID,
                  "zero_tariff": CustomsStatus.ZERO_TARIFF, "零关税": CustomsStatus.ZERO_TARIFF,
                  "bonded": CustomsStatus.BONDED, "保税": CustomsStatus.BONDED}  # fmt: skip
_SPECIAL_WORDS = {"lecheng_special", "特许药品", "特许"}


def _vat_cell(value):
    rate = decimal_cell(value, places=4)
    if rate >= 1:
        rate = rate / 100  # "13" or "13%" written as a percentage
    rate = rate.quantize(Decimal("0.01"))
    if str(rate) not in ("0.13", "0.09", "0.03"):
        raise CellError(_("The VAT rate must be 0.13, 0.09 or 0.03 (13%, 9%, 3%)."))
    return rate


def _vat(value):
    return _vat_cell(str(value).replace("%", "").strip() if isinstance(value, str) else value)


def _provinces(value) -> list[str]:
    codes = []
    for part in re.split(r"[,;\uff0c\uff1b、\s]+", text_cell(value, max_length=2000)):
        if not part:
            continue
        code = part if part in PROVINCE_CODES else _PROVINCE_BY_NAME.get(part)
        if code is None:
            raise CellError(
                _('"%(value)s" is not a province code such as 460000 or a province name such as 海南省.')
                % {"value": part}
            )
        codes.append(code)
    return sorted(set(codes))


def _status(value) -> str:
    status = _STATUS_WORDS.get(text_cell(value).lower())
    if status is None:
        raise CellError(_("The status must be active or paused."))
    return status


def _customs_status(value) -> str:
    word = text_cell(value).lower()
    if word in _SPECIAL_WORDS:  # special-licensed drugs are listed one by one (catalog.customs), never in bulk
        raise CellError(
            _(
                "lecheng_special is only for special-licensed drugs (特许药品), which are listed one by one with "
                "POST /offers/, not by import."
            )
        )
    status = _CUSTOMS_WORDS.get(word)
    if status is None:
        raise CellError(_("The customs status must be duty_paid, zero_tariff or bonded (完税, 零关税, 保税)."))
    return status


PARSERS: dict[str, Callable] = {
    "unit_price": lambda v: _positive(decimal_cell(v)),
    "vat_rate": _vat,
    "stock": lambda v: int_cell(v),
    "min_order_quantity": lambda v: int_cell(v, minimum=1, maximum=1_000_000),
    "order_multiple": lambda v: int_cell(v, minimum=1, maximum=1_000_000),
    "lead_time_days": lambda v: int_cell(v, maximum=365),
    "provinces": _provinces,
    "earliest_expiry": date_cell,
    "status": _status,
    "customs_status": _customs_status,
}


def _positive(amount):
    if amount <= 0:
        raise CellError(_("The price must be more than 0."))
    return amount


def offer_rows_import(
    *, job: ImportJob, rows: Iterator[tuple[int, list]], tally: ImportTally, on_progress: Callable[[], None]
) -> None:
    supplier = job.organization
    standing = trading_standing(organization=supplier)
    may_trade, scope_tags = standing.may_trade, standing.scope_tags
    header = next(rows, None)
    if header is None:
        raise FileUnreadable(_("The file has no header row."))
    columns = header_map(header[1], ALIASES)
    missing = [name for name in ("unit_price", "stock") if name not in columns]
    if "drug_id" not in columns and "approval_number" not in columns:
        missing.append("drug_id or approval_number")
    if missing:
        raise FileUnreadable(
            _("Missing columns: %(columns)s. The first row must name the columns.") % {"columns": ", ".join(missing)}
        )
    seen: dict[int, int] = {}
    while chunk := list(islice(rows, CHUNK_ROWS)):
        _import_chunk(job, supplier, may_trade, scope_tags, columns, chunk, seen, tally)
        on_progress()


def _parse(number: int, cells: list, columns: dict[str, int], tally: ImportTally) -> dict | None:
    values, failed = {}, False
    for name, parse in PARSERS.items():
        raw = cell(cells, columns, name)
        if raw is None:
            if name in ("unit_price", "stock"):
                tally.error(number, name, _("This column is required."))
                failed = True
            continue
        try:
            values[name] = parse(raw)
        except CellError as error:
            tally.error(number, name, str(error))
            failed = True
    ref = {}
    try:
        raw_id = cell(cells, columns, "drug_id")
        if raw_id is not None:
            ref["drug_id"] = int_cell(raw_id, minimum=1, maximum=2**62)
        else:
            ref["approval_number"] = normalize_code(text_cell(cell(cells, columns, "approval_number"), max_length=40))
            ref["specification"] = text_cell(cell(cells, columns, "specification"))
            ref["package"] = text_cell(cell(cells, columns, "package"), max_length=100)
            if not ref["approval_number"]:
                raise CellError(_("Give drug_id, or approval_number with specification (and package)."))
    except CellError as error:
        tally.error(number, "drug_id" if "drug_id" in columns else "approval_number", str(error))
        failed = True
    return None if failed else {"row": number, "ref": ref, "values": values}


def _resolve(parsed: list[dict]) -> dict[int, Drug | str]:
    """Row number → its drug, or a message why no single drug matches."""
    ids = {p["ref"]["drug_id"] for p in parsed if "drug_id" in p["ref"]}
    approvals = {p["ref"]["approval_number"] for p in parsed if "approval_number" in p["ref"]}
    drugs = list(Drug.objects.filter(pk__in=ids)) + list(Drug.objects.filter(approval_number__in=approvals))
    by_id = {drug.pk: drug for drug in drugs}
    by_code: dict[tuple[str, str], list[Drug]] = {}
    for drug in by_id.values():
        by_code.setdefault((drug.approval_number, normalize_code(drug.specification)), []).append(drug)
    found: dict[int, Drug | str] = {}
    for p in parsed:
        ref = p["ref"]
        if "drug_id" in ref:
            found[p["row"]] = by_id.get(ref["drug_id"]) or _("No drug with id %(id)s.") % {"id": ref["drug_id"]}
            continue
        candidates = by_code.get((ref["approval_number"], normalize_code(ref["specification"])), [])
        if ref["package"]:
            candidates = [d for d in candidates if normalize_code(d.package) == normalize_code(ref["package"])]
        if len(candidates) == 1:
            found[p["row"]] = candidates[0]
        elif not candidates:
            found[p["row"]] = _("No drug with this approval number and specification (and package).")
        else:
            found[p["row"]] = _("Several packages match; add the package column.")
    return found


def _import_chunk(job, supplier, may_trade, scope_tags, columns, chunk, seen, tally: ImportTally) -> None:
    parsed = []
    for number, cells in chunk:
        tally.processed += 1
        row = _parse(number, cells, columns, tally)
        if row is None:
            tally.failed += 1
        else:
            parsed.append(row)
    drugs = _resolve(parsed)
    drug_ids = [d.pk for d in drugs.values() if isinstance(d, Drug)]
    existing = {offer.drug_id: offer for offer in Offer.objects.filter(supplier=supplier, drug_id__in=drug_ids)}
    elected = set(
        SimplifiedVatElection.objects.filter(
            supplier=supplier, drug_id__in=drug_ids, ended_on__isnull=True
        ).values_list("drug_id", flat=True)
    )
    creates, updates = [], []
    for p in parsed:
        number, drug = p["row"], drugs[p["row"]]
        column = "drug_id" if "drug_id" in p["ref"] else "approval_number"
        message = drug if isinstance(drug, str) else _refusal(drug, may_trade, scope_tags, p, seen, elected)
        if message:
            tally.error(number, "vat_rate" if message.startswith("VAT:") else column, message.removeprefix("VAT:"))
            tally.failed += 1
            continue
        seen[drug.pk] = number
        offer = existing.get(drug.pk)
        values = dict(p["values"])
        customs_status = values.pop("customs_status", None)
        base = {f: getattr(offer, f) for f in TERMS} if offer else {**DEFAULTS}
        if offer is None and "vat_rate" not in values:
            base["vat_rate"] = default_vat_rate(drug=drug, elected=drug.pk in elected)
        new = {**base, **values}
        if new["min_order_quantity"] % new["order_multiple"]:
            tally.error(number, "min_order_quantity", _("Must be a multiple of order_multiple."))
            tally.failed += 1
        elif offer is None:
            creates.append((drug.pk, {**new, "customs_status": customs_status or CustomsStatus.DUTY_PAID}, None))
            tally.created += 1
        elif customs_status is not None and customs_status != offer.customs_status:
            tally.error(number, "customs_status", _customs_change_refusal(offer, customs_status))
            tally.failed += 1
        elif offer.status == OfferStatus.SUSPENDED:
            tally.error(number, column, _("Platform staff suspended this offer; it cannot be changed by import."))
            tally.failed += 1
        elif new == base:
            tally.unchanged += 1
        else:
            updates.append((drug.pk, new, offer))
            tally.updated += 1
    if creates or updates:
        _write(job, supplier, creates + updates)


def _customs_change_refusal(offer: Offer, wanted: str) -> str:
    return _(
        "The offer's goods are %(current)s at customs, and an import does not change that. Goods move forward "
        "(bonded → zero_tariff or duty_paid, zero_tariff → duty_paid) by a customs event with its declaration "
        "number: POST /api/v1/offers/%(id)s/customs-status/ with customs_status %(wanted)s."
    ) % {"current": offer.customs_status, "wanted": wanted, "id": offer.pk}


def _refusal(drug, may_trade, scope_tags, parsed, seen, elected: set[int]) -> str | None:
    if drug.pk in seen:
        return _("The same drug is already in row %(row)s.") % {"row": seen[drug.pk]}
    if drug.special_licensed:  # listed one by one as lecheng_special (catalog.customs), never in bulk
        return _("Special-licensed drugs (特许药品) are listed one by one with POST /offers/, not by import.")
    refusal = listing_refusal(drug=drug, may_trade=may_trade, scope_tags=scope_tags)
    if refusal is not None:
        return str(refusal.detail)
    rate = parsed["values"].get("vat_rate")
    if rate is not None:
        message = vat_rate_refusal(drug=drug, rate=rate, elected=drug.pk in elected)
        if message:
            return "VAT:" + message
    return None


@transaction.atomic
def _write(job: ImportJob, supplier, rows: list[tuple]) -> None:
    sql.offer_import_write(
        supplier_id=supplier.pk,
        job_id=job.pk,
        label=job.created_by_label,
        user_id=job.created_by_id,
        rows=[(offer, drug_id, new) for drug_id, new, offer in rows],
    )
