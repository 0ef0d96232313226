"""GSP purchase and sales records (购进/销售记录, SPEC §7a), read from the orders' snapshots.

A record is one received shipment line: a purchase record for the buyer, a sales record for the supplier. Every
drug and party fact comes from what the order and the shipment recorded when they happened (the order line's
snapshot, the order's party names and licence numbers, the shipment's lot, expiry, 产地, staff and invoices), never from
master data, so a record never changes after the sale.

Returns are negative records: every return line the supplier accepted back is, at the supplier's receipt of the
return (its date), a negative purchase record for the buyer and a negative sales record for the supplier — minus
the units accepted back, at the sale's price — with the return's reason (label and note) and the staff who shipped
it back (purchase) or received it back (sales).

Each source of records (`RECORD_SOURCES`) is a function `(organization, kind, start, end) -> iterator of Record
dicts` ordered by (date, group, id); the export merges the sources by date, and the paged JSON list pages the
union of their keys in SQL (`record_keys`) and then reads the page's rows (`record_page`).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from datetime import date, datetime

from django.db.models import F, IntegerField, OuterRef, QuerySet, Subquery, Value

from accounts.models import Organization
from orders.models import ReturnEvent, ReturnLine, ShipmentLine
from orders.return_choices import ReturnReason
from pharmex.calendar import local_days
from pharmex.money import quantize

PURCHASE = "purchase"
SALES = "sales"
KINDS = (PURCHASE, SALES)

# The columns of a record, in the order exports write them (the JSON keys are the same names).
RECORD_FIELDS = (
    "record_type",
    "date",
    "order_number",
    "shipment_sequence",
    "counterparty_name",
    "counterparty_license_number",
    "generic_name",
    "brand_name",
    "dosage_form",
    "specification",
    "package",
    "manufacturer_name",
    "mah_name",
    "approval_number",
    "place_of_origin",
    "lot_number",
    "expiry_date",
    "quantity",
    "unit",
    "unit_price",
    "amount",
    "staff",
    "invoice_numbers",
    "reason",
)

Record = dict
RecordSource = Callable[[Organization, str, datetime, datetime], Iterator[Record]]


def received_lines(*, organization: Organization, kind: str, start: datetime, end: datetime) -> QuerySet:
    """The shipment lines received in [start, end) with accepted units, as the buyer (purchase) or supplier."""
    party = {"shipment__buyer": organization} if kind == PURCHASE else {"shipment__supplier": organization}
    prefix = "supplier" if kind == PURCHASE else "buyer"  # the counterparty
    staff = "shipment__received_by" if kind == PURCHASE else "shipment__shipped_by"
    return (
        ShipmentLine.objects.filter(
            **party, shipment__received_at__gte=start, shipment__received_at__lt=end, accepted_quantity__gt=0
        )
        .order_by("shipment__received_at", "shipment_id", "id")
        .values(
            "id",
            "accepted_quantity",
            "lot_number",
            "expiry_date",
            "place_of_origin",
            date=F("shipment__received_at"),
            order_number=F("shipment__order__number"),
            shipment_sequence=F("shipment__sequence"),
            counterparty_name=F(f"shipment__order__{prefix}_name"),
            counterparty_license_number=F(f"shipment__order__{prefix}_license_number"),
            generic_name=F("order_line__drug_name"),
            brand_name=F("order_line__brand_name"),
            dosage_form=F("order_line__dosage_form"),
            specification=F("order_line__specification"),
            package=F("order_line__package"),
            manufacturer_name=F("order_line__manufacturer_name"),
            mah_name=F("order_line__mah_name"),
            approval_number=F("order_line__approval_number"),
            unit=F("order_line__sale_unit"),
            unit_price=F("order_line__unit_price"),
            staff=F(staff),
            invoices=F("shipment__invoice_numbers"),
        )
    )


def received_record(row: dict, kind: str) -> Record:
    """One row of `received_lines` as a record."""
    row = dict(row)
    row.pop("id", None)
    quantity = row.pop("accepted_quantity")
    invoices = row.pop("invoices")
    return {
        **row,
        "record_type": kind,
        "quantity": quantity,
        "amount": quantize(row["unit_price"] * quantity),
        "invoice_numbers": ", ".join(invoices or ()),
        "reason": "",
    }


def _received(organization: Organization, kind: str, start: datetime, end: datetime) -> Iterator[Record]:
    rows = received_lines(organization=organization, kind=kind, start=start, end=end)
    for row in rows.iterator(chunk_size=2000):
        yield received_record(row, kind)


def returned_lines(*, organization: Organization, kind: str, start: datetime, end: datetime) -> QuerySet:
    """The return lines the supplier received back in [start, end) with accepted units, as the buyer (purchase) or
    the supplier (sales); lot, order and party facts from the shipment line and the order's snapshots."""
    party = {"return_request__buyer": organization} if kind == PURCHASE else {"return_request__supplier": organization}
    prefix = "supplier" if kind == PURCHASE else "buyer"  # the counterparty
    # The buyer's staff who shipped the goods back (purchase), the supplier's who checked them in (sales).
    staff_action = "ship_back" if kind == PURCHASE else "receive"
    staff = ReturnEvent.objects.filter(return_request=OuterRef("return_request"), action=staff_action)
    return (
        ReturnLine.objects.filter(
            **party,
            return_request__received_at__gte=start,
            return_request__received_at__lt=end,
            accepted_quantity__gt=0,
        )
        .order_by("return_request__received_at", "return_request_id", "id")
        .values(
            "id",
            "accepted_quantity",
            date=F("return_request__received_at"),
            order_number=F("return_request__order__number"),
            shipment_sequence=F("shipment_line__shipment__sequence"),
            counterparty_name=F(f"return_request__order__{prefix}_name"),
            counterparty_license_number=F(f"return_request__order__{prefix}_license_number"),
            generic_name=F("order_line__drug_name"),
            brand_name=F("order_line__brand_name"),
            dosage_form=F("order_line__dosage_form"),
            specification=F("order_line__specification"),
            package=F("order_line__package"),
            manufacturer_name=F("order_line__manufacturer_name"),
            mah_name=F("order_line__mah_name"),
            approval_number=F("order_line__approval_number"),
            lot_number=F("shipment_line__lot_number"),
            expiry_date=F("shipment_line__expiry_date"),
            place_of_origin=F("shipment_line__place_of_origin"),
            unit=F("order_line__sale_unit"),
            unit_price=F("order_line__unit_price"),
            staff=Subquery(staff.order_by("-id").values("actor")[:1]),
            invoices=F("shipment_line__shipment__invoice_numbers"),
            return_number=F("return_request__number"),
            return_reason=F("return_request__reason"),
            return_note=F("return_request__note"),
        )
    )


