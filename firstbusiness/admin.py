"""The admin site's first-business pages: documents awaiting platform verification, with their preview."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import FileResponse, Http404, HttpRequest
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.actor import actor_for_user
from firstbusiness import services
from firstbusiness.choices import DocumentStatus
from firstbusiness.models import Document, DocumentAccess, DocumentShare, FirstBusinessReview, SalesRepresentative
from firstbusiness.storage import document_open_file
from pharmex.admin import PharmexAdmin, ReadOnlyAdmin
from pharmex.errors import DomainError


class AwaitingVerification(admin.SimpleListFilter):
    title = _("verification")
    parameter_name = "awaiting"

    def lookups(self, request, model_admin):
        return [("yes", _("Awaiting verification"))]

    def queryset(self, request, queryset):
        return queryset.filter(status=DocumentStatus.PENDING) if self.value() == "yes" else queryset


@admin.register(Document)
class DocumentAdmin(PharmexAdmin):
    list_display = ["id", "title", "type", "organization", "version", "valid_until", "status", "created_at"]
    list_filter = [AwaitingVerification, "status", "type"]
    search_fields = ["title", "organization__legal_name", "sha256"]
    list_select_related = ["organization"]
    # Immutable once submitted: verification goes through the actions below (audited, state-checked).
    readonly_fields = [
        "organization",
        "type",
        "title",
        "license",
        "representative",
        "drug",
        "lot",
        "scope_provinces",
        "valid_from",
        "valid_until",
        "series",
        "version",
        "content_type",
        "size",
        "sha256",
        "original_name",
        "uploaded_by_label",
        "status",
        "review_note",
        "reviewed_at",
        "superseded_at",
        "created_at",
        "preview",
    ]
    exclude = ["file", "scope_drugs", "uploaded_by", "expiry_warning_sent_days", "expiry_notified_at"]
    actions = ["verify_documents"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # kept for the retention period

    def get_urls(self):
        preview = self.admin_site.admin_view(self.file_view)
        return [path("<int:pk>/file/", preview, name="firstbusiness_document_file"), *super().get_urls()]

    def file_view(self, request: HttpRequest, pk: int) -> FileResponse:
        """The file itself, for platform staff only (admin_view), shown inline by the preview."""
        document = Document.objects.filter(pk=pk).first()
        if document is None or not self.has_view_permission(request, document):
            raise Http404
        response = FileResponse(document_open_file(document.file.name), content_type=document.content_type)
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox"
        response["X-Frame-Options"] = "SAMEORIGIN"
        return response

    @admin.display(description=_("preview"))
    def preview(self, document: Document) -> str:
        if not document.pk:
            return "-"
        url = reverse("admin:firstbusiness_document_file", args=[document.pk])
        if document.content_type.startswith("image/"):
            return format_html('<a href="{}"><img src="{}" style="max-width: 640px; max-height: 480px"></a>', url, url)
        return format_html(
            '<iframe src="{}" style="width: 640px; height: 800px; border: 1px solid #ccc"></iframe>', url
        )

    @admin.action(description=_("Verify the selected documents"))
    def verify_documents(self, request: HttpRequest, queryset) -> None:
        actor = actor_for_user(request.user)
        done = 0
        for document in queryset.filter(status=DocumentStatus.PENDING):
            try:
                services.document_verify(actor=actor, document=document, note="Verified in the admin site.")
                done += 1
            except DomainError as error:
                self.message_user(request, f"{document}: {error.detail}", messages.ERROR)
        self.message_user(request, _("%(count)d document(s) verified.") % {"count": done})


@admin.register(DocumentAccess)
class DocumentAccessAdmin(PharmexAdmin):
    list_display = ["created_at", "kind", "actor", "organization", "document"]
    list_select_related = ["organization", "document"]
    list_filter = ["kind"]
    search_fields = ["actor", "document__title"]
    readonly_fields = ["document", "kind", "organization", "actor", "request_id", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(SalesRepresentative)
class SalesRepresentativeAdmin(ReadOnlyAdmin):
    list_display = ["full_name", "organization", "status", "user"]
    list_select_related = ["organization", "user"]
    list_filter = ["status"]
    search_fields = ["full_name", "organization__legal_name"]


@admin.register(DocumentShare)
class DocumentShareAdmin(ReadOnlyAdmin):
    list_display = ["provider", "recipient", "status", "shared_at"]
    list_filter = ["status"]


@admin.register(FirstBusinessReview)
class FirstBusinessReviewAdmin(ReadOnlyAdmin):
    list_display = ["buyer", "supplier", "drug", "status", "valid_until", "decided_at"]
    list_select_related = ["buyer", "supplier", "drug"]
    list_filter = ["status"]
