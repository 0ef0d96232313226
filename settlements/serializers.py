from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import InsuranceFund
from pharmex.api.serializers import (
    BusinessDateField,
    ModelOutputSerializer,
    MoneyField,
    OutputSerializer,
    StrictInputSerializer,
)
from settlements.choices import PeriodKind
from settlements.models import (
    BankLine,
    BankStatement,
    FundAllocation,
    FundPayment,
    JournalEntry,
    LedgerAccount,
    Payment,
    PaymentAllocation,
    Payout,
    Posting,
    Statement,
    StatementAdjustment,
    StatementEvent,
    StatementLine,
)
from settlements.references import fund_payment_code
from settlements.selectors import bank_statement_summary, statement_lines


class LedgerAccountOutput(ModelOutputSerializer):
    balance = MoneyField(read_only=True, help_text="Sum of the account's postings; debits positive, credits negative.")

    class Meta:
        model = LedgerAccount
        fields = ["id", "kind", "organization", "fund", "currency", "balance", "created_at"]


class PostingOutput(ModelOutputSerializer):
    amount = MoneyField(read_only=True, help_text="Signed: positive debits the account, negative credits it.")
    account_kind = serializers.CharField(source="account.kind", read_only=True)
    order = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Posting
        fields = ["id", "account", "account_kind", "amount", "currency", "order"]


class JournalEntryOutput(ModelOutputSerializer):
    postings = PostingOutput(many=True, read_only=True)

    class Meta:
        model = JournalEntry
        fields = ["id", "kind", "source_type", "source_id", "memo", "reverses", "created_by", "created_at", "postings"]


class PaymentAllocationOutput(ModelOutputSerializer):
    amount = MoneyField(read_only=True)
    order = serializers.IntegerField(source="receivable.order_id", read_only=True)
    order_number = serializers.CharField(source="receivable.order.number", read_only=True)

    class Meta:
        model = PaymentAllocation
        fields = ["order", "order_number", "amount"]


class PaymentOutput(ModelOutputSerializer):
    amount = MoneyField(read_only=True)
    unallocated = MoneyField(read_only=True, help_text="Not yet applied to an order: the buyer's credit.")
    refunded = MoneyField(read_only=True, help_text="Paid back to the buyer by refunds.")

    class Meta:
        model = Payment
        fields = [
            "id",
            "buyer",
            "amount",
            "currency",
            "reference",
            "value_date",
            "source",
            "unallocated",
            "refunded",
            "entry",
            "reversed_at",
            "recorded_by",
            "created_at",
        ]


class PaymentDetailOutput(PaymentOutput):
    """A payment with the orders it paid (a list leaves them out: one payment may pay thousands)."""

    allocations = PaymentAllocationOutput(many=True, read_only=True)

    class Meta(PaymentOutput.Meta):
        fields = [*PaymentOutput.Meta.fields, "allocations"]


class InsuranceFundOutput(ModelOutputSerializer):
    payment_code = serializers.SerializerMethodField(help_text="Quoted in the fund's transfer references.")

    class Meta:
        model = InsuranceFund
        fields = ["id", "name", "province_code", "settlement_days", "active", "payment_code", "created_at"]

    def get_payment_code(self, fund) -> str:
        return fund_payment_code(fund.pk)


class FundAllocationOutput(ModelOutputSerializer):
    amount = MoneyField(read_only=True)
    order = serializers.IntegerField(source="receivable.order_id", read_only=True)
    order_number = serializers.CharField(source="receivable.order.number", read_only=True)

    class Meta:
        model = FundAllocation
        fields = ["order", "order_number", "amount"]


class FundPaymentOutput(ModelOutputSerializer):
    amount = MoneyField(read_only=True)
    unallocated = MoneyField(
        read_only=True, help_text="Not yet applied to the fund's dues nor refunded: the fund's credit."
    )
    refunded = MoneyField(read_only=True, help_text="Paid back to the fund by refunds.")

    class Meta:
        model = FundPayment
        fields = [
            "id",
            "fund",
            "amount",
            "currency",
            "reference",
            "value_date",
            "source",
            "unallocated",
            "refunded",
            "entry",
            "reversed_at",
            "recorded_by",
            "created_at",
        ]


class FundPaymentDetailOutput(FundPaymentOutput):
    """A fund payment with the orders whose fund part it paid (a list leaves them out: a fund's month of 医保 settlement
    pays a province's orders)."""

    allocations = FundAllocationOutput(many=True, read_only=True)

    class Meta(FundPaymentOutput.Meta):
        fields = [*FundPaymentOutput.Meta.fields, "allocations"]


class FundPaymentRecordInput(StrictInputSerializer):
    fund_id = serializers.IntegerField(min_value=1)
    amount = MoneyField(min_value=Decimal("0.01"))
    value_date = BusinessDateField(days_ahead=31, help_text="The bank value date (YYYY-MM-DD).")
    reference = serializers.CharField(
        max_length=300,
        required=False,
        default="",
        allow_blank=True,
        help_text="Order numbers named here are paid first (the fund's part of them); else the oldest fund due first.",
    )