def return_reason(reason: str, note: str) -> str:
    """A return's reason as a record shows it: the reason's label, and the buyer's note when there is one."""
    label = str(ReturnReason(reason).label) if reason in ReturnReason.values else reason
    return f"{label}: {note}" if note else label


def returned_record(row: dict, kind: str) -> Record:
    """One row of `returned_lines` as a negative record: minus the units accepted back, at the sale's price."""
    row = dict(row)
    row.pop("id", None)
    quantity = -row.pop("accepted_quantity")
    invoices = row.pop("invoices")
    row.pop("return_number")
    reason = return_reason(row.pop("return_reason"), row.pop("return_note"))
    return {
        **row,
        "record_type": kind,
        "staff": row["staff"] or "",
        "quantity": quantity,
        "amount": quantize(row["unit_price"] * quantity),
        "invoice_numbers": ", ".join(invoices or ()),  # the sale's invoices, which the return reverses
        "reason": reason,
    }


def _returned(organization: Organization, kind: str, start: datetime, end: datetime) -> Iterator[Record]:
    rows = returned_lines(organization=organization, kind=kind, start=start, end=end)
    for row in rows.iterator(chunk_size=2000):
        yield returned_record(row, kind)


# Every source of records, in the order records of the same instant are listed: received lines, then returns.
RECORD_SOURCES: list[RecordSource] = [_received, _returned]

# The paged list's view of each source (same order): its rows queryset, its row → record, and its key columns
# (date, group) — the key of a row is (date, source index, group, id).
_PAGED_SOURCES = (
    (received_lines, received_record, "shipment__received_at", "shipment_id"),
    (returned_lines, returned_record, "return_request__received_at", "return_request_id"),
)


_KEY = ("key_date", "key_source", "key_group", "key_id")


def record_keys(*, organization: Organization, kind: str, start: datetime, end: datetime) -> QuerySet:
    """The keys of every record of [start, end), all sources, as one SQL query (a UNION ALL of the sources' keys
    with identical columns) ordered as the export lists them: (date, source, group, id). Pages in SQL."""
    keys = [
        rows(organization=organization, kind=kind, start=start, end=end)
        .order_by()
        .annotate(
            key_date=F(date), key_source=Value(index, output_field=IntegerField()), key_group=F(group), key_id=F("id")
        )
        .values_list(*_KEY)
        for index, (rows, _record, date, group) in enumerate(_PAGED_SOURCES)
    ]
    return keys[0].union(*keys[1:], all=True).order_by(*_KEY)


def record_page(*, organization: Organization, kind: str, start: datetime, end: datetime, keys) -> list[Record]:
    """The records of a page of `record_keys`, in the keys' order."""
    by_key = {}
    for index, (rows, record, _date, _group) in enumerate(_PAGED_SOURCES):
        ids = [key[3] for key in keys if key[1] == index]
        if ids:
            for row in rows(organization=organization, kind=kind, start=start, end=end).filter(id__in=ids):
                by_key[(index, row["id"])] = record(row, kind)
    return [by_key[(key[1], key[3])] for key in keys]


def records(*, organization: Organization, kind: str, first_day: date, last_day: date) -> Iterator[Record]:
    """The organisation's purchase or sales records of these local days, oldest first, streamed."""
    start, end = local_days(first_day, last_day)
    streams = [source(organization, kind, start, end) for source in RECORD_SOURCES]
    if len(streams) == 1:
        return streams[0]
    return heapq.merge(*streams, key=lambda record: record["date"])


def record_rows(records_: Iterator[Record]) -> Iterator[list]:
    """The records as export rows (RECORD_FIELDS order)."""
    for record in records_:
        yield [record[name] for name in RECORD_FIELDS]
