"""Webhook endpoints and their delivery log (SPEC §5, §8): thin views over services and selectors."""

from __future__ import annotations

from datetime import timedelta

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action

from accounts.choices import MemberRole
from api_docs.responses import problems
from pharmex.api.idempotency import idempotent
from pharmex.api.pagination import NewestFirstCursorPagination
from pharmex.api.permissions import Members, Staff
from pharmex.api.views import ApiViewSet
from pharmex.choices import StaffRole
from webhooks import selectors, services
from webhooks.filters import WebhookDeliveryFilter, WebhookEndpointFilter
from webhooks.models import WebhookDelivery
from webhooks.serializers import (
    WebhookDeliveryDetailOutput,
    WebhookDeliveryOutput,
    WebhookEndpointCreatedOutput,
    WebhookEndpointInput,
    WebhookEndpointOutput,
    WebhookEndpointUpdateInput,
    WebhookSecretRotateInput,
)

OPERATORS = Members(MemberRole.OWNER, MemberRole.OPERATOR)
OWNER = Members(MemberRole.OWNER)
# Owners and operators of the organisation; platform admins read every organisation's webhooks.
READERS = OPERATORS | Staff(StaffRole.ADMIN)

CREATE_EXAMPLES = [
    OpenApiExample(
        "Register an endpoint",
        value={
            "url": "https://erp.example.com/pharmex/events",
            "event_types": ["order.placed", "order.shipped"],
            "description": "ERP",
        },
        request_only=True,
    ),
    OpenApiExample(
        "Registered (the secret is shown this once)",
        value={
            "id": 7,
            "organization": 12,
            "url": "https://erp.example.com/pharmex/events",
            "description": "ERP",
            "event_types": ["order.placed", "order.shipped"],
            "is_active": True,
            "previous_secret_expires_at": None,
            "created_at": "2026-11-29T08:10:00Z",
            "updated_at": "2026-11-29T08:10:00Z",
            "secret": "whsec_q1XvN0dZ6m2rJv3a9QbT4yKcW8fH5sLpE7uG1iR0oAk",
        },
        response_only=True,
        status_codes=["201"],
    ),
    OpenApiExample(
        "Refused URL",
        value={
            "type": "https://pharmex.example/problems/webhook-url-not-allowed",
            "title": "This webhook URL is not allowed",
            "status": 400,
            "detail": "localhost resolves to 127.0.0.1, a loopback address; webhooks may only call public addresses.",
            "code": "webhook_url_not_allowed",
            "errors": [
                {
                    "field": "url",
                    "code": "webhook_url_not_allowed",
                    "message": "localhost resolves to 127.0.0.1, a loopback address; webhooks may only call public "
                    "addresses.",
                }
            ],
        },
        response_only=True,
        status_codes=["400"],
        media_type="application/problem+json",
    ),
]


