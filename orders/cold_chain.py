"""Cold-chain evidence (SPEC §5): a shipment of 冷藏 or 冷冻 drugs carries its logger's temperature record, and
a missing record or a reading outside the drug's storage range flags the shipment."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from catalog.choices import Storage
from orders.choices import TemperatureFlag
from pharmex.errors import InvalidInput

# The storage ranges of the drug's label: 冷藏 2–8 °C, 冷冻 −25 to −15 °C.
RANGES: dict[str, tuple[Decimal, Decimal]] = {
    Storage.COLD_CHAIN: (Decimal("2"), Decimal("8")),
    Storage.FROZEN: (Decimal("-25"), Decimal("-15")),
}
MAX_READINGS = 100_000  # a logger reading every minute for ten weeks


def needs_record(storages: Iterable[str]) -> bool:
    return any(storage in RANGES for storage in storages)


def flag_for(*, storages: Iterable[str], minimum: Decimal | None, maximum: Decimal | None) -> str:
    """The shipment's temperature flag: blank when every cold-chain drug stayed in its range."""
    ranges = [RANGES[storage] for storage in set(storages) if storage in RANGES]
    if not ranges:
        return ""
    if minimum is None or maximum is None:
        return TemperatureFlag.RECORD_MISSING
    if any(minimum < low or maximum > high for low, high in ranges):
        return TemperatureFlag.EXCURSION
    return ""


def readings_from_csv(content: bytes) -> list[tuple[datetime, Decimal]]:
    """A logger's export: one reading per row, `time,celsius` (a header row is allowed), ISO 8601 times.

    A row of more than two cells is refused, not read by its first two: a decimal comma (`4,5`) would otherwise
    read as 4 °C. Only a first row whose second cell is not a number is a header; a first reading that is
    wrong (a time without its offset) is refused like any other.
    Raises: InvalidInput naming the first bad row.
    """
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        message = _("The file must be UTF-8 text.")
        raise InvalidInput([{"field": "file", "code": "encoding", "message": message}]) from error
    readings = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        row = _cells(row)
        if not row or (number == 1 and _is_header(row)):
            continue
        if len(readings) >= MAX_READINGS:
            raise InvalidInput(
                [
                    {
                        "field": "file",
                        "code": "too_many_rows",
                        "message": _("At most %(n)s readings.") % {"n": MAX_READINGS},
                    }
                ]
            )
        if not _is_reading(row):
            raise InvalidInput(
                [
                    {
                        "field": "file",
                        "code": "invalid_row",
                        "message": _("Row %(row)s is not `time,celsius` (ISO 8601 time, a number).") % {"row": number},
                    }
                ]
            )
        readings.append((parse_datetime(row[0]), Decimal(row[1])))
    if not readings:
        raise InvalidInput([{"field": "file", "code": "empty", "message": _("The file has no readings.")}])
    return readings


def _cells(row: list[str]) -> list[str]:
    """The row's cells, stripped, without the empty ones a spreadsheet leaves at the end."""
    cells = [cell.strip() for cell in row]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _is_header(row: list[str]) -> bool:
    """A first row whose second cell is missing or not a number (`time,celsius`, `时间,温度(℃)`)."""
    if len(row) < 2:
        return True
    try:
        Decimal(row[1])
    except InvalidOperation:
        return True
    return False


def _is_reading(row: list[str]) -> bool:
    if len(row) != 2:
        return False
    try:
        moment, celsius = parse_datetime(row[0]), Decimal(row[1])
    except (ValueError, InvalidOperation):
        return False
    return moment is not None and moment.tzinfo is not None and celsius.is_finite() and -100 <= celsius <= 100
