"""Invoice rules a shipment must meet (SPEC §5, 票货一致): the numbers are 数电发票 numbers, each used once by its
issuer, and the invoices total the shipped gross to the cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.choices import PROVINCE_CODES
from orders.models import Shipment
from pharmex.db import advisory_xact_lock

# 数电发票 numbers carry the issuing tax bureau's province in digits 3–4; Taiwan, Hong Kong and Macau issue none.
_ISSUING_PROVINCES = frozenset(code[:2] for code in PROVINCE_CODES) - {"71", "81", "82"}
FIRST_YEAR = 21  # 数电发票 were first issued in 2021


def invoice_number_problem(number: str, *, today: date) -> str | None:
    """Why `number` is not a 数电发票 number (20 digits: year, province, serial), or None."""
    if not (len(number) == 20 and number.isascii() and number.isdigit()):
        return _("%(number)s: a 数电发票 number is 20 digits.") % {"number": number}
    year, province = int(number[:2]), number[2:4]
    if not FIRST_YEAR <= year <= today.year % 100:
        return _("%(number)s: the year 20%(year)s is not a year 数电发票 were issued in.") % {
            "number": number,
            "year": number[:2],
        }
    if province not in _ISSUING_PROVINCES:
        return _("%(number)s: %(province)s is not a province code.") % {"number": number, "province": province}
    return None


def invoice_errors(*, supplier_id: int, numbers: list[str], amount: Decimal, gross: Decimal, today: date) -> list[dict]:
    """Every way the invoices of a new shipment break the rules: structure, reuse by the issuer, total ≠ gross.

    Call inside the shipment's transaction: it holds the supplier's invoice lock until commit, so two shipments
    of one supplier cannot both claim a number.
    """
    errors = []
    for index, number in enumerate(numbers):
        if (problem := invoice_number_problem(number, today=today)) is not None:
            errors.append({"field": f"invoice_numbers[{index}]", "code": "invoice_number_invalid", "message": problem})
    if len(set(numbers)) != len(numbers):
        errors.append(
            {"field": "invoice_numbers", "code": "invoice_number_repeated", "message": _("A number appears twice.")}
        )
    advisory_xact_lock(f"orders.invoice_numbers:{supplier_id}")
    used = Shipment.objects.filter(Q(supplier_id=supplier_id) & Q(invoice_numbers__overlap=numbers))
    for number in sorted({n for row in used.values_list("invoice_numbers", flat=True) for n in row} & set(numbers)):
        errors.append(
            {
                "field": "invoice_numbers",
                "code": "invoice_number_used",
                "message": _("Invoice %(number)s is already on another of your shipments.") % {"number": number},
            }
        )
    if amount != gross:
        errors.append(
            {
                "field": "invoice_amount",
                "code": "invoice_amount_mismatch",
                "message": _("The invoices total %(amount)s but the shipped goods are worth %(gross)s (票货一致).")
                % {"amount": amount, "gross": gross},
            }
        )
    return errors