class PaymentRecordInput(StrictInputSerializer):
    buyer_id = serializers.IntegerField(min_value=1)
    amount = MoneyField(min_value=Decimal("0.01"))
    value_date = BusinessDateField(days_ahead=31, help_text="The bank value date (YYYY-MM-DD).")
    reference = serializers.CharField(
        max_length=300,
        required=False,
        default="",
        allow_blank=True,
        help_text="Order numbers named here are paid first; else the oldest due first.",
    )


class PayoutOutput(ModelOutputSerializer):
    amount = MoneyField(read_only=True)

    class Meta:
        model = Payout
        fields = ["amount", "currency", "bank_reference", "paid_on", "entry", "recorded_by", "created_at"]


class StatementAdjustmentOutput(ModelOutputSerializer):
    amount = MoneyField(read_only=True)

    class Meta:
        model = StatementAdjustment
        fields = ["id", "amount", "reason", "entry", "created_by", "created_at"]


class StatementEventOutput(ModelOutputSerializer):
    class Meta:
        model = StatementEvent
        fields = ["action", "from_status", "to_status", "actor", "note", "created_at"]


class StatementOutput(ModelOutputSerializer):
    gross = MoneyField(read_only=True)
    commission = MoneyField(read_only=True)
    adjustments = MoneyField(read_only=True)
    credits = MoneyField(read_only=True, help_text="Credit notes of returns deducted here (Σ their net).")
    carried_in = MoneyField(read_only=True, help_text="The previous statement's negative net, carried in (≤ 0).")
    net = MoneyField(read_only=True)
    payout = PayoutOutput(read_only=True, allow_null=True)

    class Meta:
        model = Statement
        fields = [
            "id",
            "number",
            "supplier",
            "period_kind",
            "period_start",
            "period_end",
            "status",
            "currency",
            "line_count",
            "gross",
            "commission",
            "adjustments",
            "credits",
            "carried_in",
            "carried_to",
            "net",
            "revision",
            "dispute_reason",
            "issued_at",
            "approved_at",
            "paid_at",
            "reconciled_at",
            "created_at",
            "payout",
        ]


class StatementLineOutput(ModelOutputSerializer):
    gross = MoneyField(read_only=True)
    commission = MoneyField(read_only=True)
    net = MoneyField(read_only=True)
    order_number = serializers.CharField(source="order.number", read_only=True)
    buyer = serializers.IntegerField(source="order.buyer_id", read_only=True)

    class Meta:
        model = StatementLine
        fields = ["order", "order_number", "buyer", "gross", "commission", "net", "paid_at"]


class StatementDetailOutput(StatementOutput):
    lines = serializers.SerializerMethodField()
    adjustment_rows = StatementAdjustmentOutput(many=True, read_only=True)
    events = StatementEventOutput(many=True, read_only=True)

    class Meta(StatementOutput.Meta):
        fields = [*StatementOutput.Meta.fields, "lines", "adjustment_rows", "events"]

    @extend_schema_field(StatementLineOutput(many=True))
    def get_lines(self, statement) -> list[dict]:
        return StatementLineOutput(statement_lines(statement=statement), many=True).data


class StatementGenerateInput(StrictInputSerializer):
    period_kind = serializers.ChoiceField(choices=PeriodKind.choices, default=PeriodKind.MONTH)
    day = BusinessDateField(days_ahead=0, help_text="Any day of the period (Asia/Shanghai calendar).")


class DisputeInput(StrictInputSerializer):
    reason = serializers.CharField(max_length=1000)


class AdjustmentInput(StrictInputSerializer):
    amount = MoneyField(
        allow_zero=False,
        error_messages={"zero": "An adjustment cannot be zero."},
        help_text="Positive pays the supplier more, negative less; never zero.",
    )
    reason = serializers.CharField(max_length=500)


class ResolveInput(StrictInputSerializer):
    adjustments = AdjustmentInput(many=True)
    note = serializers.CharField(max_length=1000, required=False, default="", allow_blank=True)


class PayInput(StrictInputSerializer):
    amount = MoneyField(min_value=Decimal("0"), help_text="Must equal the statement's net exactly.")
    bank_reference = serializers.CharField(max_length=100)
    paid_on = BusinessDateField(days_ahead=31)


class BankStatementUploadInput(StrictInputSerializer):
    file = serializers.FileField(
        help_text="CSV: transaction_id,booked_on,amount,counterparty_account,"
        "counterparty_name,reference (amount signed, + = money in)."
    )


class StatusSumOutput(OutputSerializer):
    count = serializers.IntegerField()
    amount = MoneyField()


