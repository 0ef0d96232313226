"""The admin index's queues and dashboard (`{% desk %}` in admin/desk/index.html)."""

from __future__ import annotations

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actor import actor_for_user
from desk import charts, dashboard
from desk.queues import queues_for
from settlements.selectors import AGING_BUCKETS

register = template.Library()


@register.inclusion_tag("admin/desk/panel.html", takes_context=True)
def desk(context) -> dict:
    request = context["request"]
    panel = {"queues": queues_for(request), "dashboard": None}
    if request.user.staff_roles:
        panel["dashboard"] = figures(actor=actor_for_user(request.user))
    return panel


def figures(*, actor) -> dict:
    today = timezone.localdate()
    days = dashboard.orders_per_day(days=30, today=today)
    by_status = dashboard.orders_by_status(days=30, today=today)
    aging = dashboard.receivables_aging_buckets(actor=actor, on=today)
    fund_aging = dashboard.fund_receivables_aging_buckets(actor=actor, on=today)
    aging_labels = dict(zip(AGING_BUCKETS, [_("Current"), "1–30", "31–60", "61–90", "90+"], strict=True))
    statements = dashboard.statements_by_status(today=today)
    return {
        "days": days,
        "orders_total": sum(day.orders for day in days),
        "gmv_total": sum(day.gmv for day in days),
        "orders_chart": charts.column_chart(
            [(day.day.isoformat(), day.orders) for day in days], title=_("Orders per day")
        ),
        "gmv_chart": charts.column_chart([(day.day.isoformat(), day.gmv) for day in days], title=_("GMV per day")),
        "status_chart": charts.bar_chart(
            [(label, n) for _s, label, n in by_status], title=_("Orders of the last 30 days by status")
        ),
        "aging": [(aging_labels[bucket], aging[bucket]) for bucket in AGING_BUCKETS],
        "aging_total": aging["total"],
        "fund_aging_total": fund_aging["total"],
        "fund_aging_overdue": fund_aging["total"] - fund_aging["current"],
        "aging_chart": charts.bar_chart(
            [(aging_labels[bucket], aging[bucket]) for bucket in AGING_BUCKETS], title=_("Receivables aging")
        ),
        "statements": statements,
        "statements_chart": charts.bar_chart(
            [(label, n) for _s, label, n, _net in statements], title=_("Statements by state")
        ),
        "bank_lines": dashboard.open_bank_lines(),
        "expiring": dashboard.licences_expiring(within_days=30, today=today),
    }
