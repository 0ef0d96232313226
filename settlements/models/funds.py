"""Medical insurance fund payments and their allocation to the fund's part of orders (医保基金直接结算, SPEC §5a, §6).

Kept apart from buyer payments: a fund's money only ever pays the fund's dues (`Receivable.fund_gross`), and a
buyer's money never pays them.
"""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from settlements.choices import PaymentSource
from settlements.models.ledger import MONEY, JournalEntry
from settlements.models.receivables import Receivable


class FundPayment(models.Model):
    """Money a medical insurance fund paid in: recorded by a finance admin, created from a matched bank line, or the
    fund's side of a credit note of a return of fund-paid lines (no money moved: what the fund owes went down)."""

    # Indexed by fund_payment_fund_recent, which leads with it: no index of its own.
    fund = models.ForeignKey(
        "accounts.InsuranceFund", on_delete=models.PROTECT, related_name="payments", db_index=False
    )
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default="CNY")
    reference = models.CharField(max_length=300, blank=True)
    value_date = models.DateField()
    source = models.CharField(max_length=10, choices=PaymentSource.choices)
    unallocated = models.DecimalField(**MONEY)  # cached: amount − Σ allocations − refunded (the fund's credit)
    refunded = models.DecimalField(**MONEY, default=0)  # paid back to the fund by refunds
    entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reversed_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("medical insurance fund payment")
        verbose_name_plural = _("medical insurance fund payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="fund_payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(unallocated__gte=0, unallocated__lte=F("amount")), name="fund_payment_unallocated_range"
            ),
            models.CheckConstraint(
                condition=Q(refunded__gte=0, refunded__lte=F("amount") - F("unallocated")),
                name="fund_payment_refunded_range",
            ),
        ]
        indexes = [
            models.Index(fields=["fund", "-id"], name="fund_payment_fund_recent"),
            GinIndex(OpClass("reference", "gin_trgm_ops"), name="fund_payment_reference_trgm"),  # the desk's search
            # Credit not yet applied: a fund's few live credits, not every payment it ever made.
            models.Index(
                fields=["fund", "id"],
                name="fund_payment_fund_credit",
                condition=Q(unallocated__gt=0, reversed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"fund payment {self.pk} of {self.amount} {self.currency}"


class FundAllocation(models.Model):
    """Part of a fund payment applied to the fund's part of one order's receivable."""

    # Indexed by fund_allocation_unique (payment, receivable), which leads with it: no index of its own.
    payment = models.ForeignKey(FundPayment, on_delete=models.CASCADE, related_name="allocations", db_index=False)
    receivable = models.ForeignKey(Receivable, on_delete=models.PROTECT, related_name="fund_allocations")
    amount = models.DecimalField(**MONEY)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = _("medical insurance fund allocation")
        verbose_name_plural = _("medical insurance fund allocations")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="fund_allocation_amount_positive"),
            models.UniqueConstraint(fields=["payment", "receivable"], name="fund_allocation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} of fund payment {self.payment_id} to receivable {self.receivable_id}"
