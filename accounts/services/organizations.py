"""Organisations: verification, suspension and reinstatement (a state machine), and profile changes."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from accounts.transitions import ORGANIZATION
from pharmex.actor import Actor
from pharmex.audit import audit_record, diff
from pharmex.choices import StaffRole
from pharmex.errors import NotAParty
from pharmex.transitions import transition


@transaction.atomic
def organization_verify(*, organization: Organization, actor: Actor, reason: str = "") -> Organization:
    """Raises: NotAParty (admins only), InvalidTransition unless the organisation is pending."""
    actor.require_staff(StaffRole.ADMIN)
    return transition(
        ORGANIZATION,
        organization.pk,
        action="verify",
        actor=actor,
        note=reason,
        changes={"status_reason": reason, "last_verified_at": timezone.now()},
    )


@transaction.atomic
def organization_suspend(*, organization: Organization, actor: Actor, reason: str) -> Organization:
    """Raises: NotAParty (admins and the platform's jobs only), InvalidTransition when already suspended."""
    actor.require_staff(StaffRole.ADMIN)
    return transition(
        ORGANIZATION, organization.pk, action="suspend", actor=actor, note=reason, changes={"status_reason": reason}
    )


@transaction.atomic
def organization_reinstate(*, organization: Organization, actor: Actor, reason: str = "") -> Organization:
    """Raises: NotAParty (admins only), InvalidTransition unless suspended."""
    actor.require_staff(StaffRole.ADMIN)
    return transition(
        ORGANIZATION, organization.pk, action="reinstate", actor=actor, note=reason, changes={"status_reason": reason}
    )


@transaction.atomic
def organization_update(*, organization: Organization, actor: Actor, data: dict) -> Organization:
    """Change profile fields: platform admins any organisation, others the one they act for. Which fields a
    role may send is decided by its input serializer.

    Raises: NotAParty when the actor neither is an admin nor acts for the organisation.
    """
    if not (actor.is_admin or actor.acts_for(organization.pk)):
        raise NotAParty()
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
