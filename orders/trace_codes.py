"""Reading traceability codes (药品追溯码, SPEC §5): the three kinds in use in China, to one canonical form.

- the 20-digit 码上放心 code, starting with 8;
- enterprise-defined codes: digits of a length and prefix a supplier declared for the drug (CodeFormat);
- GS1 strings: (01) GTIN-14 with its check digit, (17) expiry YYMMDD, (10) lot, (21) serial — human-readable
  `(01)…(21)…` or the raw element string with FNC1/GS separators, as a scanner sends it.

A GS1 unit is identified by GTIN + serial, so its canonical form is `(01)<gtin>(21)<serial>` whatever else was
scanned: the same box scanned with or without its lot is one code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext as _

from catalog.validators import gs1_check_digit, normalize_code
from orders.choices import TraceCodeKind

NATIONAL = re.compile(r"8\d{19}")
GS = "\x1d"  # the group separator a scanner sends for FNC1
_SYMBOLOGY = re.compile(r"^\](?:d2|C1|Q3|e0|J1)")  # a scanner's symbology identifier (DataMatrix, GS1-128, QR …)
_HUMAN = re.compile(r"\((\d{2})\)([^()]*)")
_AI_CHARACTERS = re.compile(r"[!-\"%-/0-9:-?A-Z_a-z]{1,20}")  # GS1 AI encodable set 82, at most 20
_FIXED = {"01": 14, "17": 6}
_VARIABLE = {"10", "21"}


@dataclass(frozen=True)
class Code:
    code: str  # canonical
    kind: str  # orders.choices.TraceCodeKind
    gtin: str = ""
    lot: str = ""
    expiry: str = ""  # YYMMDD as encoded (DD may be 00: the end of that month)
    serial: str = ""


class CodeInvalid(ValueError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def lot_key(lot: str) -> str:
    """A lot number as recalls and GS1 codes compare it: full-width folded, spaces removed, upper case."""
    return normalize_code(lot)


def canonical(raw: str) -> str:
    """The canonical form of any code, for lookups (`GET /trace/{code}/`); unreadable input comes back stripped."""
    try:
        return read(raw, formats=()).code
    except CodeInvalid:
        return _SYMBOLOGY.sub("", raw.strip())


def read(raw: str, *, formats: Iterable[tuple[str, int]]) -> Code:
    """One code from what was typed or scanned. `formats` are the (prefix, length) declared for the drug.

    Raises: CodeInvalid with a machine code (invalid_trace_code, gs1_unknown_ai, gs1_gtin_check_digit, …).
    """
    text = raw.strip()
    scanned = _SYMBOLOGY.match(text) is not None
    text = _SYMBOLOGY.sub("", text)
    if text.startswith("("):
        return _gs1(_human(text))
    if scanned or GS in text:
        return _gs1(_raw(text))
    if text.isascii() and text.isdigit():
        if NATIONAL.fullmatch(text):
            return Code(code=text, kind=TraceCodeKind.NATIONAL)
        if any(len(text) == length and text.startswith(prefix) for prefix, length in formats):
            return Code(code=text, kind=TraceCodeKind.ENTERPRISE)
    if text.isascii() and text.startswith("01") and len(text) > 18:  # a raw element string, its serial last
        try:
            return _gs1(_raw(text))
        except CodeInvalid:
            pass
    raise CodeInvalid(
        "invalid_trace_code",
        _(
            "%(code)s is not a traceability code: 20 digits starting with 8, an enterprise code of a format declared "
            "for this drug, or a GS1 code with (01) GTIN and (21) serial."
        )
        % {"code": text[:80]},
    )


def _human(text: str) -> dict[str, str]:
    elements, position = {}, 0
    for match in _HUMAN.finditer(text):
        if match.start() != position:
            break
        elements.setdefault(match.group(1), match.group(2))
        position = match.end()
    if position != len(text) or not elements:
        raise CodeInvalid("invalid_trace_code", _("%(code)s is not a readable GS1 string.") % {"code": text[:80]})
    return elements


def _raw(text: str) -> dict[str, str]:
    elements, position = {}, 0
    while position < len(text):
        ai = text[position : position + 2]
        position += 2
        if ai in _FIXED:
            value, position = text[position : position + _FIXED[ai]], position + _FIXED[ai]
        elif ai in _VARIABLE:
            end = text.find(GS, position)
            end = len(text) if end == -1 else end
            value, position = text[position:end], end + 1
        else:
            raise CodeInvalid("gs1_unknown_ai", _("Application identifier (%(ai)s) is not accepted.") % {"ai": ai})
        elements.setdefault(ai, value)
    return elements


def _gs1(elements: dict[str, str]) -> Code:
    unknown = sorted(set(elements) - set(_FIXED) - _VARIABLE)
    if unknown:
        raise CodeInvalid(
            "gs1_unknown_ai",
            _("Application identifier (%(ai)s) is not accepted: only (01), (17), (10) and (21).") % {"ai": unknown[0]},
        )
    gtin, serial = elements.get("01", ""), elements.get("21", "")
    if not (len(gtin) == 14 and gtin.isascii() and gtin.isdigit()):
        raise CodeInvalid("gs1_gtin_missing", _("A GS1 code needs (01) followed by a 14-digit GTIN."))
    if gs1_check_digit(gtin[:-1]) != int(gtin[-1]):
        raise CodeInvalid("gs1_gtin_check_digit", _("The check digit of GTIN %(gtin)s is wrong.") % {"gtin": gtin})
    if not _AI_CHARACTERS.fullmatch(serial):
        raise CodeInvalid("gs1_serial_missing", _("A GS1 unit code needs (21) with a serial of 1–20 characters."))
    lot, expiry = elements.get("10", ""), elements.get("17", "")
    if "10" in elements and not _AI_CHARACTERS.fullmatch(lot):
        raise CodeInvalid("gs1_lot_invalid", _("The lot (10) must be 1–20 GS1 characters."))
    if "17" in elements and _expiry_range(expiry) is None:
        raise CodeInvalid("gs1_expiry_invalid", _("The expiry (17) must be a date as YYMMDD."))
    return Code(
        code=f"(01){gtin}(21){serial}", kind=TraceCodeKind.GS1, gtin=gtin, lot=lot, expiry=expiry, serial=serial
    )


def _expiry_range(yymmdd: str) -> tuple[date, date] | None:
    """The dates a GS1 expiry means: one day, or a whole month when DD is 00."""
    if not (len(yymmdd) == 6 and yymmdd.isascii() and yymmdd.isdigit()):
        return None
    year, month, day = 2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    try:
        if day:
            return date(year, month, day), date(year, month, day)
        first = date(year, month, 1)
        last = date(year + month // 12, month % 12 + 1, 1).toordinal() - 1
        return first, date.fromordinal(last)
    except ValueError:
        return None


def mismatches(code: Code, *, lot: str, expiry: date, drug_gtin: str) -> list[tuple[str, str]]:
    """What a GS1 code says that the shipment line contradicts: [(machine code, message)]."""
    found = []
    if code.lot and lot_key(code.lot) != lot_key(lot):
        found.append(
            (
                "gs1_lot_mismatch",
                _("%(code)s carries lot %(lot)s, not the line's.") % {"code": code.code, "lot": code.lot},
            )
        )
    if code.expiry:
        first, last = _expiry_range(code.expiry)
        if not first <= expiry <= last:
            found.append(
                (
                    "gs1_expiry_mismatch",
                    _("%(code)s carries expiry %(expiry)s, not the line's.")
                    % {"code": code.code, "expiry": code.expiry},
                )
            )
    if code.gtin and drug_gtin and code.gtin != drug_gtin.zfill(14):
        found.append(("gs1_gtin_mismatch", _("%(code)s is not this drug's GTIN.") % {"code": code.code}))
    return found
