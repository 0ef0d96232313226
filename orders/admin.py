from django.contrib import admin

from orders.models import Order, OrderEvent, OrderLine, Recall, Shipment, ShipmentLine, SuspectedDiversion


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


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
class OrderAdmin(admin.ModelAdmin):
    """Orders change state only through the API services (audited, rule-checked): read-only here."""

    list_display = ["number", "status", "buyer", "supplier", "total_gross", "placed_at", "overdue_at"]
    list_filter = ["status"]
    search_fields = ["number", "buyer__legal_name", "supplier__legal_name"]
    list_select_related = ["buyer", "supplier"]
    inlines = [OrderLineInline, OrderEventInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ShipmentLineInline(ReadOnlyInline):
    model = ShipmentLine
    fields = ["order_line", "lot_number", "expiry_date", "quantity"]


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["order", "carrier", "tracking_number", "invoice_amount", "created_at"]
    search_fields = ["order__number", "tracking_number"]
    inlines = [ShipmentLineInline]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Recall)
class RecallAdmin(admin.ModelAdmin):
    list_display = ["drug", "level", "lots", "issued_by", "created_at"]
    list_filter = ["level"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SuspectedDiversion)
class SuspectedDiversionAdmin(admin.ModelAdmin):
    list_display = ["code", "attempted_order", "attempted_by", "created_at"]
    search_fields = ["code"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False
