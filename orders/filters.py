"""FilterSets of the orders lists (STYLE G18)."""

from __future__ import annotations

from django_filters import rest_framework as filters

from orders.choices import HoldStatus, OrderStatus, Side
from orders.models import Order
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
        help_text="true: only the orders held because a drug left the market (the admins' queue); false: the others.",
    )

    class Meta(StrictFilterSet.Meta):
        model = Order
        fields = ["status", "number"]

    def filter_held(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(hold_status=HoldStatus.HELD) if value else queryset.exclude(hold_status=HoldStatus.HELD)

    def filter_role(self, queryset, name, value):
        return queryset.filter(order_side_q(actor=actor_from_request(self.request), side=value))
