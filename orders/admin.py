from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from accounts.actor import actor_for_user
from orders.choices import DiversionStatus
from orders.models import (
    CustodyHop,
    Order,
    OrderEvent,
    OrderLine,
    Recall,
    Shipment,
    ShipmentLine,
    SuspectedDiversion,
    TraceCode,
)
from orders.services import diversion_resolve
from orders.trace_codes import canonical
from pharmex.admin import ReadOnlyAdmin, ReadOnlyInline, ask_reason


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = [
        "line_no",
        "drug_name",
        "specification",
        "unit_price",
        "quantity",
        "requested_quantity",
        "confirmation",
        "confirmation_reason",
        "shipped_quantity",
        "closed_quantity",
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
    indexed_search_fields = ["number", "buyer__legal_name__icontains", "supplier__legal_name__icontains"]
    search_help_text = _("A whole order number, or part of the buyer's or supplier's name.")
    list_select_related = ["buyer", "supplier"]
    inlines = [OrderLineInline, OrderEventInline]

    def get_search_results(self, request, queryset, search_term):
        # Numbers are upper case; a name matches in any case.
        return super().get_search_results(request, queryset, search_term.upper())


class ShipmentLineInline(ReadOnlyInline):
    model = ShipmentLine
    fields = ["order_line", "lot_number", "expiry_date", "quantity", "accepted_quantity", "rejected_quantity"]


@admin.register(Shipment)
class ShipmentAdmin(ReadOnlyAdmin):
    list_display = [
        "order",
        "sequence",
        "status",
        "carrier",
        "tracking_number",
        "gross",
        "temperature_flag",
        "created_at",
    ]
    list_filter = ["status", "temperature_flag"]
    indexed_search_fields = ["order__number", "tracking_number", "invoice_numbers__contains"]
    search_help_text = _("A whole order number, tracking number or invoice number.")
    list_select_related = ["order"]
    inlines = [ShipmentLineInline]


class CodeHopsFormSet(BaseInlineFormSet):
    """A code's hops read from the months between its first hop and its last, as the API's trace lookup reads them."""

    def __init__(self, *args, instance=None, queryset=None, **kwargs):
        if instance is not None and instance.pk is not None:
            queryset = (CustodyHop.objects.all() if queryset is None else queryset).of_code(instance)
        super().__init__(*args, instance=instance, queryset=queryset, **kwargs)


class CustodyHopInline(ReadOnlyInline):
    model = CustodyHop
    formset = CodeHopsFormSet
    fields = ["shipped_at", "from_organization", "to_organization", "order", "shipment", "outcome", "settled_at"]


@admin.register(TraceCode)
class TraceCodeAdmin(ReadOnlyAdmin):
    """A code and its custody chain (every hop), for investigating suspected diversions."""

    list_display = ["code", "kind", "drug", "lot_number", "holder", "shipment", "is_case"]
    list_filter = ["kind", "is_case"]
    indexed_search_fields = ["code"]
    search_help_text = _("A whole code, as scanned or typed.")
    list_select_related = ["drug", "holder", "shipment"]
    inlines = [CustodyHopInline]

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, canonical(search_term))


@admin.register(Recall)
class RecallAdmin(ReadOnlyAdmin):
    list_display = ["drug", "level", "lots", "issued_by", "created_at"]
    list_filter = ["level"]


@admin.register(SuspectedDiversion)
class SuspectedDiversionAdmin(ReadOnlyAdmin):
    """Codes someone tried to ship without holding them: the review queue of suspected 回流/串货."""

    list_display = [
        "code",
        "kind",
        "status",
        "attempted_by_organization",
        "expected_holder",
        "attempted_order",
        "created_at",
    ]
    list_filter = ["status", "kind"]
    indexed_search_fields = ["code", "attempted_order__number"]
    search_help_text = _("A whole code or the whole number of the order it was refused on.")
    list_select_related = ["attempted_by_organization", "expected_holder", "attempted_order"]
    actions = ["confirm_selected", "dismiss_selected"]

    @admin.action(description=_("Confirm as diversion or counterfeit, with a note (audited)"))
    def confirm_selected(self, request, queryset):
        return self._resolve(request, queryset, DiversionStatus.CONFIRMED, _("Confirm suspected diversions"))

    @admin.action(description=_("Dismiss as explained, with a note (audited)"))
    def dismiss_selected(self, request, queryset):
        return self._resolve(request, queryset, DiversionStatus.DISMISSED, _("Dismiss suspected diversions"))

    def _resolve(self, request, queryset, outcome: str, title: str):
        # The API asks a note with each decision (what was found, who was told): so does the admin site.
        actor = actor_for_user(request.user)
        return ask_reason(
            self,
            request,
            queryset.filter(status=DiversionStatus.OPEN).order_by("pk"),
            title=title,
            decide=lambda flag, data: diversion_resolve(flag=flag, actor=actor, outcome=outcome, note=data["reason"]),
        )
