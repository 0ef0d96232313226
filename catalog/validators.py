"""Validators and normalisers for the regulated identifiers of a drug (SPEC §4)."""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.choices import PROVINCE_CODES
from catalog.choices import ApprovalFormat

APPROVAL_PREFIX = "国药准字"
# 2020 rules (药品注册管理办法): 国药准字 + H/Z/S + optional C (HK/Macau/Taiwan) or J (made abroad) + 8 digits.
_NMPA_2020 = re.compile(r"国药准字([HZS])([CJ]?)(\d{4})(\d{4})")
# Legacy (2002-2020): 国药准字 + H/Z/S/J/B/T/F + 8 digits.
_NMPA_LEGACY = re.compile(r"国药准字([HZSJBTF])(\d{8})")
# Legacy import certificates: 进口药品注册证 H/Z/S + 8 digits, 医药产品注册证 HC/ZC/SC, and the B-prefixed ones.
_IMPORT_LICENSE = re.compile(r"B?[HZS]C?\d{8}")
_WHITESPACE = re.compile(r"\s+")


def normalize_code(value: str) -> str:
    """Full-width to half-width (NFKC), every kind of space removed, Latin letters upper-cased."""
    value = _WHITESPACE.sub("", unicodedata.normalize("NFKC", value or "")).upper()
    return unicodedata.normalize("NFKC", value)  # again: upper-casing can undo composition (a + ◌́ → Á)


def approval_format(value: str) -> str | None:
    """The format of a normalised approval number (批准文号), or None when it matches none.

    A number matching both domestic patterns is "2020" when it carries C/J or its year digits are 2020 or
    later; before 2020 the digits after the letter were a source code plus year, so the rest are legacy.
    """
    match = _NMPA_2020.fullmatch(value)
    if match and (match.group(2) or int(match.group(3)) >= 2020):
        return ApprovalFormat.NMPA_2020
    if _NMPA_LEGACY.fullmatch(value):
        return ApprovalFormat.NMPA_LEGACY
    if _IMPORT_LICENSE.fullmatch(value):
        return ApprovalFormat.IMPORT_LICENSE
    return None


def validate_approval_number(value: str) -> None:
    if approval_format(normalize_code(value)) is None:
        raise ValidationError(
            _(
                "Not an approval number: expected 国药准字 + H/Z/S (+C/J) + 8 digits, a legacy 国药准字 "
                "H/Z/S/J/B/T/F + 8 digits, or an import certificate such as H20171268 or HC20150001."
            ),
            code="approval_number_format",
        )


def gs1_check_digit(body: str) -> int:
    """The GS1 mod-10 check digit for the digits before it (GTIN-8/12/13/14, and 药品本位码)."""
    total = sum(int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def validate_gtin(value: str) -> None:
    if not (value.isascii() and value.isdigit() and len(value) in (8, 12, 13, 14)):
        raise ValidationError(_("A GTIN is 8, 12, 13 or 14 digits."), code="gtin_format")
    if gs1_check_digit(value[:-1]) != int(value[-1]):
        raise ValidationError(_("The check digit of this GTIN is wrong."), code="gtin_check")


def validate_national_drug_code(value: str) -> None:
    """药品本位码: 869 + 11 digits, the last a GS1 mod-10 check digit."""
    if not (value.isascii() and value.isdigit() and len(value) == 14 and value.startswith("869")):
        raise ValidationError(_("A national drug code (本位码) is 869 followed by 11 digits."), code="ndc_format")
    if gs1_check_digit(value[:-1]) != int(value[-1]):
        raise ValidationError(_("The check digit of this national drug code is wrong."), code="ndc_check")


_NRDL = re.compile(r"X[A-Z0-9]{22}|Z[A-Z0-9]{19}")


def validate_nrdl_code(value: str) -> None:
    """医保药品代码: X (western drugs) + 22 characters or Z (Chinese patent medicines) + 19."""
    if not _NRDL.fullmatch(value):
        raise ValidationError(
            _("An NRDL drug code (医保药品代码) is X + 22 or Z + 19 capital letters and digits."), code="nrdl_format"
        )


_ATC = re.compile(r"[A-Z](\d{2}([A-Z]([A-Z](\d{2})?)?)?)?")


def validate_atc_code(value: str) -> None:
    if not _ATC.fullmatch(value):
        raise ValidationError(_("Not an ATC code (for example J01CA04)."), code="atc_format")


def validate_province_codes(value: list[str]) -> None:
    unknown = [code for code in value if code not in PROVINCE_CODES]
    if unknown:
        raise ValidationError(
            _("Not province-level GB/T 2260 codes: %(codes)s."), params={"codes": ", ".join(unknown)}, code="province"
        )
