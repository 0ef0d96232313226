"""Regulators (SPEC §7a): platform admins create them and add or remove their inspectors; they read their
jurisdiction and never trade or write."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts.choices import InvitationStatus, MemberRole, OrganizationKind, OrganizationStatus
from accounts.errors import UsccTaken
from accounts.models import Invitation, Membership, Organization
from accounts.services.invitations import invite
from accounts.validators import normalize_uscc
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.choices import StaffRole
from pharmex.errors import NotFound


@transaction.atomic
def regulator_create(
    *, actor: Actor, legal_name: str, uscc: str, province_code: str, jurisdiction: list[str], inspectors: list[str]
) -> Organization:
    """A regulator organisation (verified: it is the platform's own decision) with its jurisdiction, and an
    invitation to each inspector's email (they join as viewers; a regulator's members only read).

    Raises: NotAParty unless a platform admin; UsccTaken.
    """
    actor.require_staff(StaffRole.ADMIN)
    try:
        with transaction.atomic():
            regulator = Organization.objects.create(
                legal_name=legal_name,
                uscc=normalize_uscc(uscc),
                kind=OrganizationKind.REGULATOR,
                province_code=province_code,
                jurisdiction=sorted(set(jurisdiction)),
                status=OrganizationStatus.VERIFIED,
            )
    except IntegrityError as error:
        raise UsccTaken(field="uscc") from error
    audit_record(
        actor=actor.audit,
        action="regulator.created",
        object_type="organization",
        object_id=regulator.pk,
        organization_id=regulator.pk,
        changes={"legal_name": legal_name, "jurisdiction": regulator.jurisdiction, "inspectors": inspectors},
    )
    for email in dict.fromkeys(email.strip().lower() for email in inspectors):
        invite(organization=regulator, actor=actor, email=email, role=MemberRole.VIEWER)
    return regulator


@transaction.atomic
def regulator_inspector_invite(*, actor: Actor, regulator: Organization, email: str) -> Invitation:
    """Invite one more inspector to an existing regulator (as a viewer): regulators cannot invite anyone
    themselves, so platform admins add their inspectors, now and later.

    Raises: NotAParty unless a platform admin; AlreadyMember.
    """
    actor.require_staff(StaffRole.ADMIN)
    invitation = invite(organization=regulator, actor=actor, email=email, role=MemberRole.VIEWER)
    audit_record(
        actor=actor.audit,
        action="regulator.inspector_invited",
        object_type="organization",
        object_id=regulator.pk,
        organization_id=regulator.pk,
        changes={"email": invitation.email, "invitation_id": invitation.pk},
    )
    return invitation


@transaction.atomic
def regulator_inspector_remove(*, actor: Actor, regulator: Organization, membership_id: int) -> None:
    """Remove an inspector (a member) from a regulator: from the next request on, that person reads nothing of
    its jurisdiction.

    Raises: NotAParty unless a platform admin; NotFound unless a member of this regulator.
    """
    actor.require_staff(StaffRole.ADMIN)
    membership = (
        Membership.objects.select_for_update().select_related("user").filter(organization=regulator, pk=membership_id)
    ).first()
    if membership is None:
        raise NotFound()
    audit_record(
        actor=actor.audit,
        action="regulator.inspector_removed",
        object_type="membership",
        object_id=membership.pk,
        organization_id=regulator.pk,
        changes={"email": membership.user.email, "role": membership.role},
    )
    membership.delete()


def regulator_inspectors(regulator: Organization) -> dict:
    """A regulator's inspectors (its members) and the invitations still pending."""
    return {
        "members": list(Membership.objects.filter(organization=regulator).select_related("user").order_by("id")),
        "pending_invitations": list(
            Invitation.objects.filter(organization=regulator, status=InvitationStatus.PENDING)
            .select_related("organization")
            .order_by("id")
        ),
    }
