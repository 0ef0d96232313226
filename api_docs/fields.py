"""What the server accepts, said as JSON Schema (SPEC §8: "the schema is exactly as strict as the server").

PharmexAutoSchema asks these functions for the schema of the fields whose rules spectacular cannot see:

* plain text: the strict input serializers refuse control, format and invisible characters, and DRF trims
  surrounding whitespace before it checks the length, so `"  a  "` is a one-character value. The pattern says
  both: optional surrounding whitespace, then a core of the allowed length made of allowed characters.
* money: `MoneyField`'s ASCII decimal with up to two places, within its bounds (the pattern encodes the bounds,
  since JSON Schema has no minimum for a string).
* business dates: `YYYY-MM-DD`, in the years the field's bounds allow.
* output enums: extensible (the versioning guide: new values may appear within v1), so a generated client reads
  them as strings instead of failing on a value it has not seen.
"""

from __future__ import annotations

import functools
import sys
import unicodedata
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured
from rest_framework import serializers

from pharmex.api.serializers import ALLOWED_CONTROLS, REFUSED_CATEGORIES, BusinessDateField, MoneyField

# Unassigned (Cn), private-use (Co) and surrogate (Cs) code points are refused too, but listing them would take
# hundreds of ranges (or 137,000 code points a fuzzer's regex engine enumerates one by one), and regex engines
# disagree about lone surrogates: the pattern lists the control, format and separator characters, TEXT_RULE says
# the rest.
_LISTED_CATEGORIES = REFUSED_CATEGORIES - {"Cn", "Co", "Cs"}

TEXT_RULE = (
    "Control, format, separator, private-use and unassigned characters are refused; surrounding whitespace is "
    "trimmed before the length is checked."
)


def _ranges(predicate) -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    start = None
    for code in range(sys.maxunicode + 1):
        hit = not 0xD800 <= code <= 0xDFFF and predicate(chr(code))
        if hit and start is None:
            start = code
        elif not hit and start is not None:
            ranges.append((start, code - 1))
            start = None
    if start is not None:
        ranges.append((start, sys.maxunicode))
    return ranges


def _char(code: int) -> str:
    # BMP code points as \uXXXX (Python, ECMA-262 and Rust regex agree); astral ones as themselves.
    return f"\\u{code:04X}" if code <= 0xFFFF else chr(code)


def _class_body(ranges: list[tuple[int, int]]) -> str:
    return "".join(_char(a) if a == b else f"{_char(a)}-{_char(b)}" for a, b in ranges)


def _refused(char: str) -> bool:
    return char not in ALLOWED_CONTROLS and unicodedata.category(char) in _LISTED_CATEGORIES


@functools.cache
def _classes() -> tuple[str, str, str]:
    """(allowed, allowed whitespace, allowed non-whitespace) character classes."""
    refused = _class_body(_ranges(_refused))
    allowed_spaces = _class_body(_ranges(lambda char: char.isspace() and not _refused(char)))
    return f"[^{refused}]", f"[{allowed_spaces}]", f"[^\\s{refused}]"


def text_pattern(*, min_length: int = 0, max_length: int | None = None, allow_blank: bool = False) -> str:
    """The values a trimming, strict CharField accepts: whitespace, a core of min–max allowed characters
    (starting and ending with a non-space), whitespace."""
    any_char, space, solid = _classes()
    low = 0 if allow_blank else max(min_length, 1)
    if max_length is None:
        core = f"{solid}(?:{any_char}*{solid})?"
    elif max_length == 1:
        core = solid
    elif low <= 1:
        core = f"{solid}(?:{any_char}{{0,{max_length - 2}}}{solid})?"
    else:
        core = f"{solid}{any_char}{{{low - 2},{max_length - 2}}}{solid}"
    if low == 0:
        core = f"(?:{core})?"
    return f"^{space}*{core}{space}*$"


def trimmed_pattern(inner: str) -> str:
    """`inner` (unanchored), with the whitespace a trimming CharField strips around it."""
    _, space, _ = _classes()
    return f"^{space}*(?:{inner}){space}*$"


def is_plain_text(field: serializers.Field) -> bool:
    """A CharField whose only rules are its length (and validators the schema cannot express)."""
    special = (
        serializers.ChoiceField,
        serializers.EmailField,
        serializers.RegexField,
        serializers.SlugField,
        serializers.URLField,
        serializers.UUIDField,
        serializers.IPAddressField,
    )
    return isinstance(field, serializers.CharField) and not isinstance(field, special)


def text_schema(field: serializers.CharField) -> dict:
    shape = getattr(field, "schema_pattern", None)
    if shape:
        return {"type": "string", "pattern": trimmed_pattern(shape)}
    pattern = text_pattern(min_length=field.min_length or 0, max_length=field.max_length, allow_blank=field.allow_blank)
    return {"type": "string", "pattern": pattern, "description": _length_rule(field)}


