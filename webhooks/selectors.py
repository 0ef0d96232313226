"""Reads of the webhooks app, always scoped to the actor (STYLE G6)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from pharmex.actor import Actor
from pharmex.errors import NotFound
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list(*, actor: Actor) -> QuerySet[WebhookEndpoint]:
    """Platform admins see every endpoint; members their organisation's."""
    queryset = WebhookEndpoint.objects.order_by("id")
    if actor.is_admin:
        return queryset
    if actor.organization is not None:
        return queryset.filter(organization=actor.organization)
    return queryset.none()


def webhook_endpoint_get(*, actor: Actor, endpoint_id: int) -> WebhookEndpoint:
    """One endpoint the actor may read. Raises: NotFound for any other."""
    endpoint = webhook_endpoint_list(actor=actor).filter(pk=endpoint_id).first()
    if endpoint is None:
        raise NotFound()
    return endpoint


def webhook_delivery_list(*, actor: Actor, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The deliveries to one endpoint the actor can see (none when the endpoint is not theirs)."""
    visible = webhook_endpoint_list(actor=actor).filter(pk=endpoint.pk)
    return WebhookDelivery.objects.filter(endpoint__in=visible).select_related("event")


def webhook_delivery_detail_list(*, actor: Actor, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """As webhook_delivery_list, with each delivery's attempt log in order."""
    return webhook_delivery_list(actor=actor, endpoint=endpoint).prefetch_related(
        Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("number", "id"))
    )
