"""Registering, changing and removing webhook endpoints; the secret is shown once, on create and rotate."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from pharmex.actor import Actor
from pharmex.audit import audit_record, diff
from pharmex.db import advisory_xact_lock
from pharmex.errors import NotAParty
from webhooks import ssrf
from webhooks.errors import WebhookEndpointLimit, WebhookEventTypeUnknown, WebhookUrlNotAllowed
from webhooks.events import EVENT_TYPES
from webhooks.models import WebhookEndpoint
from webhooks.signing import generate_secret

MAX_ENDPOINTS_PER_ORGANIZATION = 20
_EDITABLE = ("url", "event_types", "description", "is_active")


def _checked_url(url: str) -> str:
    """Raises: WebhookUrlNotAllowed (scheme, credentials, or a host resolving to a refused address)."""
    try:
        ssrf.check_url(url)
    except ssrf.UrlNotAllowed as refused:
        raise WebhookUrlNotAllowed(refused.reason, field="url") from None
    return url


def _checked_event_types(event_types: list[str]) -> list[str]:
    """The subscribed types in registry order, without repeats. Raises: WebhookEventTypeUnknown."""
    unknown = sorted(set(event_types) - EVENT_TYPES.keys())
    if unknown or not event_types:
        detail = f"Unknown event types: {', '.join(unknown)}." if unknown else "Subscribe to at least one event type."
        raise WebhookEventTypeUnknown(detail, field="event_types")
    return [name for name in EVENT_TYPES if name in set(event_types)]


def _require_own(actor: Actor, endpoint: WebhookEndpoint) -> None:
    """Raises: NotAParty unless the actor acts for the endpoint's organisation (or is a platform admin)."""
    if not (actor.is_admin or actor.acts_for(endpoint.organization_id)):
        raise NotAParty()


def _snapshot(endpoint: WebhookEndpoint) -> dict:
    return {field: getattr(endpoint, field) for field in _EDITABLE}


def webhook_endpoint_create(
    *, actor: Actor, url: str, event_types: list[str], description: str = "", is_active: bool = True
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint for the actor's organisation; returns it with its secret (shown this once).

    Raises: OrganizationRequired, WebhookUrlNotAllowed, WebhookEventTypeUnknown, WebhookEndpointLimit.
    """
    organization = actor.require_organization()
    event_types = _checked_event_types(event_types)
    url = _checked_url(url)  # resolves DNS: done before the transaction opens (no network I/O inside it)
    with transaction.atomic():
        # Two concurrent creates must not both pass the count below.
        advisory_xact_lock(f"webhook-endpoints:{organization.pk}")
        if WebhookEndpoint.objects.filter(organization=organization).count() >= MAX_ENDPOINTS_PER_ORGANIZATION:
            raise WebhookEndpointLimit(
                f"An organisation may register at most {MAX_ENDPOINTS_PER_ORGANIZATION} webhook endpoints."
            )
        secret = generate_secret()
        endpoint = WebhookEndpoint.objects.create(
            organization=organization,
            url=url,
            event_types=event_types,
            description=description,
            is_active=is_active,
            secret=secret,
            created_by=actor.user,
        )
        audit_record(
            actor=actor.audit,
            action="webhook_endpoint.created",
            object_type="webhook_endpoint",
            object_id=endpoint.pk,
            organization_id=organization.pk,
            changes=_snapshot(endpoint),  # never the secret
        )
    return endpoint, secret


def webhook_endpoint_update(*, endpoint: WebhookEndpoint, actor: Actor, data: dict) -> WebhookEndpoint:
    """Change url, event types, description or is_active.

    Raises: NotAParty, WebhookUrlNotAllowed, WebhookEventTypeUnknown.
    """
    _require_own(actor, endpoint)
    changes = {field: data[field] for field in _EDITABLE if field in data}
    if "event_types" in changes:
        changes["event_types"] = _checked_event_types(changes["event_types"])
    if "url" in changes and changes["url"] != endpoint.url:
        _checked_url(changes["url"])  # before the transaction: it resolves DNS
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        before = _snapshot(endpoint)
        for field, value in changes.items():
            setattr(endpoint, field, value)
        changed = diff(before, _snapshot(endpoint))
        if changed:
            endpoint.save(update_fields=[*changed, "updated_at"])
            audit_record(
                actor=actor.audit,
                action="webhook_endpoint.updated",
                object_type="webhook_endpoint",
                object_id=endpoint.pk,
                organization_id=endpoint.organization_id,
                changes=changed,
            )
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor: Actor) -> None:
    """Remove the endpoint with its deliveries and their log; pending deliveries stop. Raises: NotAParty."""
    _require_own(actor, endpoint)
    audit_record(
        actor=actor.audit,
        action="webhook_endpoint.deleted",
        object_type="webhook_endpoint",
        object_id=endpoint.pk,
        organization_id=endpoint.organization_id,
        changes=_snapshot(endpoint),
    )
    endpoint.delete()


@transaction.atomic
def webhook_endpoint_rotate_secret(
    *, endpoint: WebhookEndpoint, actor: Actor, keep_previous_for: timedelta = timedelta(0)
) -> tuple[WebhookEndpoint, str]:
    """Replace the signing secret; returns the new one (shown this once).

    With `keep_previous_for` the old secret keeps signing too (a second `v1=`) until it expires, so
    receivers can switch without rejecting deliveries in between; zero retires it at once.
    Raises: NotAParty.
    """
    _require_own(actor, endpoint)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    secret = generate_secret()
    if keep_previous_for > timedelta(0):
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = timezone.now() + keep_previous_for
    else:
        endpoint.previous_secret, endpoint.previous_secret_expires_at = "", None
    endpoint.secret = secret
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at", "updated_at"])
    audit_record(
        actor=actor.audit,
        action="webhook_endpoint.secret_rotated",
        object_type="webhook_endpoint",
        object_id=endpoint.pk,
        organization_id=endpoint.organization_id,
        changes={"previous_secret_expires_at": endpoint.previous_secret_expires_at},
    )
    return endpoint, secret
