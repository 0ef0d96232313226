from django.contrib import admin

from pharmex.models import AuditEvent

# The admin's "View site" link: the platform's front page is its API documentation (the site has no other).
admin.site.site_url = "/api/docs/"


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that change only through audited services (or never): the admin site shows them."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "occurred_at", "actor_label", "organization_id", "action", "object_type", "object_id"]
    list_filter = ["action", "actor_type"]
    search_fields = ["object_id", "actor_label", "request_id"]