@extend_schema_view(
    list=extend_schema(summary="List your organisation's webhook endpoints (owner, operator; admins: all)"),
    retrieve=extend_schema(summary="Retrieve a webhook endpoint (never its secret)"),
    destroy=extend_schema(summary="Delete a webhook endpoint with its delivery log (owner)", responses={204: None}),
)
@extend_schema(tags=["webhooks"])
class WebhookEndpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ApiViewSet):
    serializer_class = WebhookEndpointOutput
    lookup_value_regex = r"\d+"
    filterset_class = WebhookEndpointFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    policies = {
        "list": READERS,
        "retrieve": READERS,
        "create": OWNER,
        "partial_update": OWNER,
        "destroy": OWNER,
        "rotate_secret": OWNER,
    }
    suspended_may = frozenset({"destroy"})  # removing an endpoint only shuts a flow

    def get_queryset(self):
        return selectors.webhook_endpoint_list(actor=self.actor)

    @extend_schema(
        summary="Register a webhook endpoint (owner); the signing secret is in this response only",
        description="The URL must be https and resolve to public addresses only (private, loopback, link-local "
        "and metadata addresses are refused with `webhook-url-not-allowed`). A retried request with the same "
        "Idempotency-Key replays the endpoint with `secret: null`: the secret is never stored for replays.",
        request=WebhookEndpointInput,
        responses={201: WebhookEndpointCreatedOutput, **problems(400, 409)},
        examples=CREATE_EXAMPLES,
    )
    @idempotent(redact=("secret",))
    def create(self, request, *args, **kwargs):
        endpoint, secret = services.webhook_endpoint_create(actor=self.actor, **self.parse(WebhookEndpointInput))
        endpoint.secret = secret
        return self.respond(WebhookEndpointCreatedOutput, endpoint, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a webhook endpoint's URL, event types, description or is_active (owner)",
        request=WebhookEndpointUpdateInput,
        responses={200: WebhookEndpointOutput},
    )
    def partial_update(self, request, *args, **kwargs):
        data = self.parse(WebhookEndpointUpdateInput, partial=True)
        endpoint = services.webhook_endpoint_update(endpoint=self.get_object(), actor=self.actor, data=data)
        return self.respond(WebhookEndpointOutput, endpoint)

    def destroy(self, request, *args, **kwargs):
        services.webhook_endpoint_delete(endpoint=self.get_object(), actor=self.actor)
        return self.no_content()

    @extend_schema(
        summary="Replace the signing secret (owner); the new secret is in this response only",
        description="With `keep_previous_hours` the old secret keeps signing as a second `v1=` until then.",
        request=WebhookSecretRotateInput,
        responses={200: WebhookEndpointCreatedOutput},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        hours = self.parse(WebhookSecretRotateInput)["keep_previous_hours"]
        endpoint, secret = services.webhook_endpoint_rotate_secret(
            endpoint=self.get_object(), actor=self.actor, keep_previous_for=timedelta(hours=hours)
        )
        endpoint.secret = secret
        return self.respond(WebhookEndpointCreatedOutput, endpoint)


ENDPOINT_ID = OpenApiParameter("webhook_pk", OpenApiTypes.INT, OpenApiParameter.PATH, description="The endpoint's id.")
DELIVERY_ID = OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The delivery's id.")


@extend_schema_view(
    list=extend_schema(
        summary="The delivery log of a webhook endpoint, newest first (owner, operator; admins: all)",
        description="Cursor-paginated. Each delivery is one event to this endpoint; retrieve it for its attempts.",
    ),
    retrieve=extend_schema(summary="A delivery with its event data and every attempt", parameters=[DELIVERY_ID]),
)
@extend_schema(tags=["webhooks"], parameters=[ENDPOINT_ID])
class WebhookDeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = WebhookDeliveryOutput
    pagination_class = NewestFirstCursorPagination
    filterset_class = WebhookDeliveryFilter
    lookup_value_regex = r"\d+"
    policies = {"list": READERS, "retrieve": READERS, "redeliver": OPERATORS}

    def get_serializer_class(self):
        return WebhookDeliveryOutput if self.action == "list" else WebhookDeliveryDetailOutput

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        endpoint = selectors.webhook_endpoint_get(actor=self.actor, endpoint_id=self.kwargs["webhook_pk"])
        if self.action == "list":
            return selectors.webhook_delivery_list(actor=self.actor, endpoint=endpoint)
        return selectors.webhook_delivery_detail_list(actor=self.actor, endpoint=endpoint)

    @extend_schema(
        summary="Redeliver now (owner, operator): one more attempt, also after success or giving up",
        description="Schedules an attempt at once. A pending delivery keeps its remaining automatic retries; a "
        "succeeded or given-up one gets this single extra attempt. The event id stays the same.",
        request=None,
        parameters=[DELIVERY_ID],
        responses={202: WebhookDeliveryDetailOutput, **problems(409)},
    )
    @action(detail=True, methods=["post"])
    def redeliver(self, request, webhook_pk=None, pk=None):
        delivery = services.webhook_delivery_redeliver(delivery=self.get_object(), actor=self.actor)
        delivery = self.get_queryset().get(pk=delivery.pk)
        return self.respond(WebhookDeliveryDetailOutput, delivery, status=status.HTTP_202_ACCEPTED)
