from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.actor import actor_from_request
from accounts.choices import MemberRole
from accounts.permissions import member_with_role, staff_or_member_with_role
from api_docs.responses import problems
from orders import selectors, services
from orders.choices import OrderStatus
from orders.compliance import LineRequest
from orders.models import Order
from orders.serializers import (
    OrderEventOutput,
    OrderOutput,
    OrderPlaceInput,
    ReceiveInput,
    ReceiveOutput,
    ShipInput,
)
from pharmex.api.etag import IF_MATCH_PARAMETER, check_if_match, with_etag
from pharmex.api.filters import StrictFilterSet
from pharmex.api.idempotency import idempotent
from pharmex.api.pagination import NewestFirstCursorPagination
from pharmex.api.serializers import NoteInput, RequiredNoteInput

ACTING_ROLES = (MemberRole.OWNER, MemberRole.OPERATOR)


class OrderFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=OrderStatus.choices)
    number = filters.CharFilter()
    placed_after = filters.IsoDateTimeFilter(field_name="placed_at", lookup_expr="gte")
    placed_before = filters.IsoDateTimeFilter(field_name="placed_at", lookup_expr="lt")
    role = filters.ChoiceFilter(
        choices=[("buyer", "buyer"), ("supplier", "supplier")],
        method="filter_role",
        help_text="Only the orders where your organisation is the buyer, or the supplier.",
    )

    class Meta:
        model = Order
        fields = ["status", "number"]

    def filter_role(self, queryset, name, value):
        organization = actor_from_request(self.request).organization
        if organization is None:
            return queryset
        return queryset.filter(**{value: organization})


def lines_from(data: dict) -> list[LineRequest]:
    return [LineRequest(offer_id=line["offer_id"], quantity=line["quantity"]) for line in data["lines"]]


@extend_schema_view(
    list=extend_schema(summary="List orders (as buyer or supplier; staff: all), newest first"),
    retrieve=extend_schema(summary="Retrieve an order with its lines"),
)
@extend_schema(tags=["orders"])
class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = OrderOutput
    pagination_class = NewestFirstCursorPagination
    filterset_class = OrderFilter

    def get_queryset(self):
        return selectors.order_list(actor=actor_from_request(self.request))

    def get_permissions(self):
        if self.action in ("create", "confirm", "reject", "cancel", "ship", "receive"):
            return [IsAuthenticated(), member_with_role(*ACTING_ROLES)()]
        return [IsAuthenticated(), staff_or_member_with_role(*MemberRole.values)()]

    def retrieve(self, request, *args, **kwargs):
        order = self.get_object()
        return with_etag(Response(OrderOutput(order).data), order)

    @extend_schema(
        summary="Place an order with one supplier",
        description="Every line passes the compliance gate (all failing reasons are reported at once, "
        "each with a code) and stock is reserved in the same transaction. Send an Idempotency-Key.",
        request=OrderPlaceInput,
        responses={201: OrderOutput, **problems(409)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = OrderPlaceInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_place(
            actor=actor_from_request(request), lines=lines_from(data.validated_data), note=data.validated_data["note"]
        )
        return with_etag(Response(OrderOutput(order).data, status=status.HTTP_201_CREATED), order)

    def _party_order(self, side: str) -> Order:
        order = self.get_object()  # 404 unless a party (or staff)
        organization = actor_from_request(self.request).organization
        if organization is None or getattr(order, f"{side}_id") != organization.pk:
            raise PermissionDenied(f"Only the {side} may do this.")
        check_if_match(self.request, order)
        return order

    def _respond(self, order: Order) -> Response:
        order = self.get_queryset().get(pk=order.pk)
        return with_etag(Response(OrderOutput(order).data), order)

    @extend_schema(
        summary="Confirm a placed order (supplier)",
        request=NoteInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: OrderOutput, **problems(409, 412)},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        order = self._party_order("supplier")
        data = NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_confirm(order=order, actor=actor_from_request(request), note=data.validated_data["note"])
        return self._respond(order)

    @extend_schema(
        summary="Reject a placed order with a reason (supplier)",
        request=RequiredNoteInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: OrderOutput, **problems(409, 412)},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        order = self._party_order("supplier")
        data = RequiredNoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_reject(order=order, actor=actor_from_request(request), note=data.validated_data["note"])
        return self._respond(order)

    @extend_schema(
        summary="Cancel a placed order (buyer)",
        request=NoteInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: OrderOutput, **problems(409, 412)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        order = self._party_order("buyer")
        data = NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_cancel(order=order, actor=actor_from_request(request), note=data.validated_data["note"])
        return self._respond(order)

    @extend_schema(
        summary="Ship a confirmed order (supplier)",
        description="Lots, expiry dates (at least the buyer's minimum remaining shelf life), quantities (a short "
        "quantity returns to stock) and traceability codes. A code already shipped on the platform refuses "
        "the shipment and is flagged as suspected counterfeit or diversion.",
        request=ShipInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: OrderOutput, **problems(409, 412)},
    )
    @action(detail=True, methods=["post"])
    def ship(self, request, pk=None):
        order = self._party_order("supplier")
        data = ShipInput(data=request.data)
        data.is_valid(raise_exception=True)
        order = services.order_ship(order=order, actor=actor_from_request(request), data=data.validated_data)
        return self._respond(order)

    @extend_schema(
        summary="Receive a shipped order (buyer): accepted and rejected per line",
        description="Accepted + rejected must equal the shipped quantity of each line, with a reason for any "
        "rejection. Send the traceability codes you scanned to get the difference back.",
        request=ReceiveInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: ReceiveOutput, **problems(409, 412)},
    )
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        order = self._party_order("buyer")
        data = ReceiveInput(data=request.data)
        data.is_valid(raise_exception=True)
        order, difference = services.order_receive(
            order=order,
            actor=actor_from_request(request),
            lines=data.validated_data["lines"],
            scanned_codes=data.validated_data["scanned_codes"],
            note=data.validated_data["note"],
        )
        order = self.get_queryset().get(pk=order.pk)
        return with_etag(Response(ReceiveOutput({"order": order, "scan_difference": difference}).data), order)

    @extend_schema(
        summary="The order's history: every transition with actor, time and note",
        responses={200: OrderEventOutput(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=NewestFirstCursorPagination, filterset_class=None)
    def events(self, request, pk=None):
        events = selectors.order_events(order=self.get_object())
        page = self.paginate_queryset(events)
        return self.get_paginated_response(OrderEventOutput(page, many=True).data)
