"""Credit notes of received returns and refunds of a payer's credit (SPEC §6, "Credit notes and refunds")."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from settlements.models.funds import FundPayment
from settlements.models.ledger import MONEY, JournalEntry
from settlements.models.receivables import Payment


class CreditNote(models.Model):
    """The reversal of a received return's value: the buyer owes `gross` less (its credit is `credit`, a payment
    row of source `credit_note` that pays its dues like money would); the supplier earns `net` less; the platform
    gives back `commission`, at the original sale's rate."""

    number = models.CharField(max_length=40, unique=True)  # CN + the return's number
    return_request = models.OneToOneField("orders.Return", on_delete=models.PROTECT, related_name="credit_note")
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="credit_notes")
    # Indexed by credit_note_buyer_recent and credit_note_supplier(_recent), which lead with them: no index of their
    # own.
    buyer = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+", db_index=False)
    supplier = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+", db_index=False)
    currency = models.CharField(max_length=3, default="CNY")
    gross = models.DecimalField(**MONEY)
    commission = models.DecimalField(**MONEY)
    net = models.DecimalField(**MONEY)
    commission_rate = models.DecimalField(max_digits=5, decimal_places=4)
    # The supplier's statement that already paid the order when the credit came: the credit is then a negative
    # line of the supplier's next statement.
    after_paid_statement = models.ForeignKey(
        "settlements.Statement", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The statement that deducts it: the supplier's first statement generated after the credit was posted.
    statement = models.ForeignKey(
        "settlements.Statement", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_notes"
    )
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="+")
    # The buyer's credit for the returned buyer-paid lines, and the fund's for the fund-paid ones (医保基金直接结算);
    # either may be empty when every returned line had the other payer.
    credit = models.OneToOneField(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_note")
    fund_credit = models.OneToOneField(
        FundPayment, null=True, blank=True, on_delete=models.PROTECT, related_name="credit_note"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit__isnull=False) | Q(fund_credit__isnull=False), name="credit_note_has_a_credit"
            ),
            models.CheckConstraint(condition=Q(net=F("gross") - F("commission")), name="credit_note_net"),
            models.CheckConstraint(condition=Q(gross__gt=0, commission__gte=0), name="credit_note_amounts"),
        ]
        indexes = [
            models.Index(fields=["supplier", "created_at"], name="credit_note_supplier"),  # a statement's credits
            # A party's list, a page from each side (ApiViewSet.party_fields).
            models.Index(fields=["buyer", "-id"], name="credit_note_buyer_recent"),
            models.Index(fields=["supplier", "-id"], name="credit_note_supplier_recent"),
        ]

    def __str__(self) -> str:
        return self.number


class Refund(models.Model):
    """Credit paid back to its payer's bank account: a buyer's (buyer receivable Dr, platform bank Cr) or, for the
    orders it settles directly, a medical insurance fund's (the fund's receivable Dr, platform bank Cr).

    Bank reconciliation matches the debit line by the refund number in its reference and the exact amount.
    """

    number = models.CharField(max_length=32, unique=True)  # RF + yyyymmdd + id
    buyer = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fund = models.ForeignKey(
        "accounts.InsuranceFund", null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default="CNY")
    bank_account = models.CharField(max_length=40, blank=True)
    paid_on = models.DateField()
    entry = models.OneToOneField(JournalEntry, on_delete=models.PROTECT, related_name="+")
    bank_line = models.OneToOneField(
        "settlements.BankLine", null=True, blank=True, on_delete=models.PROTECT, related_name="refund"
    )
    recorded_by = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=Q(buyer__isnull=False, fund__isnull=True) | Q(buyer__isnull=True, fund__isnull=False),
                name="refund_one_payer",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class RefundSource(models.Model):
    """How much of which credit a refund paid back: a buyer's payment or credit note, or a fund's."""

    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="sources")
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds")
    fund_payment = models.ForeignKey(
        FundPayment, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_source_amount_positive"),
            models.CheckConstraint(
                condition=Q(payment__isnull=False, fund_payment__isnull=True)
                | Q(payment__isnull=True, fund_payment__isnull=False),
                name="refund_source_one_credit",
            ),
        ]

    def __str__(self) -> str:
        credit = f"payment {self.payment_id}" if self.payment_id else f"fund payment {self.fund_payment_id}"
        return f"{self.amount} of {credit} in refund {self.refund_id}"
