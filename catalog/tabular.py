"""Reading CSV and XLSX uploads row by row, and turning cells into values with messages people understand."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from openpyxl import load_workbook

from catalog.choices import ImportFormat


class CellError(ValueError):
    """A cell that cannot be used; the message is shown to the uploader as is."""


class FileUnreadable(ValueError):
    pass


def sniff_format(file_name: str, content: bytes) -> str:
    if content[:4] == b"PK\x03\x04" or file_name.lower().endswith(".xlsx"):
        return ImportFormat.XLSX
    return ImportFormat.CSV


def _decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")  # what Excel on a Chinese Windows saves CSV as
    except UnicodeDecodeError:
        raise FileUnreadable(_("The CSV file is neither UTF-8 nor GB18030 text.")) from None


def read_rows(content: bytes, file_format: str) -> Iterator[tuple[int, list]]:
    """(spreadsheet row number, cells) for every row, the header first (row 1); blank rows skipped."""
    if file_format == ImportFormat.XLSX:
        yield from _xlsx_rows(content)
        return
    reader = csv.reader(io.StringIO(_decode(content), newline=""))
    try:
        for number, cells in enumerate(reader, start=1):
            if any(str(cell).strip() for cell in cells):
                yield number, cells
    except csv.Error as error:
        raise FileUnreadable(_("The CSV file is malformed: %(error)s.") % {"error": error}) from None


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list]]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise FileUnreadable(
            _("The XLSX file could not be opened (%(error)s).") % {"error": type(error).__name__}
        ) from None
    try:
        sheet = workbook.worksheets[0]
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            if any(cell is not None and str(cell).strip() for cell in cells):
                yield number, list(cells)
    finally:
        workbook.close()


def count_rows(content: bytes, file_format: str, limit: int) -> int:
    """Data rows (not the header), counting no further than limit + 1."""
    count = -1
    for count, _row in enumerate(read_rows(content, file_format)):
        if count > limit:
            break
    return max(count, 0)


def _text(value) -> str:
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def text_cell(value, *, max_length: int = 300) -> str:
    text = _text(value)
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if len(text) > max_length:
        raise CellError(_("Too long: at most %(max)s characters.") % {"max": max_length})
    return text


def decimal_cell(value, *, places: int = 2) -> Decimal:
    """A money amount: 12.5, "12.50", "¥1,234.50" or an XLSX float; never a binary-float artefact."""
    if isinstance(value, bool):
        raise CellError(_("Expected a number, found TRUE/FALSE."))
    if isinstance(value, int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(repr(value))  # XLSX stores numbers as floats; repr is the shortest exact round trip
        rounded = amount.quantize(Decimal(1).scaleb(-places))
        if abs(amount - rounded) < Decimal("1e-9"):
            amount = rounded
    else:
        text = re.sub(r"[¥￥,\s]|元$", "", _text(value))
        if not text:
            raise CellError(_("A number is required here."))
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise CellError(_('"%(value)s" is not a number; write it like 12.50.') % {"value": _text(value)}) from None
    if not amount.is_finite():
        raise CellError(_('"%(value)s" is not a number; write it like 12.50.') % {"value": _text(value)})
    if amount.as_tuple().exponent < -places:
        message = _("At most %(places)s decimal places (found %(amount)s).")
        raise CellError(message % {"places": places, "amount": amount})
    return amount.quantize(Decimal(1).scaleb(-places))


def int_cell(value, *, minimum: int = 0, maximum: int = 2_000_000_000) -> int:
    if isinstance(value, bool):
        raise CellError(_("Expected a whole number, found TRUE/FALSE."))
    if isinstance(value, float):
        if not value.is_integer():
            raise CellError(_("%(value)s is not a whole number.") % {"value": value})
        number = int(value)
    elif isinstance(value, int):
        number = value
    else:
        text = re.sub(r"[,\s]", "", _text(value))
        if not re.fullmatch(r"-?\d+", text):
            raise CellError(_('"%(value)s" is not a whole number.') % {"value": _text(value)})
        number = int(text)
    if not minimum <= number <= maximum:
        raise CellError(_("Must be between %(minimum)s and %(maximum)s.") % {"minimum": minimum, "maximum": maximum})
    return number


def date_cell(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value).replace("/", "-").replace(".", "-")
    match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if match:
        try:
            return date(*(int(part) for part in match.groups()))
        except ValueError:
            pass
    raise CellError(_('"%(value)s" is not a date; write it like 2027-06-30.') % {"value": _text(value)})


MAX_KEPT_ERRORS = 1000
CHUNK_ROWS = 5000


@dataclass
class ImportTally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    processed: int = 0
    errors: list[dict] = field(default_factory=list)
    errors_truncated: bool = False

    def error(self, row: int | None, column: str | None, message: str) -> None:
        if len(self.errors) < MAX_KEPT_ERRORS:
            self.errors.append({"row": row, "column": column, "message": message})
        else:
            self.errors_truncated = True


def header_map(cells: list, aliases: dict[str, str]) -> dict[str, int]:
    """Column name → index, from the header row; Chinese headers map through `aliases`."""
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = str(cell or "").strip().lower().replace(" ", "_")
        name = aliases.get(name, name)
        if name and name not in columns:
            columns[name] = index
    return columns


def cell(cells: list, columns: dict[str, int], name: str):
    index = columns.get(name)
    if index is None or index >= len(cells):
        return None
    value = cells[index]
    return None if value is None or (isinstance(value, str) and not value.strip()) else value
