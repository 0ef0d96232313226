from __future__ import annotations

from django.db import IntegrityError, transaction

from accounts.choices import MemberRole
from accounts.errors import EmailTaken, UsccTaken
from accounts.models import Membership, Organization, User
from accounts.services.passwords import password_check
from accounts.validators import normalize_uscc
from pharmex.audit import AuditActor, audit_record
from pharmex.models import AuditEvent


@transaction.atomic
def organization_register(
    *,
    legal_name: str,
    uscc: str,
    kind: str,
    province_code: str,
    owner_email: str,
    owner_password: str,
    ownership: str = "",
    owner_full_name: str = "",
) -> tuple[Organization, User]:
    """Self-registration: a pending organisation and its owner (SPEC §3).

    Raises: EmailTaken, UsccTaken.
    """
    email = owner_email.strip().lower()
    uscc = normalize_uscc(uscc)
    if User.objects.filter(email__iexact=email).exists():
        raise EmailTaken(field="owner.email")
    if Organization.objects.filter(uscc=uscc).exists():
        raise UsccTaken(field="organization.uscc")
    password_check(owner_password, field="owner.password", email=email, full_name=owner_full_name)
    organization = Organization(
        legal_name=legal_name, uscc=uscc, kind=kind, ownership=ownership, province_code=province_code
    )
    organization.full_clean()
    try:
        # A concurrent registration with the same email or code passes the checks above at the same time;
        # the unique indexes decide, and the loser gets the same 409 as a sequential duplicate.
        with transaction.atomic():
            organization.save()
            owner = User.objects.create_user(email, owner_password, full_name=owner_full_name)
    except IntegrityError as error:
        if "uscc" in str(error):
            raise UsccTaken(field="organization.uscc") from None
        raise EmailTaken(field="owner.email") from None
    Membership.objects.create(user=owner, organization=organization, role=MemberRole.OWNER)
    audit_record(
        actor=AuditActor(type=AuditEvent.ActorType.USER, label=owner.email, user_id=owner.pk),
        action="organization.registered",
        object_type="organization",
        object_id=organization.pk,
        organization_id=organization.pk,
        changes={"legal_name": legal_name, "uscc": uscc, "kind": kind, "owner": owner.email},
    )
    return organization, owner
