"""Input serializers (strict, shape only) and output serializers of the webhooks API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pharmex.api.serializers import ModelOutputSerializer, StrictInputSerializer, UTCDateTimeField
from webhooks.events import EVENT_TYPE_CHOICES
from webhooks.models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint


def _event_types_field(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPE_CHOICES),
        min_length=1,
        max_length=len(EVENT_TYPE_CHOICES),
        help_text="Event types to receive (see the API guide, webhooks chapter).",
        **kwargs,
    )


class WebhookEndpointInput(StrictInputSerializer):
    url = serializers.CharField(
        max_length=2000,
        help_text="https:// URL whose host resolves to public addresses only; redirects are not followed.",
    )
    event_types = _event_types_field()
    description = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    is_active = serializers.BooleanField(required=False, default=True)


class WebhookEndpointUpdateInput(StrictInputSerializer):
    url = serializers.CharField(max_length=2000, required=False)
    event_types = _event_types_field(required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class WebhookSecretRotateInput(StrictInputSerializer):
    keep_previous_hours = serializers.IntegerField(
        min_value=0,
        max_value=168,
        required=False,
        default=0,
        help_text="Keep signing with the old secret too for this many hours (0: retire it now).",
    )


class WebhookEndpointOutput(ModelOutputSerializer):
    event_types = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_TYPE_CHOICES))
    previous_secret_expires_at = serializers.SerializerMethodField(
        help_text="While set, deliveries also carry a signature made with the previous secret."
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "organization",
            "url",
            "description",
            "event_types",
            "is_active",
            "previous_secret_expires_at",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(UTCDateTimeField(allow_null=True))
    def get_previous_secret_expires_at(self, endpoint: WebhookEndpoint) -> str | None:
        if endpoint.previous_secret and endpoint.previous_secret_expires_at:
            return UTCDateTimeField().to_representation(endpoint.previous_secret_expires_at)
        return None


class WebhookEndpointCreatedOutput(WebhookEndpointOutput):
    secret = serializers.CharField(
        allow_null=True,
        help_text="The signing secret, in this response only (null when an Idempotency-Key replays it).",
    )

    class Meta(WebhookEndpointOutput.Meta):
        fields = [*WebhookEndpointOutput.Meta.fields, "secret"]


class OutboxEventOutput(ModelOutputSerializer):
    id = serializers.UUIDField(source="event_id", help_text="The stable event id receivers dedupe on.")
    type = serializers.CharField(source="event_type")

    class Meta:
        model = OutboxEvent
        fields = ["id", "type", "object_type", "object_id", "created_at"]


class WebhookDeliveryOutput(ModelOutputSerializer):
    event = OutboxEventOutput()

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "status",
            "attempts",
            "max_attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "succeeded_at",
            "created_at",
            "updated_at",
        ]


class WebhookAttemptOutput(ModelOutputSerializer):
    class Meta:
        model = WebhookAttempt
        fields = [
            "number",
            "attempted_at",
            "url",
            "ip",
            "status_code",
            "succeeded",
            "error",
            "duration_ms",
            "response_body",
        ]


class WebhookDeliveryDetailOutput(WebhookDeliveryOutput):
    data = serializers.JSONField(source="event.payload", help_text="The event's `data`, as delivered.")
    attempt_log = WebhookAttemptOutput(many=True, help_text="Every attempt, oldest first.")

    class Meta(WebhookDeliveryOutput.Meta):
        fields = [*WebhookDeliveryOutput.Meta.fields, "data", "attempt_log"]
