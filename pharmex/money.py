"""Money rules in one place (SPEC §5, STYLE G10): Decimal, CNY, 2 places, ROUND_HALF_UP."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

CURRENCY = "CNY"
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# The largest amounts the API accepts (README, "Money"): a unit price up to ten million yuan (cell and gene
# therapies cost over one million a dose), a line up to a million units and an order up to MAX_ORDER_LINES lines
# keep every product and total far inside numeric(18, 2) (10^16); single payments, payouts and adjustments up
# to one trillion yuan.
MAX_UNIT_PRICE = Decimal("10000000.00")
MAX_QUANTITY = 1_000_000
MAX_AMOUNT = Decimal("1000000000000.00")


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
