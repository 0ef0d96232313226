from settlements.models.bank import BankLine, BankStatement
from settlements.models.credits import CreditNote, Refund, RefundSource
from settlements.models.funds import FundAllocation, FundPayment
from settlements.models.ledger import BalanceCheckpoint, JournalEntry, LedgerAccount, Posting
from settlements.models.receivables import (
    KnownBankAccount,
    Payment,
    PaymentAllocation,
    Receivable,
    SettlementProfile,
)
from settlements.models.statements import Payout, Statement, StatementAdjustment, StatementEvent, StatementLine

__all__ = [
    "BalanceCheckpoint",
    "BankLine",
    "BankStatement",
    "CreditNote",
    "FundAllocation",
    "FundPayment",
    "JournalEntry",
    "KnownBankAccount",
    "LedgerAccount",
    "Payment",
    "PaymentAllocation",
    "Payout",
    "Posting",
    "Receivable",
    "Refund",
    "RefundSource",
    "SettlementProfile",
    "Statement",
    "StatementAdjustment",
    "StatementEvent",
    "StatementLine",
]
