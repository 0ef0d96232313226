from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.actor import Actor
from accounts.choices import OrganizationStatus
from accounts.models import Organization
from pharmex.audit import audit_record, diff
from pharmex.errors import InvalidTransition

# action -> (states it may start from, state it leads to)
ORGANIZATION_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "verify": (frozenset({OrganizationStatus.PENDING}), OrganizationStatus.VERIFIED),
    "suspend": (frozenset({OrganizationStatus.PENDING, OrganizationStatus.VERIFIED}), OrganizationStatus.SUSPENDED),
    "reinstate": (frozenset({OrganizationStatus.SUSPENDED}), OrganizationStatus.VERIFIED),
}


def _organization_transition(*, organization: Organization, action: str, actor: Actor, reason: str) -> Organization:
    sources, target = ORGANIZATION_TRANSITIONS[action]
    previous = organization.status
    # Compare-and-set: a concurrent transition makes this update match no row.
    updated = Organization.objects.filter(pk=organization.pk, status__in=sources).update(
        status=target, status_reason=reason, updated_at=timezone.now()
    )
    if updated != 1:
        organization.refresh_from_db(fields=["status"])
        raise InvalidTransition(f"Cannot {action} an organisation that is {organization.status}.")
    organization.refresh_from_db()
    audit_record(
        actor=actor.audit,
        action=f"organization.{action}",
        object_type="organization",
        object_id=organization.pk,
        organization_id=organization.pk,
        changes={"status": [previous, target], "reason": reason},
    )
    return organization


@transaction.atomic
def organization_verify(*, organization: Organization, actor: Actor, reason: str = "") -> Organization:
    """Raises: InvalidTransition unless the organisation is pending."""
    return _organization_transition(organization=organization, action="verify", actor=actor, reason=reason)


@transaction.atomic
def organization_suspend(*, organization: Organization, actor: Actor, reason: str) -> Organization:
    """Raises: InvalidTransition when already suspended."""
    return _organization_transition(organization=organization, action="suspend", actor=actor, reason=reason)


@transaction.atomic
def organization_reinstate(*, organization: Organization, actor: Actor, reason: str = "") -> Organization:
    """Raises: InvalidTransition unless suspended."""
    return _organization_transition(organization=organization, action="reinstate", actor=actor, reason=reason)


@transaction.atomic
def organization_update(*, organization: Organization, actor: Actor, data: dict) -> Organization:
    """Change profile fields; which fields a role may send is decided by its input serializer."""
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    before = {field: getattr(organization, field) for field in data}
    for field, value in data.items():
        setattr(organization, field, value)
    organization.full_clean()
    organization.save()
    audit_record(
        actor=actor.audit,
        action="organization.updated",
        object_type="organization",
        object_id=organization.pk,
        organization_id=organization.pk,
        changes=diff(before, data),
    )
    return organization
