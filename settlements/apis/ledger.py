from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins

from pharmex.api.pagination import NewestFirstCursorPagination
from pharmex.api.views import ApiViewSet
from settlements import selectors
from settlements.apis.common import READS_MONEY
from settlements.filters import JournalEntryFilter, LedgerAccountFilter
from settlements.serializers import JournalEntryOutput, LedgerAccountOutput


@extend_schema_view(
    list=extend_schema(summary="List ledger accounts with balances (your organisation's; staff: all)"),
    retrieve=extend_schema(summary="Retrieve a ledger account with its balance"),
)
@extend_schema(tags=["ledger"])
class LedgerAccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = LedgerAccountOutput
    pagination_class = NewestFirstCursorPagination
    filterset_class = LedgerAccountFilter
    policies = {"list": READS_MONEY, "retrieve": READS_MONEY}

    def get_queryset(self):
        return selectors.ledger_account_list(actor=self.actor)


@extend_schema_view(
    list=extend_schema(
        summary="List journal entries touching your accounts (staff: all), newest first",
        description="Each entry shows the postings on your organisation's accounts only; staff see every leg.",
    ),
    retrieve=extend_schema(summary="Retrieve a journal entry with its postings"),
)
@extend_schema(tags=["ledger"])
class JournalEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = JournalEntryOutput
    pagination_class = NewestFirstCursorPagination
    filterset_class = JournalEntryFilter
    policies = {"list": READS_MONEY, "retrieve": READS_MONEY}

    def get_queryset(self):
        return selectors.journal_entry_list(actor=self.actor)
