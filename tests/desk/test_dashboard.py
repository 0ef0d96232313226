"""The dashboard's figures (issue 18), each from its selector in desk/dashboard.py, against orders and the ledger."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.actor import actor_for_user
from accounts.choices import LicenseStatus
from desk import charts, dashboard
from desk.queues import QUEUES
from orders.choices import OrderStatus
from orders.models import Order
from settlements.choices import BankLineStatus, StatementStatus
from settlements.models import Receivable
from tests import plans
from tests.desk.records import bank_lines, order, statement
from tests.factories import LicenseFactory
from tests.factories.settlements import received_order

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 30)


def at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))  # Asia/Shanghai


def test_orders_and_gmv_per_day_count_every_order_and_sum_only_sales(buyer, supplier):
    # given: orders on three days of the window, one just outside it, and Shanghai's midnight between two of them
    order(buyer=buyer, supplier=supplier, placed_at=at(TODAY, 9), gross="100.00")
    order(buyer=buyer, supplier=supplier, placed_at=at(TODAY, 23), gross="50.50", status=OrderStatus.RECEIVED)
    order(buyer=buyer, supplier=supplier, placed_at=at(TODAY, 10), gross="999.00", status=OrderStatus.REJECTED)
    order(buyer=buyer, supplier=supplier, placed_at=at(TODAY - timedelta(days=1), 0), gross="20.00")
    order(buyer=buyer, supplier=supplier, placed_at=at(TODAY - timedelta(days=29), 12), gross="7.00")
    order(buyer=buyer, supplier=supplier, placed_at=at(TODAY - timedelta(days=30), 12), gross="1000.00")

    # when
    days = dashboard.orders_per_day(days=30, today=TODAY)

    # then: 30 days, oldest first, zero days included; a rejected order counts as an order, not in the GMV
    assert len(days) == 30 and days[0].day == TODAY - timedelta(days=29) and days[-1].day == TODAY
    figures = {day.day: (day.orders, day.gmv) for day in days if day.orders}
    assert figures == {
        TODAY: (3, Decimal("150.50")),
        TODAY - timedelta(days=1): (1, Decimal("20.00")),
        TODAY - timedelta(days=29): (1, Decimal("7.00")),
    }
    assert all(day.gmv == Decimal("0.00") for day in days if not day.orders)


def test_orders_by_status_lists_every_status_in_lifecycle_order(buyer, supplier):
    for status in [OrderStatus.PLACED, OrderStatus.PLACED, OrderStatus.SHIPPED]:
        order(buyer=buyer, supplier=supplier, placed_at=timezone.now(), gross="1.00", status=status)

    rows = dashboard.orders_by_status()

    assert [status for status, _label, _n in rows] == list(OrderStatus.values)
    assert {status: n for status, _label, n in rows if n} == {"placed": 2, "shipped": 1}


def test_orders_by_status_counts_the_orders_of_the_dashboard_s_days(buyer, supplier):
    order(buyer=buyer, supplier=supplier, placed_at=at(TODAY, 23), gross="1.00", status=OrderStatus.RECEIVED)
    order(buyer=buyer, supplier=supplier, placed_at=at(TODAY - timedelta(days=29), 0), gross="1.00")
    order(buyer=buyer, supplier=supplier, placed_at=at(TODAY - timedelta(days=30), 23), gross="1.00")  # a day early
    order(buyer=buyer, supplier=supplier, placed_at=at(TODAY + timedelta(days=1), 0), gross="1.00")  # tomorrow

    rows = dashboard.orders_by_status(days=30, today=TODAY)

    assert {status: n for status, _label, n in rows if n} == {"placed": 1, "received": 1}


def test_the_dashboard_reads_its_days_of_orders_by_the_placed_at_index(buyer, supplier):
    # Both figures filter placed_at itself, not each order's local date: an index serves that range, while a date
    # computed per order is a read of every order ever placed, on every load of the admin index. Asked of 20,000
    # older orders (on a handful of rows the planner's choice is a tie of costs, and the table's row count is what
    # the last test to ANALYZE it left).
    template = order(buyer=buyer, supplier=supplier, placed_at=at(TODAY, 9), gross="1.00")
    years = plans.copies(
        Order, template.pk, 20_000, number="'PAD' || n", placed_at="timestamptz '2020-01-01' + n * interval '1 hour'"
    )
    _first, placed = dashboard.placed_within(days=30, today=TODAY)
    sql, params = placed.values("status").query.sql_with_params()
    with plans.history([Order._meta.db_table], years):
        plan = plans.costed_plan(sql, params)
    assert "order_placed_at" in plan and "Seq Scan" not in plan, plan


def test_receivables_aging_buckets_add_up_the_outstanding_receivables(buyer, supplier, admin_user):
    # given: received orders posted to the ledger (a receivable each), due on different days, one partly paid
    today = timezone.localdate()
    dues = {
        "10.00": today + timedelta(days=5),
        "20.00": today - timedelta(days=10),
        "40.00": today - timedelta(days=95),
    }
    for gross, due in dues.items():
        received = received_order(buyer=buyer, supplier=supplier, gross=gross)
        Receivable.objects.filter(order=received).update(due_date=due)
    Receivable.objects.filter(gross=Decimal("40.00")).update(allocated=Decimal("15.00"))

    # when
    buckets = dashboard.receivables_aging_buckets(actor=actor_for_user(admin_user), on=today)

    # then
    assert buckets == {
        "current": Decimal("10.00"),
        "days_1_30": Decimal("20.00"),
        "days_31_60": Decimal("0.00"),
        "days_61_90": Decimal("0.00"),
        "days_over_90": Decimal("25.00"),
        "total": Decimal("55.00"),
        "unapplied_credit": Decimal("0.00"),  # no buyer has a credit note or overpayment waiting
    }


def test_statements_by_status_counts_and_sums_the_net(buyer, supplier):
    statement(supplier=supplier, status=StatementStatus.ISSUED, net="100.00")
    statement(supplier=supplier, status=StatementStatus.DISPUTED, net="30.00")
    statement(supplier=supplier, status=StatementStatus.DISPUTED, net="12.50")
    paid = statement(supplier=supplier, status=StatementStatus.PAID, net="7.00")

    def rows(today: date) -> dict[str, tuple[int, Decimal]]:
        return {status: (n, net) for status, _label, n, net in dashboard.statements_by_status(today=today)}

    this_year = rows(paid.period_start + timedelta(days=40))
    assert set(this_year) == set(StatementStatus.values)
    assert this_year["issued"] == (1, Decimal("100.00"))
    assert this_year["disputed"] == (2, Decimal("42.50"))
    assert this_year["paid"] == (1, Decimal("7.00"))
    assert this_year["reconciled"] == (0, Decimal("0.00"))
    # Years on, what is still being worked on still counts; what was settled long ago no longer does.
    years_on = rows(paid.period_start + timedelta(days=2 * 366))
    assert (years_on["issued"], years_on["disputed"]) == (this_year["issued"], this_year["disputed"])
    assert years_on["paid"] == (0, Decimal("0.00"))


def test_statements_by_status_and_the_disputed_queue_read_indexes_not_every_statement(supplier):
    statement(supplier=supplier, status=StatementStatus.DISPUTED)
    sql, params = dashboard.statements_shown().values("status").query.sql_with_params()
    assert plans.table_reads(sql, params) == [("settlements_statement", "statement_open+statement_period_start")]
    (disputed,) = [queue for queue in QUEUES if queue.key == "statements"]
    sql, params = disputed.queryset().values("pk").query.sql_with_params()
    assert plans.table_reads(sql, params) == [("settlements_statement", "statement_open")]


def test_the_overdue_queue_counts_its_orders_through_their_index(buyer, supplier):
    # given: one order flagged overdue, among 20,000 confirmed ones still within their deadline (a platform's
    # orders to ship, which the state's own index would read on every admin page)
    flagged = order(buyer=buyer, supplier=supplier, placed_at=at(TODAY, 9), gross="1.00", status=OrderStatus.CONFIRMED)
    Order.objects.filter(pk=flagged.pk).update(overdue_at=at(TODAY, 10))
    to_ship = order(buyer=buyer, supplier=supplier, placed_at=at(TODAY, 9), gross="1.00", status=OrderStatus.CONFIRMED)
    (overdue,) = [queue for queue in QUEUES if queue.key == "overdue_shipments"]

    with plans.history([Order._meta.db_table], plans.copies(Order, to_ship.pk, 20_000, number="'PAD' || n")):
        assert overdue.queryset().count() == 1
        sql, params = overdue.queryset().values("pk").query.sql_with_params()
        assert plans.table_reads(sql, params) == [("orders_order", "order_overdue_unshipped")]


def test_open_bank_lines_are_the_unmatched_and_ambiguous_ones(db):
    bank_lines(
        ("100.00", BankLineStatus.UNMATCHED),
        ("-40.00", BankLineStatus.AMBIGUOUS),
        ("500.00", BankLineStatus.MATCHED),
        ("3.00", BankLineStatus.IGNORED),
    )

    assert dashboard.open_bank_lines() == {"count": 2, "amount": Decimal("60.00")}


def test_licences_expiring_are_the_approved_ones_within_the_window(db):
    soon = LicenseFactory(valid_until=TODAY + timedelta(days=30))
    today = LicenseFactory(valid_until=TODAY)
    LicenseFactory(valid_until=TODAY + timedelta(days=31))  # later
    LicenseFactory(valid_until=TODAY - timedelta(days=1), valid_from=TODAY - timedelta(days=300))  # expired
    LicenseFactory(valid_until=TODAY + timedelta(days=3), status=LicenseStatus.PENDING)  # not in force

    assert dashboard.licences_expiring(within_days=30, today=TODAY) == [today, soon]


def test_charts_are_inline_svg_with_each_figure_and_escaped_labels():
    svg = charts.bar_chart([("<b>已下单</b>", 3), ("已发货", 0)], title="订单")
    column = charts.column_chart([("2026-06-29", Decimal("1.50")), ("2026-06-30", Decimal("0.00"))], title="GMV")

    assert svg.startswith("<svg") and "&lt;b&gt;已下单&lt;/b&gt;: 3" in svg and "<b>" not in svg
    assert "2026-06-29: 1.50" in column
    for chart in (svg, column):  # nothing to fetch: the only URL is the SVG namespace
        assert chart.count("http") == 1 and "<script" not in chart and "href" not in chart
