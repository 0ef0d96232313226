"""Regulators (SPEC §7a): platform admins create them; they read their jurisdiction and never trade or write."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts.choices import MemberRole, OrganizationKind, OrganizationStatus
from accounts.errors import UsccTaken
from accounts.models import Organization
from accounts.services.invitations import invite
from accounts.validators import normalize_uscc
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.choices import StaffRole


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
