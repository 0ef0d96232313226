from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status

from api_docs.responses import problems
from pharmex.api.idempotency import idempotent
from pharmex.api.pagination import NewestFirstCursorPagination
from pharmex.api.permissions import Staff
from pharmex.api.views import ApiViewSet
from pharmex.choices import StaffRole
from settlements import selectors, services
from settlements.apis.common import READS_MONEY
from settlements.filters import PaymentFilter
from settlements.serializers import PaymentOutput, PaymentRecordInput


@extend_schema_view(
    list=extend_schema(summary="List buyer payments (a buyer: its own; staff: all), newest first"),
    retrieve=extend_schema(summary="Retrieve a payment with its allocations to orders"),
)
@extend_schema(tags=["payments"])
class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = PaymentOutput
    pagination_class = NewestFirstCursorPagination
    filterset_class = PaymentFilter
    policies = {"list": READS_MONEY, "retrieve": READS_MONEY, "create": Staff(StaffRole.FINANCE_ADMIN)}

    def get_queryset(self):
        return selectors.payment_list(actor=self.actor)

    @extend_schema(
        summary="Record a buyer payment (finance admin)",
        description="Writes the payment entry (platform bank Dr, buyer receivable Cr) and allocates the amount to "
        "the buyer's orders: those whose numbers appear in `reference` first, then the oldest due first. An order "
        "is paid when fully allocated; what is left stays as the buyer's credit. Send an Idempotency-Key.",
        request=PaymentRecordInput,
        responses={201: PaymentOutput, **problems(400, 403)},
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
        return self.respond(PaymentOutput, self.get_queryset().get(pk=payment.pk), status=status.HTTP_201_CREATED)
