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


# Every filter but the account narrows the entries themselves: a page of an account's postings is no page of those.
ENTRY_FILTERS = frozenset(JournalEntryFilter.base_filters) - {"account"}


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

    def list_parts(self, queryset):
        """The postings of the one account the list is filtered by, or of each of the organisation's accounts: each
        names its entries newest first (journal_entry_parts)."""
        if ENTRY_FILTERS & set(self.request.query_params):
            return None
        filterset = self.filterset_class(self.request.query_params, queryset=queryset, request=self.request)
        if not filterset.is_valid():
            return None  # the filtered list answers 400
        parts = selectors.journal_entry_parts(actor=self.actor, account=filterset.form.cleaned_data.get("account"))
        return None if parts is None else (parts, "entry_id")
