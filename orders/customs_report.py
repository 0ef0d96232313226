"""The monthly customs report for the Hainan authorities (SPEC §4a), written through pharmex.exports.

One table, its rows in three sections:

- `status_total`: per customs status and destination (`island`: buyers in Hainan; `mainland`), the quantity and
  the value (tax-inclusive, CNY) sold in the month;
- `mainland_sale`: each order of the month whose goods cross the second line, with its declaration number and
  the duty paid (empty while not declared);
- `lecheng_approval`: each Lecheng approval valid in the month, its approved quantity, what the month's orders used
  of it, what all orders used so far, and what remains.

Sold in the month: lines of orders placed in the month (local time) that were not cancelled, rejected or expired
(orders that ended before shipping gave their goods back).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date

from django.db.models import Case, CharField, Sum, Value, When

from accounts.choices import HAINAN_PROVINCE
from catalog.models import LechengApproval
from orders.choices import OrderStatus
from orders.models import OrderLine
from pharmex.calendar import local_days

HEADER = [
    "section",
    "customs_status",
    "destination",
    "order_number",
    "buyer",
    "approval_number",
    "institution",
    "drug",
    "quantity",
    "value",
    "declaration_number",
    "duty_amount",
    "approved_quantity",
    "used_total",
    "remaining",
]
ENDED = (OrderStatus.CANCELLED, OrderStatus.REJECTED, OrderStatus.EXPIRED)


def month_bounds(month: date) -> tuple[date, date]:
    """The first and last day of `month`'s month."""
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def sold_lines(month: date):
    """Order lines sold in the month (see the module docstring)."""
    first, last = month_bounds(month)
    start, end = local_days(first, last)
    return OrderLine.objects.filter(order__placed_at__gte=start, order__placed_at__lt=end).exclude(
        order__status__in=ENDED
    )


def customs_report_rows(*, month: date) -> Iterator[list]:
    """The rows of the month's report, section by section."""
    lines = sold_lines(month)
    destination = Case(
        When(order__buyer_province=HAINAN_PROVINCE, then=Value("island")),
        default=Value("mainland"),
        output_field=CharField(),
    )
    totals = (
        lines.annotate(destination=destination)
        .values("customs_status", "destination")
        .annotate(quantity=Sum("quantity"), value=Sum("line_gross"))
        .order_by("customs_status", "destination")
    )
    for row in totals:
        yield _row("status_total", customs_status=row["customs_status"] or "duty_paid", destination=row["destination"],
                   quantity=row["quantity"], value=row["value"])  # fmt: skip
    mainland = (
        lines.filter(second_line=True)
        .values(
            "order__number",
            "order__buyer_name",
            "customs_status",
            "order__second_line_declaration__declaration_number",
            "order__second_line_declaration__duty_amount",
        )
        .annotate(quantity=Sum("quantity"), value=Sum("line_gross"))
        .order_by("order__number")
    )
    for row in mainland:
        yield _row(
            "mainland_sale",
            customs_status=row["customs_status"],
            destination="mainland",
            order_number=row["order__number"],
            buyer=row["order__buyer_name"],
            quantity=row["quantity"],
            value=row["value"],
            declaration_number=row["order__second_line_declaration__declaration_number"] or "",
            duty_amount=row["order__second_line_declaration__duty_amount"],
        )
    first, last = month_bounds(month)
    approvals = (
        LechengApproval.objects.filter(valid_from__lte=last, valid_until__gte=first)
        .select_related("institution", "drug")
        .order_by("number")
    )
    used_in_month = dict(
        lines.filter(lecheng_approval__isnull=False)
        .values("lecheng_approval")
        .annotate(quantity=Sum("quantity"))
        .values_list("lecheng_approval", "quantity")
    )
    for approval in approvals:
        yield _row(
            "lecheng_approval",
            customs_status="lecheng_special",
            approval_number=approval.number,
            institution=approval.institution.legal_name,
            drug=approval.drug.generic_name,
            quantity=used_in_month.get(approval.pk, 0),
            approved_quantity=approval.quantity,
            used_total=approval.used,
            remaining=approval.remaining,
        )


def _row(section: str, **values) -> list:
    return [section, *(values.get(name) for name in HEADER[1:])]
