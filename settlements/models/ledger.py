"""The double-entry ledger (SPEC §6, RELIABILITY §3): accounts, immutable entries, signed postings.

A posting's amount is signed: positive debits the account, negative credits it. Every entry's postings
sum to zero per currency, so the whole book does too. Balances are never stored: they are sums of
postings. Entries and postings are append-only in the database (migration 0002 adds the triggers).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from settlements.choices import FUND_ACCOUNT_KINDS, ORGANIZATION_ACCOUNT_KINDS, AccountKind, EntryKind

MONEY = {"max_digits": 18, "decimal_places": 2}


class LedgerAccount(models.Model):
    """One account of the book: a buyer's receivable, a supplier's payable, a medical insurance fund's receivable,
    the platform bank or revenue. Its owner is the organisation, the fund or (platform accounts) nobody."""

    kind = models.CharField(max_length=30, choices=AccountKind.choices)
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_accounts"
    )
    fund = models.ForeignKey(
        "accounts.InsuranceFund", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_accounts"
    )
    currency = models.CharField(max_length=3, default="CNY")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "organization", "fund", "currency"], nulls_distinct=False, name="ledger_account_unique"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=sorted(ORGANIZATION_ACCOUNT_KINDS), organization__isnull=False)
                | (~Q(kind__in=sorted(ORGANIZATION_ACCOUNT_KINDS)) & Q(organization__isnull=True)),
                name="ledger_account_owner_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=sorted(FUND_ACCOUNT_KINDS), fund__isnull=False)
                | (~Q(kind__in=sorted(FUND_ACCOUNT_KINDS)) & Q(fund__isnull=True)),
                name="ledger_account_fund_matches_kind",
            ),
        ]

    def __str__(self) -> str:
        owner = f" {self.organization_id}" if self.organization_id else f" fund {self.fund_id}" if self.fund_id else ""
        return f"{self.kind}{owner} ({self.currency})"


class JournalEntry(models.Model):
    """An immutable, balanced set of postings written for one business event (its source)."""

    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    # The business event: e.g. ("order", "42"), ("payment", "7"), ("entry", "12") for a reversal.
    source_type = models.CharField(max_length=30)
    source_id = models.CharField(max_length=64)
    memo = models.CharField(max_length=300, blank=True)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    created_by = models.CharField(max_length=255)  # the actor's audit label
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "journal entries"
        constraints = [
            # LED-7: one business event → at most one entry of a kind (idempotent receipts, tasks run twice).
            models.UniqueConstraint(fields=["source_type", "source_id", "kind"], name="journal_entry_one_per_event"),
            models.CheckConstraint(
                condition=Q(kind=EntryKind.REVERSAL, reverses__isnull=False)
                | (~Q(kind=EntryKind.REVERSAL) & Q(reverses__isnull=True)),
                name="journal_entry_reversal_names_original",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.source_type}:{self.source_id}"


class Posting(models.Model):
    """One leg of an entry: a signed amount (debit > 0, credit < 0) on one account."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="postings")
    # Indexed by posting_account_id, which leads with it: no index of its own.
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="postings", db_index=False)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default="CNY")
    order = models.ForeignKey("orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="posting_amount_not_zero")]
        indexes = [
            models.Index(fields=["account", "id"], name="posting_account_id"),  # a balance since its checkpoint
            # The entries touching an account, newest first (journal_entry_parts): a page reads a page of these.
            models.Index(fields=["account", "entry"], name="posting_account_entry"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount} {self.currency}"


class BalanceCheckpoint(models.Model):
    """An account's balance through a posting id, so that reading a balance sums only the postings after it.

    A balance is the sum of the account's postings; summed from the first one, the platform's commission account
    reads a posting per order ever received (1.3 s for a page of accounts after one year here, growing every year).
    The checkpoint job (`balances_checkpoint`) adds each hour's postings to these rows; `through_posting` is a
    horizon no posting still in flight can fall under (the job takes it under the ledger's write lock).
    """

    account = models.OneToOneField(LedgerAccount, primary_key=True, on_delete=models.PROTECT, related_name="checkpoint")
    through_posting = models.BigIntegerField()  # the balance counts every posting of the account with id ≤ this
    balance = models.DecimalField(**MONEY)
    taken_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.account_id}: {self.balance} through posting {self.through_posting}"
