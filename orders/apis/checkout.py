from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.actor import actor_from_request
from accounts.choices import MemberRole
from accounts.permissions import member_with_role
from api_docs.responses import problems
from orders import services
from orders.apis.orders import ACTING_ROLES, lines_from
from orders.serializers import CheckoutOutput, OrderPlaceInput, PreviewOutput
from pharmex.api.idempotency import idempotent
from pharmex.money import CURRENCY, money_sum


class CheckoutApi(APIView):
    permission_classes = [IsAuthenticated, member_with_role(*ACTING_ROLES)]

    @extend_schema(
        tags=["orders"],
        summary="Check out a cart across suppliers: one order per supplier, all or nothing",
        request=OrderPlaceInput,
        responses={201: CheckoutOutput, **problems(409)},
    )
    @idempotent
    def post(self, request):
        data = OrderPlaceInput(data=request.data)
        data.is_valid(raise_exception=True)
        actor = actor_from_request(request)
        orders = services.checkout_place(
            actor=actor, lines=lines_from(data.validated_data), note=data.validated_data["note"]
        )
        body = {"checkout_id": orders[0].checkout_id, "orders": orders}
        return Response(CheckoutOutput(body).data, status=status.HTTP_201_CREATED)


class CheckoutPreviewApi(APIView):
    permission_classes = [IsAuthenticated, member_with_role(*MemberRole.values)]

    @extend_schema(
        tags=["orders"],
        summary="Preview a cart: prices, taxes, totals and eligibility per line; places nothing",
        request=OrderPlaceInput,
        responses={200: PreviewOutput},
    )
    def post(self, request):
        data = OrderPlaceInput(data=request.data)
        data.is_valid(raise_exception=True)
        preview = services.checkout_preview(actor=actor_from_request(request), lines=lines_from(data.validated_data))
        result = preview.result
        lines = [
            {
                "index": v.index,
                "offer_id": v.request.offer_id,
                "quantity": v.request.quantity,
                "supplier_id": v.offer.supplier_id if v.offer else None,
                "unit_price": v.offer.unit_price if v.offer else None,
                "vat_rate": v.offer.vat_rate if v.offer else None,
                "gross": v.gross,
                "tax": v.tax,
                "eligible": v.eligible,
                "reasons": [r.as_error() for r in v.reasons],
            }
            for v in result.lines
        ]
        body = {
            "eligible": result.eligible,
            "currency": CURRENCY,
            "total_gross": money_sum(v.gross for v in result.lines if v.gross is not None),
            "total_tax": money_sum(v.tax for v in result.lines if v.tax is not None),
            "reasons": [r.as_error() for r in result.order_reasons],
            "lines": lines,
            "orders": [
                {
                    "supplier_id": supplier_id,
                    "total_gross": money_sum(v.gross for v in verdicts),
                    "total_tax": money_sum(v.tax for v in verdicts),
                }
                for supplier_id, verdicts in sorted(preview.groups.items())
            ],
        }
        return Response(PreviewOutput(body).data)
