from drf_spectacular.utils import extend_schema
from rest_framework import status

from accounts.choices import MemberRole
from api_docs.responses import problems
from orders import services
from orders.apis.orders import ACTING, lines_from
from orders.serializers import CheckoutOutput, OrderPlaceInput, PreviewOutput, preview_body
from pharmex.api.idempotency import idempotent
from pharmex.api.permissions import Members
from pharmex.api.views import ApiView


class CheckoutApi(ApiView):
    policies = {"post": ACTING}

    @extend_schema(
        tags=["orders"],
        summary="Check out a cart across suppliers: one order per supplier, all or nothing",
        request=OrderPlaceInput,
        responses={201: CheckoutOutput, **problems(409)},
    )
    @idempotent
    def post(self, request):
        data = self.parse(OrderPlaceInput)
        orders = services.checkout_place(actor=self.actor, lines=lines_from(data), note=data["note"])
        body = {"checkout_id": orders[0].checkout_id, "orders": orders}
        return self.respond(CheckoutOutput, body, status=status.HTTP_201_CREATED)


class CheckoutPreviewApi(ApiView):
    policies = {"post": Members(*MemberRole.values)}

    @extend_schema(
        tags=["orders"],
        summary="Preview a cart: prices, taxes, totals and eligibility per line; places nothing",
        request=OrderPlaceInput,
        responses={200: PreviewOutput},
    )
    def post(self, request):
        preview = services.checkout_preview(actor=self.actor, lines=lines_from(self.parse(OrderPlaceInput)))
        return self.respond(PreviewOutput, preview_body(preview))
