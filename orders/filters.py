"""FilterSets of the orders lists (STYLE G18)."""

from __future__ import annotations

from django.db.models import Q
from django_filters import rest_framework as filters

from orders.choices import (
    OPEN_ORDER_STATUSES,
    DiversionKind,
    DiversionStatus,
    HoldStatus,
    OrderStatus,
    ShipmentStatus,
    Side,
)
from orders.models import Order, Shipment, SuspectedDiversion
from orders.selectors import order_side_q
from pharmex.actor import actor_from_request
from pharmex.api.filters import BooleanFilter, StrictFilterSet


class OrderFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=OrderStatus.choices)
    number = filters.CharFilter()
    placed_after = filters.IsoDateTimeFilter(field_name="placed_at", lookup_expr="gte")
    placed_before = filters.IsoDateTimeFilter(field_name="placed_at", lookup_expr="lt")
    role = filters.ChoiceFilter(
        choices=[(Side.BUYER.value, "buyer"), (Side.SUPPLIER.value, "supplier")],
        method="filter_role",
        help_text="Only the orders where your organisation is the buyer, or the supplier.",
    )

    held = BooleanFilter(
        method="filter_held",
        help_text="true: only the open orders held because a drug left the market (the admins' queue); false: the "
        "others.",
    )

    class Meta(StrictFilterSet.Meta):
        model = Order
        fields = ["status", "number"]

    def filter_held(self, queryset, name, value):
        if value is None:
            return queryset
        # An order that ended while held (cancelled by its buyer, expired) needs no decision any more.
        held = Q(hold_status=HoldStatus.HELD, status__in=OPEN_ORDER_STATUSES)
        return queryset.filter(held) if value else queryset.exclude(held)

    def filter_role(self, queryset, name, value):
        return queryset.filter(order_side_q(actor=actor_from_request(self.request), side=value))


class ShipmentFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=ShipmentStatus.choices)
    order = filters.NumberFilter(field_name="order_id")
    shipped_after = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    shipped_before = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    received_after = filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    received_before = filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="lt")
    role = filters.ChoiceFilter(
        choices=[(Side.BUYER.value, "buyer"), (Side.SUPPLIER.value, "supplier")],
        method="filter_role",
        help_text="Only the shipments your organisation received, or sent.",
    )

    class Meta(StrictFilterSet.Meta):
        model = Shipment
        fields = ["status"]

    def filter_role(self, queryset, name, value):
        return queryset.filter(order_side_q(actor=actor_from_request(self.request), side=value))


class DiversionFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=DiversionStatus.choices)
    kind = filters.ChoiceFilter(choices=DiversionKind.choices)
    code = filters.CharFilter()

    class Meta(StrictFilterSet.Meta):
        model = SuspectedDiversion
        fields = ["status", "kind", "code"]
