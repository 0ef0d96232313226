from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.actor import actor_for_user
from catalog.choices import DrugStatus
from catalog.hainan_admin import CustomsChangeInline, stamp_value_added_verification
from catalog.models import CeilingPrice, Drug, ImportJob, Offer, OfferPriceChange, SimplifiedVatElection
from catalog.services import drug_approve, drug_update, drug_withdraw
from pharmex.admin import AuditedAdmin, PharmexAdmin, ReadOnlyAdmin, ReadOnlyInline, ask_reason
from pharmex.errors import DomainError


class CeilingPriceInline(ReadOnlyInline):
    """Ceiling periods, newest first; set through POST /drugs/{id}/ceiling-prices/ (kept as history)."""

    model = CeilingPrice
    fields = ["price", "effective_from", "effective_until", "set_by", "note", "created_at"]
    readonly_fields = fields
    ordering = ["-effective_from"]


@admin.register(Drug)
class DrugAdmin(AuditedAdmin):
    """Also the review queue: filter by status "Pending review" and approve in bulk.

    A change goes through the same service as the API (drug_update): audited, and a drug reclassified into a banned
    class or whose registration expired leaves the market at once.
    """

    audit_object_type = "drug"
    list_display = ["generic_name", "brand_name", "approval_number", "specification", "package", "drug_type", "status"]
    list_filter = ["status", "drug_type", "category", "special_class", "restricted_class", "storage", "dosage_form"]
    search_fields = ["generic_name", "brand_name", "approval_number", "national_drug_code", "gtin"]
    readonly_fields = ["status", "approval_format", "generic_initials", "brand_initials", "reviewed_at", "proposed_by",
                       "market_exit_at", "market_exit_reason", "created_at"]  # fmt: skip
    actions = ["approve_selected", "withdraw_selected"]
    inlines = [CeilingPriceInline]

    def audit_organization_id(self, obj: Drug) -> int | None:
        return None

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        data = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
        drug_update(drug=obj, actor=actor_for_user(request.user), data=data)

    @admin.action(description=_("Approve the selected drugs (audited)"))
    def approve_selected(self, request, queryset):
        actor = actor_for_user(request.user)
        approved = 0
        for drug in queryset.exclude(status=DrugStatus.ACTIVE):
            try:
                drug_approve(drug=drug, actor=actor, note="approved in the admin site")
                approved += 1
            except DomainError as error:
                self.message_user(request, f"{drug}: {error.detail}", messages.WARNING)
        self.message_user(
            request, ngettext("%(count)d drug approved.", "%(count)d drugs approved.", approved) % {"count": approved}
        )

    @admin.action(description=_("Reject or withdraw the selected drugs, with a reason (audited)"))
    def withdraw_selected(self, request, queryset):
        actor = actor_for_user(request.user)
        return ask_reason(
            self,
            request,
            queryset.exclude(status=DrugStatus.WITHDRAWN).order_by("pk"),
            title=_("Reject or withdraw drugs"),
            decide=lambda drug, data: drug_withdraw(drug=drug, actor=actor, note=data["reason"]),
        )


class PriceChangeInline(admin.TabularInline):
    model = OfferPriceChange
    extra = 0
    can_delete = False
    readonly_fields = ["old_price", "new_price", "changed_by", "import_job", "changed_at"]
    fields = readonly_fields


@admin.register(Offer)
class OfferAdmin(AuditedAdmin):
    audit_object_type = "offer"
    list_display = ["drug", "supplier", "unit_price", "vat_rate", "stock", "status", "updated_at"]
    list_filter = ["status", "vat_rate"]
    search_fields = ["drug__generic_name", "drug__approval_number", "supplier__legal_name"]
    raw_id_fields = ["drug", "supplier"]
    # Status, price and VAT rate go through the API so the listing rules, the simplified-VAT election, audit and
    # price history apply; what is edited here (stock, terms) is audited like an API change.
    # The customs status moves only by a recorded declaration (POST /offers/{id}/customs-status/); the 30%
    # value-added exemption is entered here by admins, which verifies it (catalog.hainan_admin).
    readonly_fields = ["status", "unit_price", "vat_rate", "customs_status", "value_added_verified_at",
                       "value_added_verified_by", "created_at", "updated_at"]  # fmt: skip
    inlines = [PriceChangeInline, CustomsChangeInline]

    def audit_organization_id(self, obj: Offer) -> int:
        return obj.supplier_id

    def save_model(self, request, obj, form, change) -> None:
        stamp_value_added_verification(obj, changed=form.changed_data, by=request.user.email)
        super().save_model(request, obj, form, change)


@admin.register(SimplifiedVatElection)
class SimplifiedVatElectionAdmin(ReadOnlyAdmin):
    list_display = ["supplier", "drug", "started_on", "locked_until", "ended_on"]
    list_filter = ["ended_on"]
    search_fields = ["supplier__legal_name", "drug__generic_name"]
    list_select_related = ["supplier", "drug"]


@admin.register(ImportJob)
class ImportJobAdmin(PharmexAdmin):
    list_display = ["id", "kind", "organization", "file_name", "status", "total_rows", "failed_count", "created_at"]
    list_select_related = ["organization"]
    list_filter = ["kind", "status"]
    exclude = ["content"]
    readonly_fields = [f.name for f in ImportJob._meta.fields if f.name != "content"]

    def has_add_permission(self, request) -> bool:
        return False
