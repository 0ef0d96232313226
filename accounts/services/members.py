from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.choices import MemberRole
from accounts.errors import AlreadyMember, LastOwner, StaffCannotJoin
from accounts.models import Membership, User
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.errors import NotAParty, NotFound


def require_owner_of(actor: Actor, organization_id: int) -> None:
    """Raises: NotAParty unless the actor is an owner acting for this organisation (staff read members only)."""
    if not (actor.acts_for(organization_id) and actor.has_role(MemberRole.OWNER)):
        raise NotAParty(_("Only an owner of this organisation manages its members."))


def is_platform_staff(user: User) -> bool:
    """Staff act for the platform: a staff role, the admin site or a superuser (even while deactivated)."""
    return bool(user.staff_role) or user.is_staff or user.is_superuser


def membership_create(*, user: User, organization_id: int, role: str, actor: Actor, invitation_id: int) -> Membership:
    """The one way a person joins an existing organisation: an accepted invitation (services.invitations);
    registration makes only the founding owner's membership.

    Raises: StaffCannotJoin for platform staff, AlreadyMember.
    """
    if is_platform_staff(user):
        raise StaffCannotJoin()
    if Membership.objects.filter(user=user, organization_id=organization_id).exists():
        raise AlreadyMember()
    membership = Membership.objects.create(user=user, organization_id=organization_id, role=role)
    audit_record(
        actor=actor.audit,
        action="member.added",
        object_type="membership",
        object_id=membership.pk,
        organization_id=organization_id,
        changes={"email": user.email, "role": role, "invitation": invitation_id},
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
    """Raises: NotAParty, LastOwner when this would leave the organisation without an owner, StaffCannotJoin
    for a platform staff user's membership (made before staff were kept out; it may only be removed)."""
    require_owner_of(actor, membership.organization_id)
    # Lock the organisation's owner rows so two concurrent demotions cannot both pass the check.
    list(Membership.objects.select_for_update().filter(organization_id=membership.organization_id).order_by("pk"))
    membership.refresh_from_db()
    if is_platform_staff(membership.user):
        raise StaffCannotJoin()
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
    require_owner_of(actor, membership.organization_id)
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


@transaction.atomic
def member_leave(*, actor: Actor, organization_id: int) -> None:
    """A person leaves an organisation they are a member of, whichever organisation they act for.

    Raises: NotFound unless the person is a member of it, LastOwner when they are its only owner.
    """
    mine = Membership.objects.filter(user=actor.user, organization_id=organization_id)
    if actor.user is None or not mine.exists():
        raise NotFound()  # before any lock: a stranger's call must not hold up the organisation's members
    list(Membership.objects.select_for_update().filter(organization_id=organization_id).order_by("pk"))
    membership = mine.first()
    if membership is None:  # removed meanwhile
        raise NotFound()
    _ensure_an_owner_remains(membership)
    audit_record(
        actor=actor.audit,
        action="member.left",
        object_type="membership",
        object_id=membership.pk,
        organization_id=organization_id,
        changes={"email": actor.user.email, "role": membership.role},
    )
    membership.delete()


@transaction.atomic
def member_mandate_set(*, organization_id: int, user_id: int, acts_until: date | None, actor: Actor) -> bool:
    """Limit how long a member may act (write) for the organisation (Membership.acts_until; None lifts it): the
    first-business app keeps a sales representative's account to its power of attorney. No change when equal.

    Returns whether the member's mandate changed (False also when the person is not a member).
    """
    membership = Membership.objects.select_for_update().filter(user_id=user_id, organization_id=organization_id).first()
    if membership is None or membership.acts_until == acts_until:
        return False
    previous, membership.acts_until = membership.acts_until, acts_until
    membership.save(update_fields=["acts_until", "updated_at"])
    audit_record(
        actor=actor.audit,
        action="member.mandate_changed",
        object_type="membership",
        object_id=membership.pk,
        organization_id=organization_id,
        changes={"acts_until": [previous, acts_until]},
    )
    return True
