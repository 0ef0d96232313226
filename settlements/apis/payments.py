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
from settlements import selectors, services
from settlements.apis.common import READS_MONEY
from settlements.filters import PaymentFilter
from settlements.serializers import PaymentDetailOutput, PaymentOutput, PaymentRecordInput


@extend_schema_view(
    list=extend_schema(
        summary="List buyer payments (a buyer: its own; staff: all), newest first",
        description="Without the orders each paid: a payment's detail lists its allocations.",
    ),
    retrieve=extend_schema(
        summary="Retrieve a payment with its allocations to orders", responses={200: PaymentDetailOutput}
    ),
)
@extend_schema(tags=["payments"])
class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = PaymentOutput
    pagination_class = NewestFirstCursorPagination
    filterset_class = PaymentFilter
    policies = {
        "list": READS_MONEY,
        "retrieve": READS_MONEY,
        "create": Staff(StaffRole.FINANCE_ADMIN),
        "reverse": Staff(StaffRole.FINANCE_ADMIN),
    }

    def get_queryset(self):
        payments = selectors.payment_list(actor=self.actor)
        return payments if self.action == "list" else selectors.with_allocations(payments)

    def retrieve(self, request, *args, **kwargs):
        return self.respond(PaymentDetailOutput, self.get_object())

    @extend_schema(
        summary="Record a buyer payment (finance admin)",
        description="Writes the payment entry (platform bank Dr, buyer receivable Cr) and allocates the amount to "
        "the buyer's orders: those whose numbers appear in `reference` first, then the oldest due first. An order "
        "is paid when fully allocated; what is left stays as the buyer's credit. Send an Idempotency-Key.",
        request=PaymentRecordInput,
        responses={201: PaymentDetailOutput, **problems(400, 403)},
        examples=[
            OpenApiExample(
                "Payment naming an order",
                request_only=True,
                value={
                    "buyer_id": 12,
                    "amount": "1235.00",
                    "value_date": "2026-11-30",
                    "reference": "货款 PX2026112900000042",
                },
            )
        ],
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        payment = services.payment_record(actor=self.actor, **self.parse(PaymentRecordInput))
        return self.respond(PaymentDetailOutput, self.get_queryset().get(pk=payment.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Reverse a payment recorded in error (finance admin)",
        description="Posts the reversal of the payment's entry, releases its allocations (the orders it paid are "
        "unpaid again) and applies the buyer's other credit to them. Refused with `payment_in_use` when an order it "
        "paid is on a supplier statement, or for a credit note or a payment partly refunded, and with "
        "`payment_from_bank_line` for a payment matched from a bank line (unmatch the line instead). A reversed "
        "payment is answered as it is. Send an Idempotency-Key.",
        request=RequiredReasonInput,
        responses={200: PaymentDetailOutput, **problems(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def reverse(self, request, pk=None):
        payment = services.payment_reverse(
            payment=self.get_object(), actor=self.actor, **self.parse(RequiredReasonInput)
        )
        return self.respond(PaymentDetailOutput, self.get_queryset().get(pk=payment.pk))
