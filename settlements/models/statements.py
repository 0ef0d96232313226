"""Supplier settlement statements on a paid basis, their adjustments, history and payout (SPEC §6)."""

from __future__ import annotations

from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Func, Q
from django.utils import timezone

from pharmex.models import TransitionRecord
from settlements.choices import OPEN_STATEMENT, PeriodKind, StatementStatus
from settlements.models.ledger import MONEY, JournalEntry


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class Statement(models.Model):
    """What the platform owes one supplier for one period: the orders paid in it, less commission.

    Its orders are not copied row by row: a statement settles every receivable of its supplier (and currency)
    paid in [paid_from, paid_to) — the `StatementLine` view lists them. The database keeps that set fixed
    (migration 0004): paid ranges of one supplier never overlap (so no order is on two statements), a
    statement's supplier, currency, range and totals never change, and a receivable it settles can be
    neither changed, deleted nor paid into a range a statement already covers.
    """

    number = models.CharField(max_length=32, unique=True)  # ST + period + supplier id: matched in bank references
    # Indexed by statement_one_per_period (supplier, period_kind, …), which leads with it: no index of its own.
    supplier = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+", db_index=False)
    period_kind = models.CharField(max_length=10, choices=PeriodKind.choices)
    period_start = models.DateField()
    period_end = models.DateField()  # exclusive, Asia/Shanghai calendar
    paid_from = models.DateTimeField()  # the period's start at Asia/Shanghai midnight: the range it settles
    paid_to = models.DateTimeField()  # exclusive: the period's end at Asia/Shanghai midnight
    status = models.CharField(max_length=20, choices=StatementStatus.choices, default=StatementStatus.DRAFT)
    currency = models.CharField(max_length=3, default="CNY")
    line_count = models.PositiveIntegerField(default=0)
    gross = models.DecimalField(**MONEY, default=0)
    commission = models.DecimalField(**MONEY, default=0)
    adjustments = models.DecimalField(**MONEY, default=0)
    # Credit notes of returns settled here (Σ their net, deducted), and a negative net carried in from the
    # supplier's previous statement (≤ 0): a net-negative statement is never paid out negative (SPEC §6).
    credits = models.DecimalField(**MONEY, default=0, db_default=0)
    carried_in = models.DecimalField(**MONEY, default=0, db_default=0)
    carried_to = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="carried_from"
    )
    net = models.DecimalField(**MONEY, default=0)
    revision = models.PositiveSmallIntegerField(default=1)  # +1 at each re-issue after a dispute
    dispute_reason = models.CharField(max_length=1000, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    reconciled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_start", "supplier_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "period_kind", "period_start"], name="statement_one_per_period"
            ),
            models.CheckConstraint(
                condition=Q(net=F("gross") - F("commission") + F("adjustments") - F("credits") + F("carried_in")),
                name="statement_net_with_credits",
            ),
            models.CheckConstraint(condition=Q(credits__gte=0, carried_in__lte=0), name="statement_credit_signs"),
            # No order on two statements: an order is on the statement of its supplier whose range holds its
            # paid_at, and one supplier's ranges never overlap (weekly and monthly statements included).
            ExclusionConstraint(
                name="statement_paid_ranges_disjoint",
                expressions=[
                    ("supplier", RangeOperators.EQUAL),
                    (TsTzRange("paid_from", "paid_to", RangeBoundary()), RangeOperators.OVERLAPS),
                ],
            ),
            models.CheckConstraint(condition=Q(period_end__gt=F("period_start")), name="statement_period_range"),
            models.CheckConstraint(condition=Q(paid_to__gt=F("paid_from")), name="statement_paid_range"),
        ]
        indexes = [
            models.Index(fields=["period_kind", "period_start"], name="statement_period"),
            # The desk's statements by state and its queue of disputed ones: the few statements still being
            # worked on, and the settled ones of recent periods, not every statement ever (desk/dashboard.py).
            models.Index(fields=["status"], name="statement_open", condition=Q(status__in=OPEN_STATEMENT)),
            models.Index(fields=["period_start"], name="statement_period_start"),
        ]

    def __str__(self) -> str:
        return self.number


class StatementLine(models.Model):
    """One paid order on a statement: a row of the read-only view `settlements_statementline` (migration 0004).

    The view joins each statement to the receivables it settles (its supplier and currency, paid in its range,
    not reversed); amounts are the receivable's. Nothing is written per order when statements are generated.
    """

    order = models.OneToOneField(
        "orders.Order", primary_key=True, on_delete=models.PROTECT, related_name="statement_line", db_constraint=False
    )
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="lines", db_constraint=False)
    gross = models.DecimalField(**MONEY)
    commission = models.DecimalField(**MONEY)
    net = models.DecimalField(**MONEY)
    paid_at = models.DateTimeField()

    class Meta:
        managed = False  # a view
        db_table = "settlements_statementline"
        ordering = ["order_id"]

    def __str__(self) -> str:
        return f"order {self.order_id} on statement {self.statement_id}"


class StatementAdjustment(models.Model):
    """A correction agreed when resolving a dispute: positive pays the supplier more, negative less."""

    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="adjustment_rows")
    amount = models.DecimalField(**MONEY)
    reason = models.CharField(max_length=500)
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="+")
    created_by = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="adjustment_amount_not_zero")]

    def __str__(self) -> str:
        return f"{self.amount}: {self.reason}"


class StatementEvent(TransitionRecord):
    """One transition of a statement: from, to, actor, time, note (settlements.transitions)."""

    statement = models.ForeignKey(Statement, on_delete=models.CASCADE, related_name="events")

    class Meta(TransitionRecord.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.statement_id}: {self.from_status or '-'} → {self.to_status}"


class Payout(models.Model):
    """The transfer that paid a statement: its amount equals the statement's net."""

    statement = models.OneToOneField(Statement, on_delete=models.PROTECT, related_name="payout")
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default="CNY")
    bank_reference = models.CharField(max_length=100)
    paid_on = models.DateField()
    entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="payout_amount_not_negative")]

    def __str__(self) -> str:
        return f"payout of statement {self.statement_id}: {self.amount}"
