from django.urls import path
from rest_framework.routers import SimpleRouter

from settlements.apis.bank import BankLineViewSet, BankStatementViewSet
from settlements.apis.credits import CreditNoteViewSet, RefundViewSet
from settlements.apis.early_close import StatementCloseEarlyApi
from settlements.apis.funds import FundPaymentViewSet, InsuranceFundViewSet
from settlements.apis.ledger import JournalEntryViewSet, LedgerAccountViewSet
from settlements.apis.payments import PaymentViewSet
from settlements.apis.reports import ReceivablesAgingApi
from settlements.apis.statements import StatementViewSet

router = SimpleRouter()
router.register("ledger/accounts", LedgerAccountViewSet, basename="ledger-account")
router.register("ledger/entries", JournalEntryViewSet, basename="journal-entry")
router.register("payments", PaymentViewSet, basename="payment")
router.register("insurance-funds", InsuranceFundViewSet, basename="insurance-fund")
router.register("fund-payments", FundPaymentViewSet, basename="fund-payment")
router.register("credit-notes", CreditNoteViewSet, basename="credit-note")
router.register("refunds", RefundViewSet, basename="refund")
router.register("settlements", StatementViewSet, basename="statement")
# Lines first: "bank-statements/lines/" must not be read as the statement with id "lines".
router.register("bank-statements/lines", BankLineViewSet, basename="bank-line")
router.register("bank-statements", BankStatementViewSet, basename="bank-statement")

urlpatterns = [
    path("reports/receivables-aging/", ReceivablesAgingApi.as_view(), name="receivables-aging"),
    path("settlements/close-early/", StatementCloseEarlyApi.as_view(), name="statement-close-early"),
    *router.urls,
]
