"""The admin site's procurement pages: designations, negotiated prices and quotes to read; 集采 contracts to load
(the API's `POST /procurement-contracts/` does the same with its checks)."""

from __future__ import annotations

from django.contrib import admin

from accounts.actor import actor_for_user
from pharmex.audit import audit_record
from procurement.models import (
    ContractPrice,
    ContractVolume,
    DeliveryDesignation,
    DeliveryDesignationChange,
    ProcurementContract,
    Quote,
    QuoteChange,
)


class ReadOnly(admin.ModelAdmin):
    """Changes go through the API's services (checked, audited, their history kept)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class DesignationChangeInline(admin.TabularInline):
    model = DeliveryDesignationChange
    extra = 0
    can_delete = False
    fields = readonly_fields = ["created_at", "action", "from_status", "to_status", "actor", "note"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DeliveryDesignation)
class DeliveryDesignationAdmin(ReadOnly):
    list_display = ["id", "drug", "manufacturer", "distributor", "valid_from", "valid_until", "status"]
    list_filter = ["status"]
    search_fields = ["drug__generic_name", "manufacturer__legal_name", "distributor__legal_name"]
    list_select_related = ["drug", "manufacturer", "distributor"]
    inlines = [DesignationChangeInline]


@admin.register(ContractPrice)
class ContractPriceAdmin(ReadOnly):
    list_display = ["id", "drug", "supplier", "buyer", "unit_price", "valid_from", "valid_until"]
    search_fields = ["drug__generic_name", "supplier__legal_name", "buyer__legal_name"]
    list_select_related = ["drug", "supplier", "buyer"]


class QuoteChangeInline(DesignationChangeInline):
    model = QuoteChange


@admin.register(Quote)
class QuoteAdmin(ReadOnly):
    list_display = ["id", "request", "supplier", "status", "unit_price", "valid_until", "order"]
    list_filter = ["status"]
    list_select_related = ["request", "supplier", "order"]
    inlines = [QuoteChangeInline]


class VolumeInline(admin.TabularInline):
    model = ContractVolume
    extra = 3
    autocomplete_fields = ["institution"]


@admin.register(ProcurementContract)
class ProcurementContractAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "programme",
        "drug",
        "supplier",
        "agreed_price",
        "valid_from",
        "valid_until",
        "settlement_fund",
    ]
    list_filter = ["settlement_fund"]
    search_fields = ["programme", "drug__generic_name", "supplier__legal_name"]
    list_select_related = ["drug", "supplier", "settlement_fund"]
    autocomplete_fields = ["drug", "supplier"]
    inlines = [VolumeInline]

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        contract = form.instance
        audit_record(
            actor=actor_for_user(request.user).audit,
            action="procurement_contract.changed" if change else "procurement_contract.created",
            object_type="procurement_contract",
            object_id=contract.pk,
            organization_id=contract.supplier_id,
            changes={
                "programme": contract.programme,
                "agreed_price": contract.agreed_price,
                "period": [contract.valid_from, contract.valid_until],
                "settlement_fund": contract.settlement_fund_id,
                "volumes": [[v.institution_id, v.annual_volume] for v in contract.volumes.all()],
            },
        )