def _length_rule(field: serializers.CharField) -> str:
    low = 0 if field.allow_blank else max(field.min_length or 0, 1)
    high = f" to {field.max_length}" if field.max_length else " or more"
    return f"{low}{high} characters. {TEXT_RULE}"


# --- money --------------------------------------------------------------------------------------------------------


def _power_of_ten(value: Decimal) -> int | None:
    exponent = len(str(int(value))) - 1
    return exponent if value == Decimal(10) ** exponent else None


def money_pattern(field: MoneyField) -> str:
    """Exactly the strings `field` accepts: ASCII digits, up to `decimal_places` decimals, within its bounds.

    Supported bounds: the maximum a power of ten; the minimum its negative, zero or one fen (the ones the API uses).
    """
    places = field.decimal_places
    highest, lowest = field.max_value, field.min_value
    digits = _power_of_ten(Decimal(highest)) if highest is not None else None
    if digits is None:
        raise ImproperlyConfigured(f"MoneyField max_value must be a power of ten for the schema, not {highest}")
    fraction = f"(?:\\.[0-9]{{1,{places}}})?"
    zero_fraction = f"(?:\\.0{{1,{places}}})?"
    top = f"0*1{'0' * digits}{zero_fraction}"  # exactly the maximum
    if lowest is not None and Decimal(lowest) == Decimal(1).scaleb(-places):  # at least one fen: positive
        smallest = f"0+\\.(?:{'|'.join(_positive_fractions(places))})"
        return f"^(?:0*[1-9][0-9]{{0,{digits - 1}}}{fraction}|{top}|{smallest})$"
    magnitude = f"0*[0-9]{{1,{digits}}}{fraction}|{top}"
    if not getattr(field, "allow_zero", True):
        nonzero = f"0*[1-9][0-9]{{0,{digits - 1}}}{fraction}|{top}|0+\\.(?:{'|'.join(_positive_fractions(places))})"
        if lowest is not None and Decimal(lowest) == -Decimal(highest):
            return f"^-?(?:{nonzero})$"
        raise ImproperlyConfigured("MoneyField(allow_zero=False) needs symmetric bounds for the schema")
    if lowest is not None and Decimal(lowest) == 0:
        return f"^(?:{magnitude}|-0+{zero_fraction})$"  # "-0.00" is zero, so it is accepted
    if lowest is not None and Decimal(lowest) == -Decimal(highest):
        return f"^-?(?:{magnitude})$"
    raise ImproperlyConfigured(f"MoneyField bounds {lowest}..{highest} are not expressible in the schema")


def _positive_fractions(places: int) -> list[str]:
    """Fraction digit strings (1 to `places` long) that are not all zeros, as regex alternatives."""
    if places == 1:
        return ["[1-9]"]
    if places == 2:
        return ["[1-9][0-9]?", "0[1-9]"]
    raise ImproperlyConfigured("MoneyField patterns support one or two decimal places")


def money_schema(field: MoneyField, direction: str) -> dict:
    if direction == "response" or field.read_only:
        return {"type": "string", "format": "decimal", "pattern": rf"^-?[0-9]+\.[0-9]{{{field.decimal_places}}}$"}
    return {"type": "string", "format": "decimal", "pattern": money_pattern(field)}


# --- dates ------------------------------------------------------------------------------------------------------


def _year_alternatives(first: int, last: int) -> str:
    return "|".join(str(year) for year in range(first, last + 1))


def business_date_schema(field: BusinessDateField) -> dict:
    """`YYYY-MM-DD` (a real date: `format: date`) in the years from `earliest` to the latest the field takes; the
    exact first and last day are in the description (a pattern cannot follow the calendar day by day)."""
    latest = field.latest()
    return {
        "type": "string",
        "format": "date",
        "pattern": f"^(?:{_year_alternatives(field.earliest.year, latest.year)})-[0-9]{{2}}-[0-9]{{2}}$",
    }


def business_date_description(field: BusinessDateField) -> str:
    days = field.days_ahead
    ahead = "today" if days == 0 else f"{days} days from today"
    return f"From {field.earliest.isoformat()} to {ahead} (Asia/Shanghai)."


# --- extensible output enums ------------------------------------------------------------------------------------

EXTENSIBLE_NOTE = "New values may be added within v1; treat a value you do not know as an unknown state."


def extensible_enum_schema(field: serializers.ChoiceField) -> dict:
    """An output enum as a string listing its known values (`x-extensible-enum`, Zalando's rule 112)."""
    values = [value for value in field.choices if value not in ("", None)]
    lines = "\n".join(f"* `{value}` - {label}" for value, label in field.choices.items() if value not in ("", None))
    return {
        "type": "string",
        "x-extensible-enum": values,
        "description": f"Known values:\n\n{lines}\n\n{EXTENSIBLE_NOTE}",
    }
