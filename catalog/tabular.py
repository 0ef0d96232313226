"""Reading CSV and XLSX uploads row by row, and turning cells into values with messages people understand."""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from catalog.choices import ImportFormat
from pharmex.zipguard import STREAM_CHUNK, ZipLimits, ZipRefused, open_checked, read_start, scan_tags


class CellError(ValueError):
    """A cell that cannot be used; the message is shown to the uploader as is."""


class FileUnreadable(ValueError):
    pass


def sniff_format(file_name: str, head: bytes) -> str:
    """CSV or XLSX, from the file's first bytes (a ZIP is a workbook) or its name."""
    if head[:4] == b"PK\x03\x04" or file_name.lower().endswith(".xlsx"):
        return ImportFormat.XLSX
    return ImportFormat.CSV


MAX_COLUMNS = 256  # no import has more; cells past it are dropped before a row is looked at


def too_many_rows(limit: int) -> str:
    return _("The file has more than %(limit)s rows (blank rows count too); split it into several files.") % {
        "limit": f"{limit:,}"
    }


# --- XLSX: the ZIP is checked before openpyxl reads any of it ------------------------------------------------

SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
XLSX_MAX_PART = 16 * 1024 * 1024  # a part openpyxl parses whole (styles, workbook, relationships)
_OVERRIDE = re.compile(rb"<(?:[^\s<>/:]+:)?Override\b[^>]*>")
_ATTRIBUTE = re.compile(rb"""\b(PartName|ContentType|count|uniqueCount|r)\s*=\s*["']([^"']*)["']""")
_STRING_TABLE = re.compile(rb"<(?:[^\s<>/:]+:)?sst\b[^>]*>")
_STRING_ITEM = re.compile(rb"<(?:[^\s<>/:]+:)?si\b[^>]*>")
_ROW = re.compile(rb"<(?:[^\s<>/:]+:)?row\b[^>]*>")


class FileUnsafe(FileUnreadable):
    """The file unpacks to more than is accepted (a "zip bomb"): refused before any parser reads it."""


class _Enough(Exception):
    """Stops a scan once it has seen enough."""


def _attributes(tag: bytes) -> dict[str, str]:
    return {name.decode(): value.decode("utf-8", "replace") for name, value in _ATTRIBUTE.findall(tag)}


def _parsed_whole(name: str, shared_strings: set[str]) -> bool:
    """Parts openpyxl reads at once rather than streaming: everything XML but the worksheets and the string
    table (which has its own limit) and the calculation chain it never reads."""
    if name.startswith("xl/worksheets/") or name in shared_strings or name == "xl/calcChain.xml":
        return False
    return name.endswith((".xml", ".rels"))


def xlsx_check(file: BinaryIO, *, deep: bool = False) -> None:
    """Check an XLSX's ZIP directory before openpyxl opens it: the unpacked total
    (CATALOG_IMPORT_XLSX_MAX_UNPACKED_BYTES), each member's compression ratio (100:1), the parts openpyxl parses
    whole, and the number of texts in the shared-strings table (CATALOG_IMPORT_XLSX_MAX_SHARED_STRINGS) as the
    table declares it; `deep` also counts the table's entries (the declaration may lie). Reads the directory
    and bounded parts only; leaves `file` at its start.

    Raises: FileUnsafe (over a limit), FileUnreadable (not a workbook).
    """
    limits = ZipLimits(max_unpacked=settings.CATALOG_IMPORT_XLSX_MAX_UNPACKED_BYTES)
    try:
        with open_checked(file, limits) as archive:
            _check_parts(archive, deep=deep)
    except ZipRefused as error:
        raise FileUnsafe(str(error)) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as error:
        # not a ZIP, a damaged or encrypted member, a compression method zipfile does not know
        raise FileUnreadable(
            _("The XLSX file could not be opened (%(error)s).") % {"error": type(error).__name__}
        ) from None
    finally:
        file.seek(0)


def _check_parts(archive: zipfile.ZipFile, *, deep: bool) -> None:
    if "[Content_Types].xml" not in archive.NameToInfo:
        raise FileUnreadable(_("The file is not an XLSX workbook (it has no [Content_Types].xml)."))
    manifest = read_start(archive, "[Content_Types].xml", XLSX_MAX_PART + 1)
    tables = set()
    for tag in _OVERRIDE.findall(manifest):
        attributes = _attributes(tag)
        if attributes.get("ContentType") == SHARED_STRINGS_TYPE:
            tables.add(attributes.get("PartName", "").lstrip("/"))  # the part openpyxl loads as the table
    for info in archive.infolist():
        if _parsed_whole(info.filename, tables) and info.file_size > XLSX_MAX_PART:
            raise FileUnsafe(
                _("%(member)s unpacks to %(size)s bytes; at most %(limit)s are accepted for this part.")
                % {"member": info.filename[:200], "size": f"{info.file_size:,}", "limit": f"{XLSX_MAX_PART:,}"}
            )
    limit = settings.CATALOG_IMPORT_XLSX_MAX_SHARED_STRINGS
    for name in sorted(tables & set(archive.NameToInfo)):
        table = _STRING_TABLE.search(read_start(archive, name, 64 * 1024))
        declared = _attributes(table.group(0)) if table else {}
        # uniqueCount is the number of entries; count (every use of one) only stands in when it is missing
        entries = declared.get("uniqueCount", declared.get("count", ""))
        declared_count = int(entries) if entries.isdigit() else 0
        if declared_count > limit:
            raise FileUnsafe(
                _("The file holds %(count)s texts (its shared strings); at most %(limit)s are accepted.")
                % {"count": f"{declared_count:,}", "limit": f"{limit:,}"}
            )
        if deep and _count_tags(archive, name, _STRING_ITEM, stop_after=limit) > limit:
            raise FileUnsafe(
                _("The file holds more than %(limit)s texts (its shared strings), more than it declares.")
                % {"limit": f"{limit:,}"}
            )