class BankStatementSummaryOutput(OutputSerializer):
    file_total = MoneyField()
    line_count = serializers.IntegerField()
    duplicate_count = serializers.IntegerField()
    duplicate_total = MoneyField()
    matched = StatusSumOutput(source="by_status.matched")
    unmatched = StatusSumOutput(source="by_status.unmatched")
    ambiguous = StatusSumOutput(source="by_status.ambiguous")
    ignored = StatusSumOutput(source="by_status.ignored")


class BankLineOutput(ModelOutputSerializer):
    amount = MoneyField(read_only=True)
    statement_id = serializers.IntegerField(
        read_only=True,
        source="payout.statement_id",
        allow_null=True,
        default=None,
        help_text="The settlement statement a debit paid.",
    )

    class Meta:
        model = BankLine
        fields = [
            "id",
            "statement",
            "transaction_id",
            "booked_on",
            "amount",
            "currency",
            "counterparty_account",
            "counterparty_name",
            "reference",
            "status",
            "payment",
            "fund_payment",
            "statement_id",
            "candidates",
            "note",
            "matched_by",
            "updated_at",
        ]


class BankStatementErrorOutput(OutputSerializer):
    field = serializers.CharField(allow_null=True, help_text="`rows[3].amount` (data rows from 1), or `file`.")
    code = serializers.CharField()
    message = serializers.CharField()


class BankStatementOutput(ModelOutputSerializer):
    file_total = MoneyField(read_only=True)
    duplicate_total = MoneyField(read_only=True)

    class Meta:
        model = BankStatement
        fields = [
            "id",
            "status",
            "file_name",
            "file_size",
            "line_count",
            "duplicate_count",
            "duplicate_total",
            "file_total",
            "message",
            "imported_by",
            "imported_at",
            "started_at",
            "finished_at",
        ]
        extra_kwargs = {
            "status": {"help_text": "`queued` → `running` → `imported`, or `failed` (see `errors`)."},
            "imported_at": {"help_text": "When the file was uploaded."},
        }


class BankStatementDetailOutput(BankStatementOutput):
    """The statement and its per-status sums; its lines are the paged list
    `GET /api/v1/bank-statements/lines/?statement={id}`."""

    summary = serializers.SerializerMethodField()
    errors = BankStatementErrorOutput(many=True, read_only=True, help_text="Why a `failed` file was refused.")

    class Meta(BankStatementOutput.Meta):
        fields = [*BankStatementOutput.Meta.fields, "summary", "errors"]

    @extend_schema_field(BankStatementSummaryOutput)
    def get_summary(self, statement) -> dict:
        return BankStatementSummaryOutput(bank_statement_summary(statement=statement)).data


class BankLineMatchInput(StrictInputSerializer):
    buyer_id = serializers.IntegerField(min_value=1, required=False, help_text="For a credit (money in).")
    fund_id = serializers.IntegerField(
        min_value=1, required=False, help_text="For a credit from a medical insurance fund (money in)."
    )
    statement_id = serializers.IntegerField(min_value=1, required=False, help_text="For a debit (a payout).")


class AgingRowOutput(OutputSerializer):
    buyer_id = serializers.IntegerField()
    buyer_name = serializers.CharField()
    currency = serializers.CharField()
    current = MoneyField()
    days_1_30 = MoneyField()
    days_31_60 = MoneyField()
    days_61_90 = MoneyField()
    days_over_90 = MoneyField()
    total = MoneyField()
    unapplied_credit = MoneyField(help_text="Overpayments and credit notes not yet applied to dues nor refunded.")


class AgingTotalsOutput(OutputSerializer):
    current = MoneyField()
    days_1_30 = MoneyField()
    days_31_60 = MoneyField()
    days_61_90 = MoneyField()
    days_over_90 = MoneyField()
    total = MoneyField()
    unapplied_credit = MoneyField()


class FundAgingRowOutput(OutputSerializer):
    fund_id = serializers.IntegerField()
    fund_name = serializers.CharField()
    currency = serializers.CharField()
    current = MoneyField()
    days_1_30 = MoneyField()
    days_31_60 = MoneyField()
    days_61_90 = MoneyField()
    days_over_90 = MoneyField()
    total = MoneyField()
    unapplied_credit = MoneyField(help_text="Fund payments and credit notes not yet applied to the fund's dues.")


class AgingReportOutput(OutputSerializer):
    as_of = serializers.DateField()
    currency = serializers.CharField()
    buyers = AgingRowOutput(many=True, help_text="What the buyers themselves owe; never a fund's part of an order.")
    totals = AgingTotalsOutput()
    funds = FundAgingRowOutput(
        many=True,
        help_text="What each medical insurance fund owes for orders it settles directly (医保基金直接结算), by days "
        "past the fund's due date. Platform staff only: empty for an organisation.",
    )
    fund_totals = AgingTotalsOutput()
