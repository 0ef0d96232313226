"""The traceability-code export (SPEC §5): the rows a buyer uploads to 医保 and 码上放心, through the one writer."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import QuerySet

from orders.models import CustodyHop

CODES_HEADER = [
    "shipment_id",
    "order_number",
    "code",
    "kind",
    "is_case",
    "case_code",
    "drug_id",
    "generic_name",
    "specification",
    "national_drug_code",
    "gtin",
    "lot_number",
    "expiry_date",
    "outcome",
    "received_at",
]


def code_rows(hops: QuerySet[CustodyHop]) -> Iterator[list]:
    """One row per code a shipment carried, read in chunks (a shipment may carry tens of thousands)."""
    rows = hops.values_list(
        "shipment_id",
        "shipment__order__number",
        "code__code",
        "code__kind",
        "code__is_case",
        "code__case__code",
        "shipment_line__drug_id",
        "shipment_line__order_line__drug_name",  # as the order recorded it
        "shipment_line__order_line__specification",
        "shipment_line__drug__national_drug_code",
        "code__gtin",
        "shipment_line__drug__gtin",
        "shipment_line__lot_number",
        "shipment_line__expiry_date",
        "outcome",
        "shipment__received_at",
    )
    for *head, code_gtin, drug_gtin, lot, expiry, outcome, received_at in rows.iterator(chunk_size=2000):
        yield [*head, code_gtin or drug_gtin, lot, expiry, outcome, received_at]