def _count_tags(archive: zipfile.ZipFile, name: str, tag: re.Pattern[bytes], *, stop_after: int) -> int:
    """How many `tag`s a member holds, counting no further than stop_after + 1."""
    seen = 0

    def each(_tag: bytes) -> None:
        nonlocal seen
        seen += 1
        if seen > stop_after:
            raise _Enough

    with suppress(_Enough):
        scan_tags(archive, name, tag, each)
    return seen


def _last_row(archive: zipfile.ZipFile, name: str, *, stop_after: int) -> int:
    """The sheet's last row number as openpyxl numbers rows (`r`, else one more than the row before), found by
    scanning its XML without parsing it; no further than stop_after + 1."""
    last = current = 0

    def each(tag: bytes) -> None:
        nonlocal last, current
        number = _attributes(tag).get("r", "")
        current = int(number) if number.isdigit() else current + 1
        last = max(last, current)
        if last > stop_after:
            raise _Enough

    with suppress(_Enough):
        scan_tags(archive, name, _ROW, each)
    return last


@contextmanager
def _xlsx_sheet(path: str | Path) -> Iterator:
    """The workbook's first sheet, read only; call xlsx_check first."""
    try:
        workbook = load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise FileUnreadable(
            _("The XLSX file could not be opened (%(error)s).") % {"error": type(error).__name__}
        ) from None
    try:
        if not workbook.worksheets:
            raise FileUnreadable(_("The XLSX file has no worksheet."))
        yield workbook.worksheets[0]
    finally:
        workbook.close()


# --- CSV: decoded as it is read ----------------------------------------------------------------------------


def _csv_encoding(path: str | Path) -> str:
    """UTF-8 (with or without BOM), else GB18030 (what Excel on a Chinese Windows saves CSV as); checked a chunk
    at a time, never the whole file in memory."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as raw:
                while chunk := raw.read(STREAM_CHUNK):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise FileUnreadable(_("The CSV file is neither UTF-8 nor GB18030 text."))


@contextmanager
def _csv_records(path: str | Path) -> Iterator[Iterator[list[str]]]:
    with open(path, encoding=_csv_encoding(path), newline="") as text:
        try:
            yield csv.reader(text)
        except csv.Error as error:
            raise FileUnreadable(_("The CSV file is malformed: %(error)s.") % {"error": error}) from None


# --- rows ----------------------------------------------------------------------------------------------------


def count_rows(path: str | Path, file_format: str, limit: int) -> int:
    """Rows after the header, blank ones included (every row counts toward the limit), counting no further than
    limit + 1. An XLSX's rows are counted from its sheet's XML without parsing the cells.

    Raises: FileUnreadable.
    """
    if file_format == ImportFormat.XLSX:
        with _xlsx_sheet(path) as sheet:
            # openpyxl's own path to the sheet, so the scan reads the very part the import reads
            last = _last_row(sheet.parent._archive, sheet._worksheet_path, stop_after=limit + 1)
        return max(last - 1, 0)
    count = 0
    with _csv_records(path) as records:
        for count, _record in enumerate(records, start=1):
            if count > limit + 1:
                break
    return max(count - 1, 0)


def read_rows(path: str | Path, file_format: str, *, limit: int | None = None) -> Iterator[tuple[int, list]]:
    """(spreadsheet row number, cells) for every non-blank row, the header first (row 1); blank rows are skipped
    but count toward `limit` (rows after the header). Cells past MAX_COLUMNS are dropped.

    Raises: FileUnreadable (also past the limit).
    """
    if file_format == ImportFormat.XLSX:
        with _xlsx_sheet(path) as sheet:
            sheet.reset_dimensions()  # a declared size (A1:XFD1048576) would pad every row to it; rows are as read
            yield from _non_blank(enumerate(sheet.iter_rows(values_only=True), start=1), limit)
        return
    with _csv_records(path) as records:
        yield from _non_blank(enumerate(records, start=1), limit)


def _non_blank(rows: Iterator[tuple[int, Sequence]], limit: int | None) -> Iterator[tuple[int, list]]:
    for number, cells in rows:
        if limit is not None and number - 1 > limit:
            raise FileUnreadable(too_many_rows(limit))
        cells = list(cells[:MAX_COLUMNS])
        if any(cell is not None and str(cell).strip() for cell in cells):
            yield number, cells


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
