"""Admin site: endpoints and the delivery log, read-only; changes go through the audited services."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts.actor import actor_for_user
from pharmex.admin import PharmexAdmin, RecentValuesFilter
from pharmex.errors import DomainError
from webhooks.models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_delivery_redeliver, webhook_endpoint_update


class _ReadOnly(PharmexAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(_ReadOnly):
    list_display = ["id", "organization", "url", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "organization__legal_name"]
    # Registration goes through the API (SSRF check, secret shown once); the secret never shows here.
    exclude = ["secret", "previous_secret"]
    actions = ["disable_selected"]

    @admin.action(description=_("Disable the selected endpoints (audited)"))
    def disable_selected(self, request, queryset):
        actor = actor_for_user(request.user)
        for endpoint in queryset.filter(is_active=True):
            webhook_endpoint_update(endpoint=endpoint, actor=actor, data={"is_active": False})
        self.message_user(request, _("Endpoints disabled."))


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ["number", "attempted_at", "ip", "status_code", "succeeded", "error", "duration_ms", "response_body"]
    readonly_fields = fields
    ordering = ["number"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(_ReadOnly):
    list_display = ["id", "event", "endpoint", "status", "attempts", "next_attempt_at", "last_status_code"]
    list_filter = ["status"]
    search_fields = ["event__event_id", "endpoint__url"]
    list_select_related = ["event", "endpoint"]
    raw_id_fields = ["event", "endpoint"]
    exclude = ["claim_token"]
    inlines = [WebhookAttemptInline]
    actions = ["redeliver_selected"]

    @admin.action(description=_("Redeliver the selected deliveries now (audited)"))
    def redeliver_selected(self, request, queryset):
        actor = actor_for_user(request.user)
        scheduled = 0
        for delivery in queryset:
            try:
                webhook_delivery_redeliver(delivery=delivery, actor=actor)
                scheduled += 1
            except DomainError as error:
                self.message_user(request, f"{delivery}: {error.detail}", messages.WARNING)
        self.message_user(request, _("%(count)d deliveries scheduled for redelivery.") % {"count": scheduled})


@admin.register(OutboxEvent)
class OutboxEventAdmin(_ReadOnly):
    list_display = ["event_id", "event_type", "organization", "object_type", "object_id", "created_at"]
    list_filter = [("event_type", RecentValuesFilter)]
    search_fields = ["event_id", "object_id"]
    raw_id_fields = ["organization"]
