"""GSP purchase and sales records (购进/销售记录, SPEC §7a), read from the orders' snapshots.

A record is one received shipment line: a purchase record for the buyer, a sales record for the supplier. Every
drug and party fact comes from what the order and the shipment recorded when they happened (the order line's
snapshot, the order's party names and licence numbers, the shipment's lot, expiry, staff and invoices), never from
master data, so a record never changes after the sale.

Each source of records is a function `(organization, kind, start, end) -> iterator of Record dicts`; returns,
when they exist, are one more source yielding negative quantities and amounts with their reason
(`RECORD_SOURCES`), and the records of a range are the sources' rows merged by date.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta

from django.db.models import F, QuerySet
from django.utils import timezone

from accounts.models import Organization
from orders.models import ShipmentLine
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


def day_bounds(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """[start, end) of these local days (Asia/Shanghai)."""
    start = timezone.make_aware(datetime.combine(first_day, time.min))
    end = timezone.make_aware(datetime.combine(last_day + timedelta(days=1), time.min))
    return start, end


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
            "accepted_quantity",
            "lot_number",
            "expiry_date",
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
    quantity = row.pop("accepted_quantity")
    invoices = row.pop("invoices")
    return {
        **row,
        "record_type": kind,
        "place_of_origin": "",  # 产地 of 中药饮片: no snapshot holds it yet (README, "GSP records, regulators …")
        "quantity": quantity,
        "amount": quantize(row["unit_price"] * quantity),
        "invoice_numbers": ", ".join(invoices or ()),
        "reason": "",
    }


def _received(organization: Organization, kind: str, start: datetime, end: datetime) -> Iterator[Record]:
    rows = received_lines(organization=organization, kind=kind, start=start, end=end)
    for row in rows.iterator(chunk_size=2000):
        yield received_record(row, kind)


# Every source of records; a returns source (negative quantities and amounts, with the reason) is appended here.
RECORD_SOURCES: list[RecordSource] = [_received]


def records(*, organization: Organization, kind: str, first_day: date, last_day: date) -> Iterator[Record]:
    """The organisation's purchase or sales records of these local days, oldest first, streamed."""
    start, end = day_bounds(first_day, last_day)
    streams = [source(organization, kind, start, end) for source in RECORD_SOURCES]
    if len(streams) == 1:
        return streams[0]
    return heapq.merge(*streams, key=lambda record: record["date"])


def record_rows(records_: Iterator[Record]) -> Iterator[list]:
    """The records as export rows (RECORD_FIELDS order)."""
    for record in records_:
        yield [record[name] for name in RECORD_FIELDS]
