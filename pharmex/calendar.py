"""Calendar arithmetic the rules need: terms counted in months (re-verification, VAT election locks), and local
days as the instants they start and end."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta

from django.utils import timezone


def add_months(day: date, months: int) -> date:
    """The same day `months` later; the month's last day when it is shorter (2026-08-31 + 6 → 2027-02-28)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def local_midnight(day: date) -> datetime:
    """The instant `day` starts in the platform's time zone (Asia/Shanghai)."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def local_days(first_day: date, last_day: date) -> tuple[datetime, datetime]:
    """[start, end) of these local days, inclusive of both. A filter on the instants is a range of a timestamp's
    index; one on each row's local date (`__date`) reads every row the table ever held."""
    return local_midnight(first_day), local_midnight(last_day + timedelta(days=1))
