"""Procurement plans (采购计划, SPEC §5a): a buyer uploads its monthly plan (CSV or XLSX: drug, quantity, preferred
supplier) and sees every line priced (its own price where lower) and checked by the gate, with every reason. Each
line is the preferred supplier's cheapest active offer of the drug, or the market's cheapest when no supplier is
named. This module places nothing: plan_placement keeps a checked plan and places it."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO

from django.utils.translation import gettext as _

from catalog.choices import ImportFormat, OfferStatus
from catalog.models import Offer
from catalog.tabular import (
    CellError,
    FileUnreadable,
    cell,
    header_map,
    int_cell,
    read_rows,
    sniff_format,
    xlsx_check,
)
from orders.compliance import LineRequest
from orders.services import checkout_preview
from pharmex.actor import Actor
from pharmex.errors import InvalidInput
from pharmex.money import MAX_QUANTITY

PLAN_MAX_ROWS = 500  # a month's plan of one institution: a few hundred drugs at most
ALIASES = {
    "药品id": "drug_id",
    "药品编号": "drug_id",
    "数量": "quantity",
    "采购数量": "quantity",
    "供应商id": "supplier_id",
    "配送企业id": "supplier_id",
}


@dataclass
class PlanLine:
    row: int
    drug_id: int | None = None
    quantity: int | None = None
    supplier_id: int | None = None
    offer_id: int | None = None
    unit_price: Decimal | None = None
    gross: Decimal | None = None
    reasons: list[dict] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not self.reasons


def refuse_file(message: str) -> InvalidInput:
    return InvalidInput([{"field": "file", "code": "invalid", "message": message}])


def read_upload(upload: BinaryIO, name: str, *, limit: int) -> list[tuple[int, list]]:
    """(row number, cells) of every non-blank row of an uploaded CSV or XLSX, the header first.

    Raises: InvalidInput (unreadable, more than `limit` rows after the header)."""
    head = upload.read(8)
    upload.seek(0)
    file_format = sniff_format(name, head)
    try:
        if file_format == ImportFormat.XLSX:
            xlsx_check(upload, deep=True)
        with tempfile.NamedTemporaryFile(suffix=f".{file_format}") as copy:
            for chunk in iter(lambda: upload.read(65536), b""):
                copy.write(chunk)
            copy.flush()
            return list(read_rows(copy.name, file_format, limit=limit))
    except FileUnreadable as error:
        raise refuse_file(str(error)) from None


def _parse(number: int, cells: list, columns: dict[str, int]) -> PlanLine:
    line = PlanLine(row=number)
    for name, required, maximum in (("drug_id", True, 2**31 - 1), ("quantity", True, MAX_QUANTITY),
                                    ("supplier_id", False, 2**31 - 1)):  # fmt: skip
        value = cell(cells, columns, name)
        if value is None:
            if required:
                line.reasons.append({"field": name, "code": "required", "message": _("This column is required.")})
            continue
        try:
            setattr(line, name, int_cell(value, minimum=1, maximum=maximum))
        except CellError as error:
            line.reasons.append({"field": name, "code": "invalid", "message": str(error)})
    return line


def _offer_for(line: PlanLine, offers: list[Offer]) -> Offer | None:
    """The preferred supplier's cheapest active offer of the drug, else the cheapest of any supplier."""
    matching = [o for o in offers if o.drug_id == line.drug_id]
    if line.supplier_id is not None:
        matching = [o for o in matching if o.supplier_id == line.supplier_id]
    return min(matching, key=lambda o: (o.unit_price, o.pk), default=None)


def plan_check(*, actor: Actor, upload: BinaryIO, name: str) -> list[PlanLine]:
    """Every line of the plan, priced and checked by the gate (nothing is placed).

    Raises: InvalidInput (an unreadable file, no header with drug_id and quantity, more than PLAN_MAX_ROWS rows).
    """
    buyer = actor.require_organization()
    rows = read_upload(upload, name, limit=PLAN_MAX_ROWS)
    if not rows:
        raise refuse_file(_("The file is empty."))
    (_header_row, header), body = rows[0], rows[1:]
    columns = header_map(header, ALIASES)
    if not {"drug_id", "quantity"} <= columns.keys():
        raise refuse_file(_("The first row must name the columns drug_id and quantity (supplier_id optional)."))
    lines = [_parse(number, cells, columns) for number, cells in body]
    drug_ids = {line.drug_id for line in lines if line.drug_id is not None}
    offers = list(
        Offer.objects.filter(drug_id__in=drug_ids, status=OfferStatus.ACTIVE)
        .exclude(supplier_id=buyer.pk)
        .only("pk", "drug_id", "supplier_id", "unit_price")
    )
    requests: list[LineRequest] = []
    placed: list[PlanLine] = []
    for line in lines:
        if line.reasons:
            continue
        offer = _offer_for(line, offers)
        if offer is None:
            line.reasons.append(
                {"field": "drug_id", "code": "no_offer", "message": _("No supplier named offers this drug now.")}
            )
            continue
        line.offer_id = offer.pk
        requests.append(LineRequest(offer_id=offer.pk, quantity=line.quantity))
        placed.append(line)
    if requests:
        preview = checkout_preview(actor=actor, lines=requests)
        for line, verdict in zip(placed, preview.result.lines, strict=True):
            line.unit_price, line.gross = verdict.unit_price, verdict.gross
            line.reasons += [
                {**reason.as_error(), "field": reason.field.split(".", 1)[-1]} for reason in verdict.reasons
            ]
            line.supplier_id = verdict.offer.supplier_id if verdict.offer is not None else line.supplier_id
        for reason in preview.result.order_reasons:
            for line in placed:
                line.reasons.append(reason.as_error())
    return lines
