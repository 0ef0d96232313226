"""Medical insurance funds and their payments (医保基金直接结算, SPEC §5a, §6): platform staff only."""

from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action

from api_docs.responses import problems
from pharmex.api.idempotency import idempotent
from pharmex.api.pagination import NewestFirstCursorPagination
from pharmex.api.permissions import Staff
from pharmex.api.serializers import RequiredReasonInput
from pharmex.api.views import ApiViewSet
from pharmex.choices import StaffRole
from settlements import selectors
from settlements.filters import FundPaymentFilter
from settlements.serializers import (
    FundPaymentDetailOutput,
    FundPaymentOutput,
    FundPaymentRecordInput,
    InsuranceFundOutput,
)
from settlements.services.funds import fund_payment_record, fund_payment_reverse


@extend_schema_view(
    list=extend_schema(summary="List medical insurance funds (staff)"),
    retrieve=extend_schema(summary="Retrieve a medical insurance fund with its payment code (staff)"),
)
@extend_schema(tags=["payments"])
class InsuranceFundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = InsuranceFundOutput
    policies = {"list": Staff(), "retrieve": Staff()}

    def get_queryset(self):
        return selectors.insurance_fund_list(actor=self.actor)


@extend_schema_view(
    list=extend_schema(
        summary="List medical insurance fund payments (staff), newest first",
        description="Without the orders each paid: a fund payment's detail lists its allocations.",
    ),
    retrieve=extend_schema(
        summary="Retrieve a fund payment with its allocations to orders (staff)",
        responses={200: FundPaymentDetailOutput},
    ),
)
@extend_schema(tags=["payments"])
class FundPaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = FundPaymentOutput
    pagination_class = NewestFirstCursorPagination
    filterset_class = FundPaymentFilter
    policies = {
        "list": Staff(),
        "retrieve": Staff(),
        "create": Staff(StaffRole.FINANCE_ADMIN),
        "reverse": Staff(StaffRole.FINANCE_ADMIN),
    }

    def get_queryset(self):
        payments = selectors.fund_payment_list(actor=self.actor)
        return payments if self.action == "list" else selectors.with_allocations(payments)

    def retrieve(self, request, *args, **kwargs):
        return self.respond(FundPaymentDetailOutput, self.get_object())

    @extend_schema(
        summary="Record a medical insurance fund payment (finance admin)",
        description="Writes the fund payment entry (platform bank Dr, the fund's receivable Cr) and allocates the "
        "amount to the fund's part of orders only: those whose numbers appear in `reference` first, then the "
        "oldest fund due date first. An order is paid when its buyer's part and the fund's part are both fully "
        "allocated; what is left stays as the fund's credit. Send an Idempotency-Key.",
        request=FundPaymentRecordInput,
        responses={201: FundPaymentDetailOutput, **problems(400, 403)},
        examples=[
            OpenApiExample(
                "Fund payment naming an order",
                request_only=True,
                value={
                    "fund_id": 1,
                    "amount": "980.00",
                    "value_date": "2027-01-31",
                    "reference": "PXF000001 医保结算 PX2026112900000042",
                },
            )
        ],
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        payment = fund_payment_record(actor=self.actor, **self.parse(FundPaymentRecordInput))
        return self.respond(
            FundPaymentDetailOutput, self.get_queryset().get(pk=payment.pk), status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Reverse a fund payment recorded in error (finance admin)",
        description="Posts the reversal of the payment's entry, releases its allocations (the fund's part of the "
        "orders it paid is open again, and so are the orders) and applies the fund's other credit to them. Refused "
        "with `payment_in_use` when an order it paid is on a supplier statement, for a credit note's fund credit or "
        "a payment partly refunded, "
        "and with `payment_from_bank_line` for a payment matched from a bank line (unmatch the line instead). A "
        "reversed payment is answered as it is. Send an Idempotency-Key.",
        request=RequiredReasonInput,
        responses={200: FundPaymentDetailOutput, **problems(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def reverse(self, request, pk=None):
        payment = fund_payment_reverse(payment=self.get_object(), actor=self.actor, **self.parse(RequiredReasonInput))
        return self.respond(FundPaymentDetailOutput, self.get_queryset().get(pk=payment.pk))
