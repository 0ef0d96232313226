"""FilterSets of the orders lists (STYLE G18)."""

from __future__ import annotations

from django_filters import rest_framework as filters

from orders.choices import OrderStatus, Side
from orders.models import Order
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
