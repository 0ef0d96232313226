from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.choices import MemberRole
from accounts.errors import AlreadyMember, LastOwner
from accounts.models import Membership, Organization, User
from accounts.services.passwords import password_check
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.errors import InvalidInput, NotAParty


def _require_owner_of(actor: Actor, organization_id: int) -> None:
    """Raises: NotAParty unless the actor is an owner acting for this organisation (staff read members only)."""
    if not (actor.acts_for(organization_id) and actor.has_role(MemberRole.OWNER)):
        raise NotAParty(_("Only an owner of this organisation manages its members."))


@transaction.atomic
def member_add(
    *, organization: Organization, actor: Actor, email: str, role: str, full_name: str = "", password: str | None = None
) -> Membership:
    """Add an existing user, or create the account with an initial password, as a member.

    Raises: NotAParty, AlreadyMember, InvalidInput (no password for a new account, or a weak one).
    """
    _require_owner_of(actor, organization.pk)
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        if not password:
            raise InvalidInput(
                [{"field": "password", "code": "required", "message": _("A new account needs an initial password.")}]
            )
        password_check(password, field="password", email=email, full_name=full_name)
        user = User.objects.create_user(email, password, full_name=full_name)
    elif Membership.objects.filter(user=user, organization=organization).exists():
        raise AlreadyMember(field="email")
    membership = Membership.objects.create(user=user, organization=organization, role=role)
    audit_record(
        actor=actor.audit,
        action="member.added",
        object_type="membership",
        object_id=membership.pk,
        organization_id=organization.pk,
        changes={"email": email, "role": role},
    )
    return membership


def _ensure_an_owner_remains(membership: Membership) -> None:
    others = Membership.objects.filter(organization_id=membership.organization_id, role=MemberRole.OWNER).exclude(
        pk=membership.pk
    )
    if membership.role == MemberRole.OWNER and not others.exists():
        raise LastOwner()


@transaction.atomic
def member_change_role(*, membership: Membership, actor: Actor, role: str) -> Membership:
    """Raises: NotAParty, LastOwner when this would leave the organisation without an owner."""
    _require_owner_of(actor, membership.organization_id)
    # Lock the organisation's owner rows so two concurrent demotions cannot both pass the check.
    list(Membership.objects.select_for_update().filter(organization_id=membership.organization_id).order_by("pk"))
    membership.refresh_from_db()
    previous = membership.role
    if role != MemberRole.OWNER:
        _ensure_an_owner_remains(membership)
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    audit_record(
        actor=actor.audit,
        action="member.role_changed",
        object_type="membership",
        object_id=membership.pk,
        organization_id=membership.organization_id,
        changes={"role": [previous, role]},
    )
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, actor: Actor) -> None:
    """Raises: NotAParty, LastOwner when removing the only owner."""
    _require_owner_of(actor, membership.organization_id)
    list(Membership.objects.select_for_update().filter(organization_id=membership.organization_id).order_by("pk"))
    membership.refresh_from_db()
    _ensure_an_owner_remains(membership)
    audit_record(
        actor=actor.audit,
        action="member.removed",
        object_type="membership",
        object_id=membership.pk,
        organization_id=membership.organization_id,
        changes={"email": membership.user.email, "role": membership.role},
    )
    membership.delete()
