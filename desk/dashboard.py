"""The figures of the operations dashboard (the admin index), one selector each: plain reads, unit-tested against
orders and the ledger in tests/desk/test_dashboard.py. Days are Asia/Shanghai calendar days (TIME_ZONE)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from accounts.choices import LicenseStatus
from accounts.models import License
from orders.choices import OrderStatus
from orders.models import Order
from pharmex.actor import Actor
from pharmex.calendar import add_months, local_days
from pharmex.money import ZERO
from settlements import selectors as settlement_selectors
from settlements.choices import OPEN_STATEMENT, BankLineStatus, StatementStatus
from settlements.models import BankLine, Statement

# Orders that never became a sale: they count as orders placed, not in the GMV.
NOT_SOLD = (OrderStatus.REJECTED, OrderStatus.CANCELLED, OrderStatus.EXPIRED)
OPEN_BANK_LINE = (BankLineStatus.UNMATCHED, BankLineStatus.AMBIGUOUS)


@dataclass(frozen=True)
class Day:
    day: date
    orders: int
    gmv: Decimal


def placed_within(*, days: int, today: date) -> tuple[date, QuerySet[Order]]:
    """The first day of the last `days` days up to `today`, and the orders placed in them.

    By the instants the days start and end, a range of the orders' placed_at index (a filter on each order's local
    date would read every order ever placed, on every load of the dashboard).
    """
    first = today - timedelta(days=days - 1)
    start, end = local_days(first, today)
    return first, Order.objects.filter(placed_at__gte=start, placed_at__lt=end)


def orders_per_day(*, days: int = 30, today: date | None = None) -> list[Day]:
    """Orders placed and their GMV (tax-inclusive total of the orders not rejected, cancelled or expired) per day,
    the last `days` days up to today, oldest first, days without orders included."""
    today = today or timezone.localdate()
    first, placed = placed_within(days=days, today=today)
    rows = (
        placed.annotate(day=TruncDate("placed_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(orders=Count("id"), gmv=Sum("total_gross", filter=~Q(status__in=NOT_SOLD)))
    )
    by_day = {row["day"]: row for row in rows}
    result = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        row = by_day.get(day, {})
        result.append(Day(day=day, orders=row.get("orders", 0), gmv=row.get("gmv") or ZERO))
    return result


def orders_by_status(*, days: int = 30, today: date | None = None) -> list[tuple[str, str, int]]:
    """(status, label, count) for every order status, in the lifecycle's order, of the orders placed in the last
    `days` days: the dashboard's window (over all history, a count that grows every year; the open orders to act on
    are the queues')."""
    _first, placed = placed_within(days=days, today=today or timezone.localdate())
    counts = dict(placed.values_list("status").annotate(n=Count("id")))
    return [(status, label, counts.get(status, 0)) for status, label in OrderStatus.choices]


def receivables_aging_buckets(*, actor: Actor, on: date | None = None) -> dict[str, Decimal]:
    """Outstanding receivables of every buyer by days overdue (current, 1–30, 31–60, 61–90, 90+, total) and the
    buyers' unapplied credit: the aging report's totals."""
    return settlement_selectors.aging_totals(settlement_selectors.receivables_aging(actor=actor, on=on))


def fund_receivables_aging_buckets(*, actor: Actor, on: date | None = None) -> dict[str, Decimal]:
    """What the medical insurance funds owe for orders they settle directly, by days overdue: apart from the
    buyers' aging, which never holds a fund's part."""
    return settlement_selectors.aging_totals(settlement_selectors.fund_receivables_aging(actor=actor, on=on))


def statements_shown(*, today: date | None = None, settled_months: int = 12) -> QuerySet[Statement]:
    """Every statement still being worked on, and the paid and reconciled ones of periods begun in the last
    `settled_months` months. Settled statements pile up with every period for ever and are no one's work: counted
    whole, every page of the desk read all of them. Each part is read through its own index (statement_open,
    statement_period_start)."""
    since = add_months((today or timezone.localdate()).replace(day=1), -settled_months)
    return Statement.objects.filter(Q(status__in=OPEN_STATEMENT) | Q(period_start__gte=since))


def statements_by_status(*, today: date | None = None) -> list[tuple[str, str, int, Decimal]]:
    """(status, label, count, net) for every statement status, of the statements the desk shows."""
    shown = statements_shown(today=today).values("status").annotate(n=Count("id"), net=Sum("net"))
    rows = {row["status"]: row for row in shown}
    return [
        (status, label, rows.get(status, {}).get("n", 0), rows.get(status, {}).get("net") or ZERO)
        for status, label in StatementStatus.choices
    ]


def open_bank_lines() -> dict[str, object]:
    """Bank lines waiting for a person (unmatched or ambiguous): how many, and their signed sum."""
    figures = BankLine.objects.filter(status__in=OPEN_BANK_LINE).aggregate(count=Count("id"), amount=Sum("amount"))
    return {"count": figures["count"], "amount": figures["amount"] or ZERO}


def licences_expiring(*, within_days: int = 30, today: date | None = None) -> list[License]:
    """Approved licences whose last valid day is today or within the next `within_days` days, soonest first."""
    today = today or timezone.localdate()
    return list(
        License.objects.filter(
            status=LicenseStatus.APPROVED,
            valid_until__gte=today,
            valid_until__lte=today + timedelta(days=within_days),
        )
        .select_related("organization")
        .order_by("valid_until", "pk")
    )
