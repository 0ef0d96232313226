from django.contrib import admin

from pharmex.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["id", "occurred_at", "actor_label", "organization_id", "action", "object_type", "object_id"]
    list_filter = ["action", "actor_type"]
    search_fields = ["object_id", "actor_label", "request_id"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
