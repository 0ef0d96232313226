"""Money rules in one place (SPEC §5, STYLE G10): Decimal, CNY, 2 places, ROUND_HALF_UP."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

CURRENCY = "CNY"
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def quantize(amount: Decimal) -> Decimal:
    """Round to fen, half up (四舍五入), as Chinese invoicing expects."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money_sum(amounts: Iterable[Decimal]) -> Decimal:
    return quantize(sum(amounts, ZERO))


def line_amounts(*, unit_price: Decimal, quantity: int, vat_rate: Decimal) -> tuple[Decimal, Decimal]:
    """(gross, tax) of a tax-inclusive line: tax = gross − gross / (1 + rate), each rounded per line."""
    gross = quantize(unit_price * quantity)
    tax = quantize(gross - gross / (1 + vat_rate))
    return gross, tax
