"""Membership by invitation (SPEC §3): an owner invites an email with a role; nothing changes for anyone until
the person accepts, signed in or with the emailed secret; no answer says whether the email has an account."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import InvitationStatus
from accounts.errors import AlreadyMember, InvitationInvalid, StaffCannotJoin
from accounts.models import Invitation, Membership, Organization, User
from accounts.notifications import notify_invitee
from accounts.services.members import is_platform_staff, membership_create, require_owner_of
from accounts.services.passwords import password_check
from accounts.transitions import INVITATION
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.db import advisory_xact_lock
from pharmex.errors import InvalidInput, InvalidTransition
from pharmex.transitions import transition, transition_apply, transition_lock

REPLACED_NOTE = "replaced by a new invitation"


def invitation_token_hash(token: str) -> str:
    """What is stored of an invitation's secret: its SHA-256 (the secret has 256 random bits, so no salt)."""
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invitation_create(*, organization: Organization, actor: Actor, email: str, role: str) -> Invitation:
    """Invite an email to the organisation with a role and email it the secret link; a pending invitation of
    the same email is replaced (its link stops working).

    The answer is the same whether or not the email has an account or is platform staff; only members of this
    very organisation, whom its owner lists anyway, are refused.
    Raises: NotAParty unless an owner acting for the organisation, AlreadyMember.
    """
    require_owner_of(actor, organization.pk)
    return invite(organization=organization, actor=actor, email=email, role=role)


def invite(*, organization: Organization, actor: Actor, email: str, role: str) -> Invitation:
    """invitation_create once the caller may invite (an owner; platform admins for a regulator, SPEC §7a).

    Raises: AlreadyMember.
    """
    email = email.strip().lower()
    # Invitations of one organisation are made one at a time, so two concurrent invitations of an email
    # cannot both replace the pending one and then collide on the one-pending-per-email index.
    advisory_xact_lock(f"invitations:{organization.pk}")
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise AlreadyMember(field="email")
    now = timezone.now()
    pending = Invitation.objects.filter(organization=organization, email=email, status=InvitationStatus.PENDING)
    for pk, expires_at in pending.values_list("pk", "expires_at"):
        action = "expire" if expires_at <= now else "revoke"
        transition(INVITATION, pk, action=action, actor=actor, note=REPLACED_NOTE)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization=organization,
        email=email,
        role=role,
        token_hash=invitation_token_hash(token),
        invited_by=actor.user,
        expires_at=now + timedelta(days=settings.INVITATION_TTL_DAYS),
        created_at=now,
    )
    audit_record(
        actor=actor.audit,
        action="invitation.created",
        object_type="invitation",
        object_id=invitation.pk,
        organization_id=organization.pk,
        changes={"email": email, "role": role, "expires_at": invitation.expires_at.isoformat()},
    )
    notify_invitee(invitation=invitation, token=token)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: Actor) -> Invitation:
    """Withdraw an invitation; its link stops working.

    Raises: NotAParty unless an owner acting for the organisation, InvalidTransition unless pending.
    """
    require_owner_of(actor, invitation.organization_id)
    return transition(INVITATION, invitation.pk, action="revoke", actor=actor)


@transaction.atomic
def invitation_accept(*, invitation: Invitation, actor: Actor) -> Membership:
    """The signed-in person accepts an invitation addressed to their email: they become a member.

    Raises: InvitationInvalid (addressed to someone else, no longer pending, expired), StaffCannotJoin,
    AlreadyMember.
    """
    if actor.user is None or invitation.email != actor.user.email.lower():
        raise InvitationInvalid()
    return _accept(_lock_acceptable(invitation.pk), user=actor.user, actor=actor)


@transaction.atomic
def invitation_accept_by_token(*, token: str, password: str | None = None, full_name: str | None = None) -> Membership:
    """Accept with the emailed secret, which proves control of the invited mailbox: that email's account joins,
    or is created first with `password` (and `full_name`) when there is none.

    Raises: InvitationInvalid (unknown secret, expired, revoked or used), StaffCannotJoin, AlreadyMember,
    InvalidInput (no or a weak password for a new account; a password or name sent for an existing one).
    """
    pk = Invitation.objects.filter(token_hash=invitation_token_hash(token)).values_list("pk", flat=True).first()
    if pk is None:
        raise InvitationInvalid(field="token")
    invitation = _lock_acceptable(pk, field="token")
    user = User.objects.filter(email__iexact=invitation.email).first()
    if user is not None and is_platform_staff(user):
        raise StaffCannotJoin()
    if user is not None:
        _refuse_account_fields(password=password, full_name=full_name)
    else:
        user = _account_create(invitation, password=password, full_name=full_name or "")
    return _accept(invitation, user=user, actor=Actor(user=user, staff_roles=user.staff_roles))


def _lock_acceptable(pk: int, *, field: str | None = None) -> Invitation:
    """The invitation, locked, while it may still be accepted. Raises: InvitationInvalid."""
    try:
        invitation = transition_lock(INVITATION, pk, "accept")
    except InvalidTransition:
        raise InvitationInvalid(field=field) from None
    if invitation.expires_at <= timezone.now():
        raise InvitationInvalid(field=field)
    return invitation


def _accept(invitation: Invitation, *, user: User, actor: Actor) -> Membership:
    membership = membership_create(
        user=user,
        organization_id=invitation.organization_id,
        role=invitation.role,
        actor=actor,
        invitation_id=invitation.pk,
    )
    transition_apply(INVITATION, invitation, action="accept", actor=actor, changes={"accepted_by": user})
    return membership


def _refuse_account_fields(*, password: str | None, full_name: str | None) -> None:
    """An existing account keeps its own password and name: sending them is refused, not silently dropped.

    Only the holder of the secret, who controls the mailbox, ever learns this way that the account exists.
    """
    message = _("An account with this email already exists: accept without this field, then sign in as usual.")
    sent = [name for name, value in (("full_name", full_name), ("password", password)) if value is not None]
    if sent:
        raise InvalidInput([{"field": name, "code": "account_exists", "message": message} for name in sent])


def _account_create(invitation: Invitation, *, password: str | None, full_name: str) -> User:
    """Raises: InvalidInput (no or a weak password; the account was created meanwhile)."""
    if not password:
        message = _("Choose a password to create your account.")
        raise InvalidInput([{"field": "password", "code": "required", "message": message}])
    password_check(password, field="password", email=invitation.email, full_name=full_name)
    try:
        with transaction.atomic():
            user = User.objects.create_user(invitation.email, password, full_name=full_name)
    except IntegrityError:  # a concurrent acceptance of another invitation created it first
        _refuse_account_fields(password=password, full_name=full_name or None)
        raise
    audit_record(
        actor=Actor(user=user).audit,
        action="user.created",
        object_type="user",
        object_id=user.pk,
        # A platform record, not the organisation's: its members must not learn the email had no account.
        organization_id=None,
        changes={"email": user.email, "invitation": invitation.pk},
    )
    return user
