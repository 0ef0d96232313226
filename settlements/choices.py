from django.db import models
from django.utils.translation import gettext_lazy as _

from pharmex.transitions import Transition


class AccountKind(models.TextChoices):
    BUYER_RECEIVABLE = "buyer_receivable", _("Buyer receivable")  # asset: what a buyer owes the platform
    SUPPLIER_PAYABLE = "supplier_payable", _("Supplier payable")  # liability: what the platform owes a supplier
    PLATFORM_BANK = "platform_bank", _("Platform bank")  # asset: the platform's collection account
    COMMISSION_REVENUE = "commission_revenue", _("Commission revenue")  # income: the platform's commission
    # asset: what a medical insurance fund owes for orders it settles directly (医保基金直接结算, SPEC §5a)
    FUND_RECEIVABLE = "fund_receivable", _("Medical insurance fund receivable")


ORGANIZATION_ACCOUNT_KINDS = frozenset({AccountKind.BUYER_RECEIVABLE, AccountKind.SUPPLIER_PAYABLE})
FUND_ACCOUNT_KINDS = frozenset({AccountKind.FUND_RECEIVABLE})  # owned by an accounts.InsuranceFund


class EntryKind(models.TextChoices):
    RECEIPT = "receipt", _("Order received")  # buyer owes gross; supplier earns gross less commission
    PAYMENT = "payment", _("Buyer payment")  # money in: bank up, receivable down
    PAYOUT = "payout", _("Supplier payout")  # money out: payable down, bank down
    ADJUSTMENT = "adjustment", _("Statement adjustment")  # a dispute resolved: payable vs commission revenue
    REVERSAL = "reversal", _("Reversal")  # the mirror of an earlier entry (corrections never edit)
    CREDIT_NOTE = "credit_note", _("Credit note")  # a received return: the receipt entry in reverse, for its value
    # a buyer's or a fund's credit paid back: its receivable up, bank down
    REFUND = "refund", _("Refund of a buyer's or a fund's credit")
    FUND_PAYMENT = "fund_payment", _("Medical insurance fund payment")  # money in: bank up, fund receivable down


class PaymentSource(models.TextChoices):
    MANUAL = "manual", _("Recorded by a finance admin")
    BANK = "bank", _("Matched from a bank statement")
    CREDIT_NOTE = "credit", _("Credit note of a return")  # no money moved: what the buyer owes went down


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Calendar month")
    WEEK = "week", _("ISO week (Monday to Sunday)")


class StatementStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")  # generated; lines may still be added by a rerun of the generator
    ISSUED = "issued", _("Issued")  # sent to the supplier for approval; lines frozen
    DISPUTED = "disputed", _("Disputed")  # the supplier contests it; admins resolve with adjustments
    APPROVED = "approved", _("Approved")  # agreed; ready for payout
    PAID = "paid", _("Paid")  # payout recorded (amount = net)
    RECONCILED = "reconciled", _("Reconciled")  # the payout was found on the bank statement


# Still being worked on: every status but paid and reconciled (the index statement_open holds these only).
OPEN_STATEMENT = (StatementStatus.DRAFT, StatementStatus.ISSUED, StatementStatus.DISPUTED, StatementStatus.APPROVED)


STATEMENT_TRANSITIONS: dict[str, Transition] = {
    "issue": Transition(frozenset({StatementStatus.DRAFT}), StatementStatus.ISSUED),
    "dispute": Transition(frozenset({StatementStatus.ISSUED}), StatementStatus.DISPUTED),
    "resolve": Transition(frozenset({StatementStatus.DISPUTED}), StatementStatus.ISSUED),
    "approve": Transition(frozenset({StatementStatus.ISSUED}), StatementStatus.APPROVED),
    "pay": Transition(frozenset({StatementStatus.APPROVED}), StatementStatus.PAID),
    "reconcile": Transition(frozenset({StatementStatus.PAID}), StatementStatus.RECONCILED),
    "unreconcile": Transition(frozenset({StatementStatus.RECONCILED}), StatementStatus.PAID),
}


class BankLineStatus(models.TextChoices):
    MATCHED = "matched", _("Matched")  # became a payment (credit) or confirmed a payout (debit)
    UNMATCHED = "unmatched", _("Unmatched")  # nothing fits; in the exceptions queue for a finance admin
    AMBIGUOUS = "ambiguous", _("Ambiguous")  # several buyers or statements fit; a person must choose
    IGNORED = "ignored", _("Ignored")  # not ours to match (bank fees, interest), set by a finance admin


class BankStatementStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")  # stored by the upload; a worker parses it
    RUNNING = "running", _("Running")  # a worker is storing and matching its lines
    IMPORTED = "imported", _("Imported")  # its lines are stored and matched (some may stay open for people)
    FAILED = "failed", _("Failed")  # the file could not be read; `errors` says why, nothing was stored
