"""What buyers owe per order, their payments and how the payments were allocated (SPEC §6)."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from settlements.choices import PaymentSource
from settlements.models.ledger import MONEY, JournalEntry


class SettlementProfile(models.Model):
    """Settlement terms of one organisation that accounts does not hold: its own commission rate."""

    organization = models.OneToOneField(
        "accounts.Organization", on_delete=models.CASCADE, related_name="settlement_profile"
    )
    commission_rate = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
        help_text="Commission on accepted gross for this supplier; empty: PLATFORM_COMMISSION_RATE.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(commission_rate__gte=0, commission_rate__lt=1), name="settlement_profile_rate_range"
            )
        ]

    def __str__(self) -> str:
        return f"terms of {self.organization_id}"


class KnownBankAccount(models.Model):
    """A bank account number known to belong to a buyer: credits from it are that buyer's payments."""

    organization = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="bank_accounts")
    account_number = models.CharField(max_length=40, unique=True)
    label = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return self.account_number


class Receivable(models.Model):
    """A received order as money: its payers owe `gross`; the supplier earns `net`.

    The payers' parts never mix: the buyer owes `gross − fund_gross` by `due_date` (its payments, `allocated`);
    under a direct-settlement 集采 contract the fund owes `fund_gross` (its lines' accepted value) by `fund_due_date`
    (its payments, `fund_allocated`), each on its own ledger account. `allocated` and `fund_allocated` are the
    cached sums of their allocations (checked against them by the invariant tests); `paid_at` is set when both
    parts are fully allocated, which puts the order on that period's supplier statement. Once a statement settles
    it, the database refuses any change to what the statement shows (migration 0004).
    """

    order = models.OneToOneField("orders.Order", on_delete=models.PROTECT, related_name="receivable")
    # Indexed by receivable_buyer_due, which leads with it: no index of its own.
    buyer = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+", db_index=False)
    # db_index=False: the (supplier, paid_at) index below serves lookups by supplier, and a statement's lines.
    supplier = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+", db_index=False)
    currency = models.CharField(max_length=3, default="CNY")
    gross = models.DecimalField(**MONEY)
    commission = models.DecimalField(**MONEY)
    net = models.DecimalField(**MONEY)
    commission_rate = models.DecimalField(max_digits=5, decimal_places=4)
    received_at = models.DateTimeField()
    due_date = models.DateField()
    allocated = models.DecimalField(**MONEY, default=0)  # the buyer's payments only
    # 医保基金直接结算: the fund's part of the order (its lines), its payments and due date; 0/empty otherwise.
    fund = models.ForeignKey(
        "accounts.InsuranceFund", null=True, blank=True, on_delete=models.PROTECT, related_name="receivables"
    )
    fund_gross = models.DecimalField(**MONEY, default=0, db_default=0)
    fund_allocated = models.DecimalField(**MONEY, default=0, db_default=0)
    fund_due_date = models.DateField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    reversed_at = models.DateTimeField(null=True, blank=True)
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["due_date", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(net=F("gross") - F("commission")), name="receivable_net"),
            models.CheckConstraint(
                condition=Q(
                    allocated__gte=0,
                    allocated__lte=F("gross") - F("fund_gross"),
                    commission__gte=0,
                    gross__gte=0,
                ),
                name="receivable_allocated_range",
            ),
            models.CheckConstraint(
                condition=Q(fund_gross__gte=0, fund_gross__lte=F("gross"), fund_allocated__gte=0)
                & Q(fund_allocated__lte=F("fund_gross")),
                name="receivable_fund_range",
            ),
            models.CheckConstraint(
                condition=Q(fund__isnull=False, fund_due_date__isnull=False)
                | Q(fund__isnull=True, fund_due_date__isnull=True, fund_gross=0),
                name="receivable_fund_part_has_fund",
            ),
            models.CheckConstraint(
                condition=Q(paid_at__isnull=True)
                | Q(allocated=F("gross") - F("fund_gross"), fund_allocated=F("fund_gross")),
                name="receivable_paid_when_allocated",
            ),
        ]
        indexes = [
            models.Index(fields=["buyer", "due_date"], name="receivable_buyer_due"),
            models.Index(fields=["paid_at", "supplier"], name="receivable_paid_supplier"),  # a period's paid orders
            models.Index(fields=["supplier", "paid_at"], name="receivable_supplier_paid"),  # one statement's lines
            # What is still owed: a few weeks of orders whatever the years behind them. Allocation, the aging
            # report and the dashboard read these instead of every receivable a payer ever had.
            models.Index(
                fields=["buyer", "due_date"],
                name="receivable_open_buyer_due",
                condition=Q(paid_at__isnull=True, reversed_at__isnull=True),
            ),
            models.Index(
                fields=["fund", "fund_due_date"],
                name="receivable_open_fund_due",
                condition=Q(fund__isnull=False, paid_at__isnull=True, reversed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"receivable of order {self.order_id}"

    @property
    def buyer_gross(self):
        """What the buyer itself owes: the order less the fund's part."""
        return self.gross - self.fund_gross

    @property
    def outstanding(self):
        """What the buyer still owes (the fund's part is `fund_outstanding`)."""
        return self.buyer_gross - self.allocated

    @property
    def fund_outstanding(self):
        return self.fund_gross - self.fund_allocated

    @property
    def fully_allocated(self) -> bool:
        """Every payer's part is paid: the order is paid."""
        return self.allocated == self.buyer_gross and self.fund_allocated == self.fund_gross


class Payment(models.Model):
    """Money a buyer paid in: recorded by a finance admin or created from a matched bank line."""

    # Indexed by payment_buyer_recent, which leads with it: no index of its own.
    buyer = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+", db_index=False)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default="CNY")
    reference = models.CharField(max_length=300, blank=True)
    value_date = models.DateField()
    source = models.CharField(max_length=10, choices=PaymentSource.choices)
    unallocated = models.DecimalField(**MONEY)  # cached: amount − Σ allocations − refunded (buyer credit)
    refunded = models.DecimalField(**MONEY, default=0)  # paid back to the buyer by refunds
    entry = models.OneToOneField(JournalEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reversed_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(unallocated__gte=0, unallocated__lte=F("amount")), name="payment_unallocated_range"
            ),
            models.CheckConstraint(
                condition=Q(refunded__gte=0, refunded__lte=F("amount") - F("unallocated")),
                name="payment_refunded_range",
            ),
        ]
        indexes = [
            models.Index(fields=["buyer", "-id"], name="payment_buyer_recent"),
            GinIndex(OpClass("reference", "gin_trgm_ops"), name="payment_reference_trgm"),  # the desk's search
            # Credit not yet applied: a buyer's few live credits, not every payment it ever made.
            models.Index(
                fields=["buyer", "id"],
                name="payment_buyer_credit",
                condition=Q(unallocated__gt=0, reversed_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"payment {self.pk} of {self.amount} {self.currency}"


class PaymentAllocation(models.Model):
    """Part of a payment applied to one order's receivable."""

    # Indexed by allocation_unique (payment, receivable), which leads with it: no index of its own.
    payment = models.ForeignKey(Payment, on_delete=models.CASCADE, related_name="allocations", db_index=False)
    receivable = models.ForeignKey(Receivable, on_delete=models.PROTECT, related_name="allocations")
    amount = models.DecimalField(**MONEY)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_amount_positive"),
            models.UniqueConstraint(fields=["payment", "receivable"], name="allocation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} of payment {self.payment_id} to receivable {self.receivable_id}"
