"""The one spreadsheet writer: every CSV or XLSX export goes through `csv_stream` / `xlsx_stream` (or
`export_response`), never through `csv.writer` or openpyxl directly — statements, reports, traceability
codes, customs and GSP records, now and later.

What it guarantees, whatever the data (a buyer may call itself `=HYPERLINK("http://x","y")`):

- **No formula injection** (OWASP "CSV Injection"): a text cell starting with `=`, `+`, `-`, `@`, a tab or
  a carriage return gets a leading `'`, so a spreadsheet shows it as text instead of evaluating it. Only
  text is touched: numbers, `Decimal`s and dates keep their types (a refund of `Decimal("-20.00")` stays the
  number -20.00).
- **XLSX text is a string cell** (`data_type == "s"`), never a formula or an error value: neutralised text
  cannot start with `=`, and text openpyxl would take for an error value (`#N/A` …) is written as an explicit
  string cell. Characters XML cannot carry are dropped first, and the result is neutralised after that.
- **CSV**: UTF-8 with a BOM so Excel reads Chinese names; every text cell is quoted, so a separator inside a
  name cannot start a new cell in a locale whose list separator differs.
- **Flat memory at any size**: CSV is yielded in ~64 KiB pieces as rows arrive; XLSX is written row by row
  in openpyxl's write-only mode to a temporary file (a zip's directory comes last), then streamed from disk.
- A header row first; XLSX starts a new sheet every million rows (Excel's limit is 1,048,576).
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, WriteOnlyCell

from pharmex import replica

ExportValue = str | int | float | Decimal | date | datetime | time | None

# OWASP CSV injection: the characters a spreadsheet reads as the start of a formula (tab and CR included:
# an importer may drop them and then read the formula behind).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CSV_CHUNK_CHARS = 64 * 1024
FILE_CHUNK_BYTES = 256 * 1024
XLSX_SHEET_ROWS = 1_000_000
XLSX_MAX_TEXT = 32_766  # Excel's 32,767 characters per cell, less the `'` that may be added
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def neutralise(text: str) -> str:
    """`text` with a leading `'` when a spreadsheet would otherwise read it as a formula."""
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def _csv_cell(value: object) -> object:
    if type(value) is str:  # the common case first: exports are large
        return "'" + value if value.startswith(FORMULA_TRIGGERS) else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return value  # a number: written unquoted and unchanged
    if isinstance(value, datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).isoformat(timespec="seconds")
    if isinstance(value, date | time):
        return value.isoformat()
    return neutralise(str(value))


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(header: Sequence[str], rows: Iterable[Sequence[ExportValue]]) -> Iterator[bytes]:
    """The rows as UTF-8 CSV with a BOM and a header row, yielded in ~64 KiB pieces; text neutralised."""
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_NONNUMERIC)
    buffer: list[str] = ["\ufeff" + writer.writerow([_csv_cell(name) for name in header])]
    size = 0
    for row in rows:
        text = writer.writerow([_csv_cell(value) for value in row])
        buffer.append(text)
        size += len(text)
        if size >= CSV_CHUNK_CHARS:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    yield "".join(buffer).encode()


def _xlsx_cell(sheet, value: object) -> object:
    if type(value) is not str and (value is None or isinstance(value, int | float | Decimal | date | time)):
        if isinstance(value, datetime) and timezone.is_aware(value):
            return timezone.make_naive(value)  # Excel has no time zones: the platform's local time
        return value  # numbers and dates keep their types
    text = str(value)
    if ILLEGAL_CHARACTERS_RE.search(text):
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if not text:
        return None  # an empty cell, not an empty string cell
    text = neutralise(text[:XLSX_MAX_TEXT])
    if text in ERROR_CODES:  # openpyxl would write "#N/A" as an error value: an explicit string cell instead
        cell = WriteOnlyCell(sheet, value=text)
        cell.data_type = "s"
        return cell
    # Any other str becomes a string cell ("s"; neutralised text never starts with "=", which openpyxl would
    # take for a formula). Not a Cell object per value: that costs a quarter more time on a large export.
    return text


def xlsx_stream(
    header: Sequence[str], rows: Iterable[Sequence[ExportValue]], *, sheet_name: str = "rows"
) -> Iterator[bytes]:
    """The rows as an XLSX workbook (sheets `<sheet_name>1`, `<sheet_name>2` …, each with the header row),
    written in constant memory to a temporary file, then streamed in 256 KiB pieces; text cells are strings."""
    with tempfile.TemporaryFile() as handle:
        workbook = Workbook(write_only=True)
        sheet, written = None, XLSX_SHEET_ROWS
        for row in rows:
            if written >= XLSX_SHEET_ROWS:
                sheet = workbook.create_sheet(f"{sheet_name}{len(workbook.worksheets) + 1}")
                sheet.append([_xlsx_cell(sheet, name) for name in header])
                written = 0
            sheet.append([_xlsx_cell(sheet, value) for value in row])
            written += 1
        if sheet is None:
            sheet = workbook.create_sheet(f"{sheet_name}1")
            sheet.append([_xlsx_cell(sheet, name) for name in header])
        workbook.save(handle)
        handle.seek(0)
        while chunk := handle.read(FILE_CHUNK_BYTES):
            yield chunk


def export_response(
    *,
    file_format: str,
    header: Sequence[str],
    rows: Iterable[Sequence[ExportValue]],
    filename: str,
    sheet_name: str = "rows",
) -> StreamingHttpResponse:
    """A streamed download of the rows as `file_format` ("csv" or "xlsx") named `<filename>.<file_format>`.

    The rows are read while the response streams, after the view has returned: from the database the view's reads
    went to (the read replica for the actions that allow it)."""
    rows = replica.follow(rows)
    if file_format == "csv":
        stream = csv_stream(header, rows)
    elif file_format == "xlsx":
        stream = xlsx_stream(header, rows, sheet_name=sheet_name)
    else:
        raise ValueError(f"unknown export format {file_format!r}")
    response = StreamingHttpResponse(stream, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{file_format}"'
    return response
