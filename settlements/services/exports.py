"""Statement exports (CSV, XLSX) that stream with flat memory at any size (SPEC §6).

Rows come from a server-side cursor in chunks; CSV is yielded as it is produced. XLSX is a zip whose
directory comes last, so it is written row by row with openpyxl's write-only mode to a temporary
file (constant memory) and then streamed from disk in chunks.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, Func, QuerySet, Value
from django.utils import timezone
from openpyxl import Workbook

from settlements.models import Statement, StatementLine

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
XLSX_SHEET_ROWS = 1_000_000  # Excel's limit is 1,048,576 rows per sheet
FILE_CHUNK_BYTES = 256 * 1024


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
            f"adjustments {s.adjustments}",
            s.line_count,
            s.net,
            s.currency,
        ]


def _local(moment, tz) -> str:
    return moment.astimezone(tz).isoformat(timespec="seconds") if moment else ""


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(rows: Iterable[list]) -> Iterator[bytes]:
    """UTF-8 with a BOM, so Excel opens Chinese names correctly; yielded in ~64 KiB pieces."""
    writer = csv.writer(_Echo())
    buffer: list[str] = ["\ufeff" + writer.writerow(HEADER)]
    size = 0
    for row in rows:
        text = writer.writerow([str(v) if isinstance(v, Decimal) else v for v in row])
        buffer.append(text)
        size += len(text)
        if size >= 64 * 1024:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    yield "".join(buffer).encode()


def xlsx_stream(rows: Iterable[list]) -> Iterator[bytes]:
    """Write the workbook in constant memory to a temporary file, then stream the file."""
    with tempfile.TemporaryFile() as handle:
        workbook = Workbook(write_only=True)
        sheet, written = None, XLSX_SHEET_ROWS
        for row in rows:
            if written >= XLSX_SHEET_ROWS:
                sheet = workbook.create_sheet(f"lines{len(workbook.worksheets) + 1}")
                sheet.append(HEADER)
                written = 0
            sheet.append(row)
            written += 1
        if sheet is None:
            workbook.create_sheet("lines1").append(HEADER)
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(FILE_CHUNK_BYTES):
            yield chunk
