from django.utils.translation import gettext_lazy as _

from pharmex.errors import DomainError


class UnbalancedEntry(DomainError):
    code = "unbalanced_entry"
    problem = "unbalanced-entry"
    title = _("A journal entry's postings must sum to zero in each currency")


class AlreadyReversed(DomainError):
    code = "already_reversed"
    problem = "already-reversed"
    title = _("This entry has already been reversed")


class PaymentInUse(DomainError):
    code = "payment_in_use"
    problem = "payment-in-use"
    title = _("The payment paid orders that are already on a supplier statement; it cannot be undone")


class PaymentFromBankLine(DomainError):
    code = "payment_from_bank_line"
    problem = "payment-from-bank-line"
    title = _("The payment was matched from a bank line; unmatch the line to undo it")


class NotABuyer(DomainError):
    code = "not_a_buyer"
    problem = "not-a-buyer"
    title = _("Payments are recorded for buyer organisations only")
    http_status = 400


class NotAFund(DomainError):
    code = "not_a_fund"
    problem = "not-a-fund"
    title = _("Fund payments are recorded for an existing medical insurance fund only")
    http_status = 400


class PeriodNotClosed(DomainError):
    code = "period_not_closed"
    problem = "period-not-closed"
    title = _("Statements are generated for periods that have ended")


class PayoutAmountMismatch(DomainError):
    code = "payout_amount_mismatch"
    problem = "payout-amount-mismatch"
    title = _("The payout amount must equal the statement's net amount")


class NegativeNet(DomainError):
    code = "negative_net"
    problem = "negative-net"
    title = _("The adjustments would make the statement's net amount negative")


class BankFileInvalid(DomainError):
    code = "bank_file_invalid"
    problem = "bank-file-invalid"
    title = _("The bank statement file cannot be read")
    http_status = 400


class BankLineNotOpen(DomainError):
    code = "bank_line_not_open"
    problem = "bank-line-not-open"
    title = _("Only unmatched or ambiguous bank lines can be matched or ignored")


class BankLineMismatch(DomainError):
    code = "bank_line_mismatch"
    problem = "bank-line-mismatch"
    title = _("The bank line does not fit the chosen buyer or statement")


class ReceivableHasPayments(DomainError):
    code = "receivable_has_payments"
    problem = "receivable-has-payments"
    title = _("Payments are allocated to this order; reverse them before reversing the receipt")


class RefundExceedsCredit(DomainError):
    code = "refund_exceeds_credit"
    problem = "refund-exceeds-credit"
    title = _("A refund pays back at most its payer's unapplied credit")


class CutOffInvalid(DomainError):
    code = "cut_off_invalid"
    problem = "cut-off-invalid"
    title = _("The period cannot be closed at this cut-off")
    http_status = 400
