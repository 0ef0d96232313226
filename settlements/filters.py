"""FilterSets of the settlements lists (STYLE G18)."""

from django_filters import rest_framework as filters

from pharmex.api.filters import IntegerFilter, StrictFilterSet
from settlements.choices import AccountKind, BankLineStatus, EntryKind, PaymentSource, PeriodKind, StatementStatus
from settlements.models import BankLine, FundPayment, JournalEntry, LedgerAccount, Payment, Statement


class StatementFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=StatementStatus.choices)
    period_kind = filters.ChoiceFilter(choices=PeriodKind.choices)
    period_start = filters.DateFilter()
    supplier = IntegerFilter()

    class Meta(StrictFilterSet.Meta):
        model = Statement
        fields = ["status", "period_kind", "period_start", "supplier", "number"]


class PaymentFilter(StrictFilterSet):
    buyer = IntegerFilter()
    source = filters.ChoiceFilter(choices=PaymentSource.choices)

    class Meta(StrictFilterSet.Meta):
        model = Payment
        fields = ["buyer", "source"]


class FundPaymentFilter(StrictFilterSet):
    fund = IntegerFilter()
    source = filters.ChoiceFilter(choices=PaymentSource.choices)

    class Meta(StrictFilterSet.Meta):
        model = FundPayment
        fields = ["fund", "source"]


class BankLineFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=BankLineStatus.choices)

    class Meta(StrictFilterSet.Meta):
        model = BankLine
        fields = ["status", "statement", "transaction_id"]


class LedgerAccountFilter(StrictFilterSet):
    kind = filters.ChoiceFilter(choices=AccountKind.choices)
    organization = IntegerFilter()

    class Meta(StrictFilterSet.Meta):
        model = LedgerAccount
        fields = ["kind", "organization"]


class JournalEntryFilter(StrictFilterSet):
    kind = filters.ChoiceFilter(choices=EntryKind.choices)
    account = IntegerFilter(field_name="postings__account", distinct=True)
    order = IntegerFilter(field_name="postings__order", distinct=True)

    class Meta(StrictFilterSet.Meta):
        model = JournalEntry
        fields = ["kind", "source_type", "source_id"]
