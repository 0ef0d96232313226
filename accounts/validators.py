"""Validators for Chinese registration identifiers."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.choices import PROVINCE_CODES
from pharmex.divisions import CITY_COUNTY_CODES

# GB 32100-2015: the 31 characters a unified social credit code may use (no I, O, S, V, Z).
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_character(first17: str) -> str:
    """The 18th character of a unified social credit code, from its first 17 (mod-31 weighted sum)."""
    total = sum(USCC_ALPHABET.index(char) * weight for char, weight in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def normalize_uscc(value: str) -> str:
    return value.strip().upper()


def validate_uscc(value: str) -> None:
    """统一社会信用代码: 18 characters from the GB 32100-2015 alphabet with a valid check character."""
    code = normalize_uscc(value)
    if len(code) != 18 or any(char not in USCC_ALPHABET for char in code):
        raise ValidationError(
            _("A unified social credit code is 18 digits or capital letters (no I, O, S, V, Z)."), code="uscc_format"
        )
    if uscc_check_character(code[:17]) != code[17]:
        raise ValidationError(_("The check character of this unified social credit code is wrong."), code="uscc_check")


def validate_province_code(value: str) -> None:
    """A province-level GB/T 2260 division code such as 460000 (Hainan)."""
    if value not in PROVINCE_CODES:
        raise ValidationError(_("Not a province-level GB/T 2260 code (for example 460000)."), code="province_code")


def validate_jurisdiction_code(value: str) -> None:
    """A regulator's jurisdiction code: a province (e.g. 460000) or a Hainan city or county (e.g. 460100 海口市)."""
    if value not in PROVINCE_CODES and value not in CITY_COUNTY_CODES:
        raise ValidationError(
            _("Not a GB/T 2260 province code (for example 460000) or Hainan city/county code (for example 460100)."),
            code="jurisdiction_code",
        )
