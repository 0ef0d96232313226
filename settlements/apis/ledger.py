from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.permissions import IsAuthenticated

from accounts.actor import actor_from_request
from pharmex.api.filters import IntegerFilter, StrictFilterSet
from pharmex.api.pagination import NewestFirstCursorPagination
from settlements import selectors
from settlements.apis.common import ReadsMoney
from settlements.choices import AccountKind, EntryKind
from settlements.models import JournalEntry, LedgerAccount
from settlements.serializers import JournalEntryOutput, LedgerAccountOutput


class LedgerAccountFilter(StrictFilterSet):
    kind = filters.ChoiceFilter(choices=AccountKind.choices)
    organization = IntegerFilter()

    class Meta:
        model = LedgerAccount
        fields = ["kind", "organization"]


class JournalEntryFilter(StrictFilterSet):
    kind = filters.ChoiceFilter(choices=EntryKind.choices)
    account = IntegerFilter(field_name="postings__account", distinct=True)
    order = IntegerFilter(field_name="postings__order", distinct=True)

    class Meta:
        model = JournalEntry
        fields = ["kind", "source_type", "source_id"]


@extend_schema_view(
    list=extend_schema(summary="List ledger accounts with balances (your organisation's; staff: all)"),
    retrieve=extend_schema(summary="Retrieve a ledger account with its balance"),
)
@extend_schema(tags=["ledger"])
class LedgerAccountViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = LedgerAccountOutput
    pagination_class = NewestFirstCursorPagination
    filterset_class = LedgerAccountFilter
    permission_classes = [IsAuthenticated, ReadsMoney]

    def get_queryset(self):
        return selectors.ledger_account_list(actor=actor_from_request(self.request))


@extend_schema_view(
    list=extend_schema(
        summary="List journal entries touching your accounts (staff: all), newest first",
        description="Each entry shows the postings on your organisation's accounts only; staff see every leg.",
    ),
    retrieve=extend_schema(summary="Retrieve a journal entry with its postings"),
)
@extend_schema(tags=["ledger"])
class JournalEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = JournalEntryOutput
    pagination_class = NewestFirstCursorPagination
    filterset_class = JournalEntryFilter
    permission_classes = [IsAuthenticated, ReadsMoney]

    def get_queryset(self):
        return selectors.journal_entry_list(actor=actor_from_request(self.request))
