"""Statement exports (CSV, XLSX): the rows of a set of statements (SPEC §6).

`export_rows` reads them from a server-side cursor in chunks; the kernel's one spreadsheet writer
(`pharmex.exports`) turns them into a streamed CSV or XLSX with flat memory at any size and neutralises
formula-like text (a buyer named `=HYPERLINK(…)` stays text).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import DecimalField, ExpressionWrapper, F, Func, QuerySet, Value
from django.utils import timezone

from settlements.models import CreditNote, Statement, StatementLine

HEADER = [
    "statement",
    "supplier",
    "order_number",
    "buyer",
    "received_at",
    "paid_at",
    "line_no",
    "drug_name",
    "specification",
    "unit_price",
    "accepted_quantity",
    "accepted_amount",
    "currency",
]
CHUNK_ROWS = 2000
SHEET_NAME = "lines"


class _Round(Func):
    function = "ROUND"
    arity = 2


def export_rows(*, statements: QuerySet[Statement]) -> Iterator[list]:
    """One row per accepted order line of the statements' orders, then one summary row per statement.

    A line's accepted amount is rounded per line exactly as the order's accepted gross was, so the
    line amounts of a statement sum to its gross.
    """
    statement_ids = list(statements.order_by("id").values_list("id", flat=True))
    line = "order__lines__"
    amount = ExpressionWrapper(
        _Round(F(f"{line}unit_price") * F(f"{line}accepted_quantity"), Value(2)),
        output_field=DecimalField(max_digits=18, decimal_places=2),
    )
    lines = (
        StatementLine.objects.filter(statement_id__in=statement_ids, **{f"{line}accepted_quantity__gt": 0})
        .order_by("statement_id", "order_id", f"{line}line_no")
        .values_list(
            "statement__number",
            "order__supplier__legal_name",
            "order__number",
            "order__buyer__legal_name",
            "order__received_at",
            "paid_at",
            f"{line}line_no",
            f"{line}drug_name",
            f"{line}specification",
            f"{line}unit_price",
            f"{line}accepted_quantity",
            "order__currency",
        )
        .annotate(accepted_amount=amount)
    )
    tz = timezone.get_default_timezone()
    for (
        number,
        supplier,
        order_number,
        buyer,
        received_at,
        paid_at,
        line_no,
        drug,
        spec,
        price,
        quantity,
        currency,
        accepted,
    ) in lines.iterator(chunk_size=CHUNK_ROWS):
        yield [
            number,
            supplier,
            order_number,
            buyer,
            _local(received_at, tz),
            _local(paid_at, tz),
            line_no,
            drug,
            spec,
            price,
            quantity,
            accepted,
            currency,
        ]
    # A credit note deducted on a statement is a negative line: the returned value less its commission share.
    credits = (
        CreditNote.objects.filter(statement_id__in=statement_ids)
        .order_by("statement_id", "id")
        .values_list(
            "statement__number",
            "supplier__legal_name",
            "order__number",
            "buyer__legal_name",
            "created_at",
            "number",
            "gross",
            "commission",
            "net",
            "currency",
        )
    )
    for number, supplier, order, buyer, created_at, note, gross, commission, net, currency in credits.iterator():
        yield [
            number,
            supplier,
            order,
            buyer,
            _local(created_at, tz),
            "",
            "CREDIT",
            note,
            f"gross -{gross}, commission -{commission}",
            "",
            "",
            -net,
            currency,
        ]
    for s in Statement.objects.filter(pk__in=statement_ids).order_by("id"):
        yield [
            s.number,
            "TOTAL",
            "",
            "",
            "",
            "",
            "",
            f"gross {s.gross}",
            f"commission {s.commission}",
            f"adjustments {s.adjustments}"
            + (f", credits -{s.credits}, carried in {s.carried_in}" if s.credits or s.carried_in else ""),
            s.line_count,
            s.net,
            s.currency,
        ]


def _local(moment, tz) -> str:
    return moment.astimezone(tz).isoformat(timespec="seconds") if moment else ""
