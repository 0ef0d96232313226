"""What a payment or bank reference may name: order numbers, buyer payment codes, statement numbers."""

from __future__ import annotations

import re
from datetime import date

from orders.models.orders import NUMBER_PATTERN
from settlements.choices import PeriodKind

# Lookarounds rather than \b: Chinese text around a number counts as word characters.
ORDER_NUMBER = re.compile(rf"(?<![0-9A-Za-z]){NUMBER_PATTERN}(?!\d)")
PAYMENT_CODE = re.compile(r"(?<![0-9A-Za-z])PXB(\d{6,10})(?!\d)")
FUND_PAYMENT_CODE = re.compile(r"(?<![0-9A-Za-z])PXF(\d{6,10})(?!\d)")
REFUND_NUMBER = re.compile(r"(?<![0-9A-Za-z])RF\d{8}-[0-9A-F]{8}(?![0-9A-Za-z])")
# ST + yyyymm, yyyyWww or (a statement closed early) yyyymmdd + supplier id
STATEMENT_NUMBER = re.compile(r"(?<![0-9A-Za-z])ST\d{4}(?:\d{4}|\d{2}|W\d{2})-\d{6,10}(?!\d)")


def order_numbers_in(text: str) -> list[str]:
    return sorted(set(ORDER_NUMBER.findall(text.upper())))


def payment_code_buyer_ids(text: str) -> set[int]:
    return {int(match) for match in PAYMENT_CODE.findall(text.upper())}


def fund_payment_code_ids(text: str) -> set[int]:
    return {int(match) for match in FUND_PAYMENT_CODE.findall(text.upper())}


def fund_payment_code(fund_id: int) -> str:
    """The code a medical insurance fund quotes in its transfer reference so the bank line finds it."""
    return f"PXF{fund_id:06d}"


def statement_numbers_in(text: str) -> list[str]:
    return sorted(set(STATEMENT_NUMBER.findall(text.upper())))


def refund_numbers_in(text: str) -> list[str]:
    return sorted(set(REFUND_NUMBER.findall(text.upper())))


def payment_code(buyer_id: int) -> str:
    """The code a buyer quotes in its transfer reference so the bank line finds it (付款识别码)."""
    return f"PXB{buyer_id:06d}"


def period_label(kind: str, start: date) -> str:
    if kind == PeriodKind.WEEK:
        year, week, _ = start.isocalendar()
        return f"{year}W{week:02d}"
    return f"{start:%Y%m}"


def statement_number(kind: str, start: date, supplier_id: int) -> str:
    return f"ST{period_label(kind, start)}-{supplier_id:06d}"
