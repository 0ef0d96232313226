"""Imported bank statements and their lines, each ending matched, unmatched, ambiguous or ignored (SPEC §6)."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.utils import timezone

from settlements.choices import BankLineStatus, BankStatementStatus
from settlements.models.ledger import MONEY


class BankStatement(models.Model):
    """One uploaded CSV file of the platform's bank account: stored by the upload (queued), then a Celery task
    stores and matches its lines. The file is kept in the row until then, so any worker can process it."""

    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64, unique=True)
    file_size = models.PositiveIntegerField(default=0)
    content = models.BinaryField(blank=True, default=b"", editable=False)  # emptied once processed
    status = models.CharField(
        max_length=10, choices=BankStatementStatus.choices, default=BankStatementStatus.QUEUED, db_index=True
    )
    message = models.CharField(max_length=500, blank=True)
    errors = models.JSONField(default=list, blank=True, help_text="[{field, code, message}], at most 100 kept.")
    line_count = models.PositiveIntegerField(default=0)  # new lines; duplicates of earlier imports excluded
    duplicate_count = models.PositiveIntegerField(default=0)
    duplicate_total = models.DecimalField(**MONEY, default=0)
    file_total = models.DecimalField(**MONEY, default=0)  # signed sum of the new lines
    imported_by = models.CharField(max_length=255)
    imported_at = models.DateTimeField(default=timezone.now)  # when it was uploaded
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.imported_at:%Y-%m-%d})"


class BankLine(models.Model):
    """One bank transaction: a credit (amount > 0, money in) or a debit (amount < 0, money out)."""

    statement = models.ForeignKey(BankStatement, on_delete=models.PROTECT, related_name="lines")
    transaction_id = models.CharField(max_length=64, unique=True)  # the bank's id: re-imports add nothing
    booked_on = models.DateField()
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default="CNY")
    counterparty_account = models.CharField(max_length=40, blank=True)
    counterparty_name = models.CharField(max_length=200, blank=True)
    reference = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=BankLineStatus.choices, default=BankLineStatus.UNMATCHED)
    payment = models.OneToOneField(
        "settlements.Payment", null=True, blank=True, on_delete=models.PROTECT, related_name="bank_line"
    )
    payout = models.OneToOneField(
        "settlements.Payout", null=True, blank=True, on_delete=models.PROTECT, related_name="bank_line"
    )
    fund_payment = models.OneToOneField(
        "settlements.FundPayment", null=True, blank=True, on_delete=models.PROTECT, related_name="bank_line"
    )
    candidates = models.JSONField(default=list, blank=True)  # ids of the buyers, funds or statements that fit
    note = models.CharField(max_length=500, blank=True)
    matched_by = models.CharField(max_length=255, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(amount=0), name="bank_line_amount_not_zero"),
            models.CheckConstraint(
                condition=models.Q(status=BankLineStatus.MATCHED)
                | models.Q(payment__isnull=True, payout__isnull=True, fund_payment__isnull=True),
                name="bank_line_link_only_when_matched",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "id"], name="bank_line_status"),
            # The desk's search: part of what the bank wrote (pharmex.admin.indexed_search)
            GinIndex(OpClass("reference", "gin_trgm_ops"), name="bank_line_reference_trgm"),
            GinIndex(OpClass("counterparty_name", "gin_trgm_ops"), name="bank_line_counterparty_trgm"),
            GinIndex(OpClass("counterparty_account", "gin_trgm_ops"), name="bank_line_account_trgm"),
        ]

    def __str__(self) -> str:
        return f"{self.transaction_id} {self.amount}"

    @property
    def is_credit(self) -> bool:
        return self.amount > 0
