"""The admin site's procurement pages: designations, negotiated prices, quotes and plans to read; 集采 contracts to
load — one by one here or as a result file (the upload page, the same service as `POST
/procurement-contracts/upload/`) — with each institution's progress against its agreed volume; sole sales
companies to verify, the first invoices shippers recorded, and the remote areas of the two-invoice chain to set."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from accounts.actor import actor_for_user
from accounts.choices import HAINAN_PROVINCE, PROVINCE_CODES
from pharmex.actor import SYSTEM_ACTOR
from pharmex.admin import AuditedAdmin, PharmexAdmin, ReadOnlyAdmin, ask_reason, decide_each
from pharmex.api.uploads import MULTIPART_ALLOWANCE, UploadTooLarge, declared_length, limit_uploads
from pharmex.audit import audit_record
from pharmex.choices import StaffRole
from pharmex.divisions import CITY_COUNTY_CODES
from pharmex.errors import DomainError
from procurement import selectors
from procurement.choices import SoleSellerStatus
from procurement.models import (
    ContractPrice,
    ContractVolume,
    DeliveryDesignation,
    DeliveryDesignationChange,
    ProcurementContract,
    ProcurementPlan,
    ProcurementPlanChange,
    ProcurementPlanLine,
    Quote,
    QuoteChange,
    QuoteRequest,
    RemoteArea,
    SoleSeller,
    SoleSellerChange,
    UpstreamInvoice,
)
from procurement.services import (
    contract_results_upload,
    sole_seller_reject,
    sole_seller_revoke,
    sole_seller_verify,
)

# Changes to designations, prices, quotes and plans go through the API's services (checked, audited, history kept).
ReadOnly = ReadOnlyAdmin


class DesignationChangeInline(admin.TabularInline):
    model = DeliveryDesignationChange
    extra = 0
    can_delete = False
    fields = readonly_fields = ["created_at", "action", "from_status", "to_status", "actor", "note"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class RegionFilter(admin.SimpleListFilter):
    """The designations naming a region: Hainan, or one of its cities and counties."""

    title = _("region")
    parameter_name = "region"

    def lookups(self, request, model_admin):
        return [(HAINAN_PROVINCE, PROVINCE_CODES[HAINAN_PROVINCE]), *sorted(CITY_COUNTY_CODES.items())]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(region_codes__contains=[self.value()])
        return queryset


@admin.register(DeliveryDesignation)
class DeliveryDesignationAdmin(ReadOnly):
    list_display = ["id", "drug", "manufacturer", "distributor", "region_codes", "valid_from", "valid_until", "status"]
    list_filter = ["status", RegionFilter, "valid_from", "valid_until"]
    search_fields = [
        "drug__generic_name",
        "drug__approval_number",
        "manufacturer__legal_name",
        "distributor__legal_name",
        "buyers__legal_name",
    ]
    list_select_related = ["drug", "manufacturer", "distributor"]
    date_hierarchy = "created_at"
    inlines = [DesignationChangeInline]


@admin.register(ContractPrice)
class ContractPriceAdmin(ReadOnly):
    list_display = ["id", "drug", "supplier", "buyer", "unit_price", "valid_from", "valid_until"]
    list_filter = ["valid_from", "valid_until"]
    search_fields = ["drug__generic_name", "drug__approval_number", "supplier__legal_name", "buyer__legal_name"]
    list_select_related = ["drug", "supplier", "buyer"]


class QuoteChangeInline(DesignationChangeInline):
    model = QuoteChange


@admin.register(Quote)
class QuoteAdmin(ReadOnly):
    list_display = ["id", "request", "supplier", "status", "unit_price", "valid_until", "order"]
    list_filter = ["status", "valid_until"]
    search_fields = ["supplier__legal_name", "request__buyer__legal_name", "request__drug__generic_name"]
    list_select_related = ["request", "supplier", "order"]
    inlines = [QuoteChangeInline]


class QuoteInline(admin.TabularInline):
    model = Quote
    extra = 0
    can_delete = False
    fields = readonly_fields = ["supplier", "status", "unit_price", "valid_until", "order"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(QuoteRequest)
class QuoteRequestAdmin(ReadOnly):
    list_display = ["id", "buyer", "drug", "quantity", "delivery_date", "created_at"]
    list_filter = ["delivery_date", "created_at"]
    search_fields = ["buyer__legal_name", "drug__generic_name", "drug__approval_number"]
    list_select_related = ["buyer", "drug"]
    inlines = [QuoteInline]


class VolumeInline(admin.TabularInline):
    model = ContractVolume
    extra = 3
    autocomplete_fields = ["institution"]


class ResultUploadForm(forms.Form):
    file = forms.FileField(
        label=_("file"),
        help_text=_(
            "CSV or XLSX, one row per institution: programme, drug_id or approval_number, supplier_id or "
            "supplier_uscc, agreed_price, valid_from, valid_until, institution_id or institution_uscc, annual_volume, "
            "optionally settlement_fund_id (Chinese headers work too). Nothing is loaded unless every row is right."
        ),
    )


@admin.register(ProcurementContract)
class ProcurementContractAdmin(PharmexAdmin):
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
    list_filter = ["programme", "settlement_fund", "valid_from", "valid_until"]
    search_fields = ["programme", "drug__generic_name", "drug__approval_number", "supplier__legal_name"]
    list_select_related = ["drug", "supplier", "settlement_fund"]
    autocomplete_fields = ["drug", "supplier"]
    readonly_fields = ["progress"]
    inlines = [VolumeInline]
    change_list_template = "admin/procurement/procurementcontract/change_list.html"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("progress against the agreed volume"))
    def progress(self, obj: ProcurementContract) -> str:
        if obj.pk is None:
            return "-"
        # Platform staff see every institution's row, as the API shows them to admins.
        rows = selectors.contract_progress(actor=SYSTEM_ACTOR, contract=obj)
        head = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("institution"),
            _("agreed volume"),
            _("ordered"),
            _("received"),
        )
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((row.institution_name, row.agreed_volume, row.ordered, row.received) for row in rows),
        )
        return format_html("<table>{}{}</table>", head, body)

    def get_urls(self):
        return [
            path("upload/", self.admin_site.admin_view(self.upload_view), name="procurement_contract_upload"),
            *super().get_urls(),
        ]

    @method_decorator(csrf_exempt)
    def upload_view(self, request):
        # The upload limit must be in place before anything reads the body, and the CSRF check reads it: the check
        # runs after (csrf_protect below), not before the view.
        limit_uploads(request, settings.CATALOG_IMPORT_MAX_BYTES)
        if declared_length(request) > settings.CATALOG_IMPORT_MAX_BYTES + MULTIPART_ALLOWANCE:
            self.message_user(request, UploadTooLarge(settings.CATALOG_IMPORT_MAX_BYTES).detail, messages.ERROR)
            return self._upload_page(request, ResultUploadForm(), [])
        return csrf_protect(self._upload_view)(request)

    def _upload_view(self, request):
        if StaffRole.ADMIN not in request.user.staff_roles:
            return redirect("admin:index")
        form = ResultUploadForm(request.POST or None, request.FILES or None)
        problems: list[dict] = []
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = contract_results_upload(actor=actor_for_user(request.user), upload=upload, name=upload.name)
            except DomainError as error:
                form.add_error(None, str(error.detail))
                problems = error.errors or []
            else:
                self.message_user(
                    request,
                    _("%(rows)s rows loaded: %(created)s new contracts, %(kept)s loaded before (volumes updated).")
                    % {
                        "rows": result.rows,
                        "created": sum(c.created for c in result.contracts),
                        "kept": sum(not c.created for c in result.contracts),
                    },
                )
                return redirect("admin:procurement_procurementcontract_changelist")
        return self._upload_page(request, form, problems)

    def _upload_page(self, request, form, problems: list[dict]):
        context = {
            **self.admin_site.each_context(request),
            "title": _("Upload 集采 results"),
            "form": form,
            "problems": problems,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/procurement/upload.html", context)

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


class PlanLineInline(admin.TabularInline):
    model = ProcurementPlanLine
    extra = 0
    can_delete = False
    fields = readonly_fields = [
        "row",
        "drug_ref",
        "supplier_ref",
        "quantity",
        "offer",
        "unit_price",
        "gross",
        "reasons",
        "order_line",
        "placed_unit_price",
    ]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class PlanChangeInline(DesignationChangeInline):
    model = ProcurementPlanChange


@admin.register(ProcurementPlan)
class ProcurementPlanAdmin(ReadOnly):
    list_display = ["id", "buyer", "file_name", "status", "created_by", "created_at", "placed_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["buyer__legal_name", "file_name", "=checkout_id"]
    list_select_related = ["buyer"]
    date_hierarchy = "created_at"
    inlines = [PlanLineInline, PlanChangeInline]


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
    # An invoice in hand (its number, a party's credit code), the order it came with, or part of a party's name
    # when the party is on the platform: each read by an index, however many shipments lie behind.
    indexed_search_fields = [
        "number",
        "shipment__order__number",
        "issuer_uscc",
        "recipient_uscc",
        "issuer__legal_name__icontains",
        "recipient__legal_name__icontains",
    ]
    list_select_related = ["shipment"]


@admin.register(RemoteArea)
class RemoteAreaAdmin(AuditedAdmin):
    """Where a public institution may receive through one more invoice than the two-invoice chain allows."""

    audit_object_type = "remote_area"
    list_display = ["code", "note", "created_at"]
    search_fields = ["code", "note"]
    readonly_fields = ["created_at"]
