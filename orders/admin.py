from django.contrib import admin

from orders.models import Order, OrderEvent, OrderLine, Recall, Shipment, ShipmentLine, SuspectedDiversion
from pharmex.admin import ReadOnlyAdmin, ReadOnlyInline


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = [
        "line_no",
        "drug_name",
        "specification",
        "unit_price",
        "quantity",
        "shipped_quantity",
        "accepted_quantity",
        "rejected_quantity",
        "line_gross",
    ]


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["created_at", "action", "from_status", "to_status", "actor", "note"]


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    """Orders change state only through the API services (audited, rule-checked): read-only here."""

    list_display = ["number", "status", "hold_status", "buyer", "supplier", "total_gross", "placed_at", "overdue_at"]
    list_filter = ["status", "hold_status"]
    search_fields = ["number", "buyer__legal_name", "supplier__legal_name"]
    list_select_related = ["buyer", "supplier"]
    inlines = [OrderLineInline, OrderEventInline]


class ShipmentLineInline(ReadOnlyInline):
    model = ShipmentLine
    fields = ["order_line", "lot_number", "expiry_date", "quantity"]


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdmin):
    list_display = ["order", "carrier", "tracking_number", "invoice_amount", "created_at"]
    search_fields = ["order__number", "tracking_number"]
    inlines = [ShipmentLineInline]


@admin.register(Recall)
class RecallAdmin(ReadOnlyAdmin):
    list_display = ["drug", "level", "lots", "issued_by", "created_at"]
    list_filter = ["level"]


@admin.register(SuspectedDiversion)
class SuspectedDiversionAdmin(ReadOnlyAdmin):
    list_display = ["code", "attempted_order", "attempted_by", "created_at"]
    search_fields = ["code"]
