from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.actor import actor_for_user
from catalog.choices import DrugStatus
from catalog.models import Drug, ImportJob, Offer, OfferPriceChange
from catalog.services import drug_approve
from pharmex.errors import DomainError


@admin.register(Drug)
class DrugAdmin(admin.ModelAdmin):
    """Also the review queue: filter by status "Pending review" and approve in bulk."""

    list_display = ["generic_name", "brand_name", "approval_number", "specification", "package", "drug_type", "status"]
    list_filter = ["status", "drug_type", "category", "special_class", "storage", "dosage_form"]
    search_fields = ["generic_name", "brand_name", "approval_number", "national_drug_code", "gtin"]
    readonly_fields = ["status", "approval_format", "generic_initials", "brand_initials", "reviewed_at", "proposed_by"]
    actions = ["approve_selected"]

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


class PriceChangeInline(admin.TabularInline):
    model = OfferPriceChange
    extra = 0
    can_delete = False
    readonly_fields = ["old_price", "new_price", "changed_by", "import_job", "changed_at"]
    fields = readonly_fields


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = ["drug", "supplier", "unit_price", "vat_rate", "stock", "status", "updated_at"]
    list_filter = ["status", "vat_rate"]
    search_fields = ["drug__generic_name", "drug__approval_number", "supplier__legal_name"]
    raw_id_fields = ["drug", "supplier"]
    # Status and price go through the API so the listing rules, audit and price history apply.
    readonly_fields = ["status", "unit_price", "created_at", "updated_at"]
    inlines = [PriceChangeInline]


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "organization", "file_name", "status", "total_rows", "failed_count", "created_at"]
    list_filter = ["kind", "status"]
    exclude = ["content"]
    readonly_fields = [f.name for f in ImportJob._meta.fields if f.name != "content"]

    def has_add_permission(self, request) -> bool:
        return False
