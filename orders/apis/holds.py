"""Platform admins decide on orders held because a drug left the market (SPEC §4): release or cancel."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action

from api_docs.responses import problems
from orders import selectors, services
from orders.serializers import OrderOutput
from pharmex.api.etag import IF_MATCH_PARAMETER
from pharmex.api.permissions import Staff
from pharmex.api.serializers import NoteInput, RequiredNoteInput
from pharmex.api.views import ApiViewSet
from pharmex.choices import StaffRole
from pharmex.errors import NotFound

ADMIN = Staff(StaffRole.ADMIN)


@extend_schema(tags=["orders"])
class OrderHoldViewSet(ApiViewSet):
    """`/orders/{id}/release-hold/` and `/orders/{id}/cancel-held/`; find held orders with `GET /orders/?held=true`."""

    serializer_class = OrderOutput
    lookup_value_regex = r"\d+"
    policies = {"release_hold": ADMIN, "cancel_held": ADMIN}

    def get_queryset(self):
        return selectors.order_list(actor=self.actor)

    def _order(self):
        order = self.get_queryset().filter(pk=self.kwargs["pk"]).first()
        if order is None:
            raise NotFound()
        return self.if_match(order)

    def _respond(self, order):
        return self.respond(OrderOutput, self.get_queryset().get(pk=order.pk), etag=True)

    @extend_schema(
        summary="Release a held order (admin): it goes on",
        request=NoteInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: OrderOutput, **problems(409, 412)},
    )
    @action(detail=True, methods=["post"], url_path="release-hold")
    def release_hold(self, request, pk=None):
        return self._respond(
            services.order_hold_release(order=self._order(), actor=self.actor, **self.parse(NoteInput))
        )

    @extend_schema(
        summary="Cancel a held order (admin); its reservation goes back to stock",
        request=RequiredNoteInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: OrderOutput, **problems(409, 412)},
    )
    @action(detail=True, methods=["post"], url_path="cancel-held")
    def cancel_held(self, request, pk=None):
        return self._respond(
            services.order_hold_cancel(order=self._order(), actor=self.actor, **self.parse(RequiredNoteInput))
        )
