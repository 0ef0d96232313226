"""The admin site's procurement pages: designations, negotiated prices and quotes to read; 集采 contracts to load
(the API's `POST /procurement-contracts/` does the same with its checks); sole sales companies to verify, the
first invoices shippers recorded, and the remote areas of the two-invoice chain to set."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.actor import actor_for_user
from pharmex.admin import AuditedAdmin, ask_reason, decide_each
from pharmex.audit import audit_record
from procurement.choices import SoleSellerStatus
from procurement.models import (
    ContractPrice,
    ContractVolume,
    DeliveryDesignation,
    DeliveryDesignationChange,
    ProcurementContract,
    Quote,
    QuoteChange,
    RemoteArea,
    SoleSeller,
    SoleSellerChange,
    UpstreamInvoice,
)
from procurement.services import sole_seller_reject, sole_seller_revoke, sole_seller_verify


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
    list_display = ["id", "programme", "drug", "supplier", "agreed_price", "valid_from", "valid_until"]
    search_fields = ["programme", "drug__generic_name", "supplier__legal_name"]
    list_select_related = ["drug", "supplier"]
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
                "volumes": [[v.institution_id, v.annual_volume] for v in contract.volumes.all()],
            },
        )


class SoleSellerChangeInline(DesignationChangeInline):
    model = SoleSellerChange


@admin.register(SoleSeller)
class SoleSellerAdmin(ReadOnly):
    """Registered through the API (`POST /sole-sellers/`, by the manufacturer or an admin for it); verified here or
    through the API's `verify`, by the same audited transition."""

    list_display = ["id", "seller_name", "seller_uscc", "kind", "manufacturer", "drug", "status", "verified_at"]
    list_filter = ["status", "kind"]
    search_fields = ["seller_name", "seller_uscc", "manufacturer__legal_name", "drug__generic_name"]
    list_select_related = ["manufacturer", "drug"]
    inlines = [SoleSellerChangeInline]
    actions = ["verify_selected", "reject_selected", "revoke_selected"]

    @admin.action(description=_("Verify the selected sole sales companies / national agents (audited)"))
    def verify_selected(self, request, queryset):
        actor = actor_for_user(request.user)
        pending = queryset.filter(status=SoleSellerStatus.PENDING).order_by("pk")
        decide_each(self, request, pending, lambda seller: sole_seller_verify(actor=actor, sole_seller=seller))

    @admin.action(description=_("Reject the selected registrations, with a reason (audited)"))
    def reject_selected(self, request, queryset):
        actor = actor_for_user(request.user)
        return ask_reason(
            self,
            request,
            queryset.filter(status=SoleSellerStatus.PENDING).order_by("pk"),
            title=_("Reject sole sales company registrations"),
            decide=lambda seller, data: sole_seller_reject(actor=actor, sole_seller=seller, note=data["reason"]),
        )

    @admin.action(description=_("Revoke the selected registrations, with a reason (audited)"))
    def revoke_selected(self, request, queryset):
        actor = actor_for_user(request.user)
        return ask_reason(
            self,
            request,
            queryset.filter(status__in=[SoleSellerStatus.PENDING, SoleSellerStatus.VERIFIED]).order_by("pk"),
            title=_("Revoke sole sales company registrations"),
            decide=lambda seller, data: sole_seller_revoke(actor=actor, sole_seller=seller, note=data["reason"]),
        )


@admin.register(UpstreamInvoice)
class UpstreamInvoiceAdmin(ReadOnly):
    list_display = ["id", "number", "issue_date", "amount", "issuer_name", "recipient_name", "shipment"]
    search_fields = ["number", "issuer_name", "issuer_uscc", "recipient_name", "recipient_uscc"]
    list_select_related = ["shipment"]


@admin.register(RemoteArea)
class RemoteAreaAdmin(AuditedAdmin):
    """Where a public institution may receive through one more invoice than the two-invoice chain allows."""

    audit_object_type = "remote_area"
    list_display = ["code", "note", "created_at"]
    search_fields = ["code", "note"]
    readonly_fields = ["created_at"]
