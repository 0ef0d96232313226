"""Credit notes of returns (read) and refunds of a buyer's or a medical insurance fund's credit (SPEC §6, "Credit
notes and refunds")."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status

from api_docs.responses import problems
from pharmex.api.idempotency import idempotent
from pharmex.api.pagination import NewestFirstCursorPagination
from pharmex.api.permissions import Staff
from pharmex.api.serializers import BusinessDateField, ModelOutputSerializer, MoneyField, StrictInputSerializer
from pharmex.api.views import ApiViewSet
from pharmex.choices import StaffRole
from settlements.apis.common import READS_MONEY
from settlements.credit_selectors import credit_note_list, refund_list
from settlements.models import CreditNote, Refund, RefundSource
from settlements.services.credits import refund_record


class CreditNoteOutput(ModelOutputSerializer):
    gross = MoneyField(read_only=True)
    commission = MoneyField(read_only=True)
    net = MoneyField(read_only=True)
    order_number = serializers.CharField(source="order.number", read_only=True)
    return_number = serializers.CharField(source="return_request.number", read_only=True)
    unapplied = MoneyField(
        source="credit.unallocated",
        read_only=True,
        allow_null=True,
        help_text="The buyer's credit not yet applied nor refunded; null when every returned line was fund-paid.",
    )

    class Meta:
        model = CreditNote
        fields = [
            "id",
            "number",
            "return_request",
            "return_number",
            "order",
            "order_number",
            "buyer",
            "supplier",
            "currency",
            "gross",
            "commission",
            "net",
            "commission_rate",
            "after_paid_statement",
            "entry",
            "credit",
            "unapplied",
            "fund_credit",
            "created_at",
        ]


class RefundSourceOutput(ModelOutputSerializer):
    amount = MoneyField(read_only=True)

    class Meta:
        model = RefundSource
        fields = ["payment", "fund_payment", "amount"]


class RefundOutput(ModelOutputSerializer):
    amount = MoneyField(read_only=True)
    sources = RefundSourceOutput(many=True, read_only=True)

    class Meta:
        model = Refund
        fields = [
            "id",
            "number",
            "buyer",
            "fund",
            "amount",
            "currency",
            "bank_account",
            "paid_on",
            "entry",
            "bank_line",
            "recorded_by",
            "created_at",
            "sources",
        ]


class RefundInput(StrictInputSerializer):
    buyer_id = serializers.IntegerField(min_value=1, required=False, help_text="The buyer whose credit is paid back.")
    fund_id = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="Or the medical insurance fund whose credit is paid back (what it paid beyond its dues).",
    )
    amount = MoneyField(min_value=Decimal("0.01"))
    paid_on = BusinessDateField(days_ahead=31, help_text="The day the transfer left (YYYY-MM-DD).")
    bank_account = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict) -> dict:
        if ("buyer_id" in attrs) == ("fund_id" in attrs):
            message = _("Name one payer: buyer_id or fund_id.")
            raise serializers.ValidationError({"buyer_id": message, "fund_id": message}, code="one_payer")
        return attrs


@extend_schema_view(
    list=extend_schema(summary="List credit notes of returns (a party: its own; staff: all), newest first"),
    retrieve=extend_schema(summary="Retrieve a credit note: the returned value, commission share, unapplied credit"),
)
@extend_schema(tags=["payments"])
class CreditNoteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = CreditNoteOutput
    pagination_class = NewestFirstCursorPagination
    party_fields = ("buyer", "supplier")
    policies = {"list": READS_MONEY, "retrieve": READS_MONEY}

    def get_queryset(self):
        return credit_note_list(actor=self.actor)


@extend_schema_view(
    list=extend_schema(
        summary="List refunds of buyer and medical insurance fund credit (a buyer: its own; staff: all), newest first"
    ),
    retrieve=extend_schema(summary="Retrieve a refund and the credit it paid back"),
)
@extend_schema(tags=["payments"])
class RefundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = RefundOutput
    pagination_class = NewestFirstCursorPagination
    policies = {"list": READS_MONEY, "retrieve": READS_MONEY, "create": Staff(StaffRole.FINANCE_ADMIN)}

    def get_queryset(self):
        return refund_list(actor=self.actor)

    @extend_schema(
        summary="Record a refund of a buyer's or a medical insurance fund's unapplied credit (finance admin)",
        description="Name one payer, `buyer_id` or `fund_id`. Writes the refund entry (the payer's receivable Dr, "
        "platform bank Cr) and uses the payer's credit oldest first. Quote the refund `number` in the transfer: bank "
        "reconciliation matches the debit line by that number and the exact amount. Send an Idempotency-Key.",
        request=RefundInput,
        responses={201: RefundOutput, **problems(400, 403, 409)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        refund = refund_record(actor=self.actor, **self.parse(RefundInput))
        return self.respond(RefundOutput, self.get_queryset().get(pk=refund.pk), status=status.HTTP_201_CREATED)
