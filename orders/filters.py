"""FilterSets of the orders lists (STYLE G18)."""

from __future__ import annotations

from django_filters import rest_framework as filters

from orders.choices import DiversionKind, DiversionStatus, OrderStatus, ShipmentStatus, Side
from orders.models import Order, Shipment, SuspectedDiversion
from orders.selectors import order_side_q
from pharmex.actor import actor_from_request
from pharmex.api.filters import StrictFilterSet


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

    class Meta(StrictFilterSet.Meta):
        model = Order
        fields = ["status", "number"]

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
