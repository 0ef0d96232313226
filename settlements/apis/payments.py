from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.actor import actor_from_request
from accounts.permissions import IsFinanceAdmin
from api_docs.responses import problems
from pharmex.api.filters import IntegerFilter, StrictFilterSet
from pharmex.api.idempotency import idempotent
from pharmex.api.pagination import NewestFirstCursorPagination
from settlements import selectors, services
from settlements.apis.common import ReadsMoney
from settlements.choices import PaymentSource
from settlements.models import Payment
from settlements.serializers import PaymentOutput, PaymentRecordInput


class PaymentFilter(StrictFilterSet):
    buyer = IntegerFilter()
    source = filters.ChoiceFilter(choices=PaymentSource.choices)

    class Meta:
        model = Payment
        fields = ["buyer", "source"]


@extend_schema_view(
    list=extend_schema(summary="List buyer payments (a buyer: its own; staff: all), newest first"),
    retrieve=extend_schema(summary="Retrieve a payment with its allocations to orders"),
)
@extend_schema(tags=["payments"])
class PaymentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = PaymentOutput
    pagination_class = NewestFirstCursorPagination
    filterset_class = PaymentFilter

    def get_queryset(self):
        return selectors.payment_list(actor=actor_from_request(self.request))

    def get_permissions(self):
        if self.action == "create":
            return [IsAuthenticated(), IsFinanceAdmin()]
        return [IsAuthenticated(), ReadsMoney()]

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
        data = PaymentRecordInput(data=request.data)
        data.is_valid(raise_exception=True)
        payment = services.payment_record(actor=actor_from_request(request).audit, **data.validated_data)
        payment = self.get_queryset().get(pk=payment.pk)
        return Response(PaymentOutput(payment).data, status=status.HTTP_201_CREATED)
