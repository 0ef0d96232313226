"""Rows for the dashboard and queue tests, straight in the database (the selectors read them as they are)."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Organization
from orders.choices import OrderStatus
from orders.models import Order
from settlements.choices import StatementStatus
from settlements.models import BankLine, BankStatement, Statement
from tests.factories.settlements import order_number

_numbers = itertools.count(1)


def order(
    *, buyer: Organization, supplier: Organization, placed_at: datetime, gross: str, status: str = OrderStatus.PLACED
) -> Order:
    """An order row as placement leaves it (no lines: the dashboard reads the order's totals)."""
    return Order.objects.create(
        number=order_number(placed_at),
        buyer=buyer,
        supplier=supplier,
        status=status,
        placed_by="test",
        total_gross=Decimal(gross),
        total_tax=Decimal("0.00"),
        buyer_province=buyer.province_code,
        placed_at=placed_at,
        expires_at=placed_at + timedelta(days=2),
    )


def statement(*, supplier: Organization, status: str = StatementStatus.ISSUED, net: str = "100.00") -> Statement:
    n = next(_numbers)
    start = date(2026, 1, 1) + timedelta(days=31 * n)
    start = start.replace(day=1)
    moment = timezone.make_aware(datetime(start.year, start.month, 1))
    return Statement.objects.create(
        number=f"STT{n:06d}-{supplier.pk}",
        supplier=supplier,
        period_kind="month",
        period_start=start,
        period_end=start + timedelta(days=28),
        paid_from=moment,
        paid_to=moment + timedelta(days=28),
        status=status,
        gross=Decimal(net),
        net=Decimal(net),
    )


def bank_lines(*amounts_and_statuses: tuple[str, str]) -> list[BankLine]:
    n = next(_numbers)
    upload = BankStatement.objects.create(
        file_name=f"bank-{n}.csv", file_sha256=f"{n:064d}", imported_by="test", status="imported"
    )
    return [
        BankLine.objects.create(
            statement=upload,
            transaction_id=f"T{n}-{index}",
            booked_on=timezone.localdate(),
            amount=Decimal(amount),
            counterparty_name="海口康宁大药房",
            reference=f"REF{n}{index}",
            status=status,
        )
        for index, (amount, status) in enumerate(amounts_and_statuses)
    ]
