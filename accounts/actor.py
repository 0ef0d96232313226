"""How a request becomes an Actor (pharmex.actor): the API key's organisation, or the person's membership.

`resolve_actor` is the kernel's settings.ACTOR_RESOLVER; services and views get the actor through
`pharmex.actor.actor_from_request`.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.request import Request

from accounts import sql
from accounts.choices import OrganizationStatus
from accounts.models import Membership, Organization, OrganizationApiKey, User
from pharmex.actor import ANONYMOUS, Actor, actor_from_request

ORGANIZATION_HEADER = "X-Organization-ID"


def user_with_memberships(user_id: int) -> User | None:
    """The user, their memberships already loaded for actor_for_user, in one query; None if there is none."""
    return sql.user_with_memberships(user_id)


def _memberships_of(user: User) -> tuple[Membership, ...]:
    loaded = getattr(user, "loaded_memberships", None)
    return loaded if loaded is not None else sql.memberships_of(user)


def actor_for_user(user: User, organization_id: int | None = None) -> Actor:
    """The actor for a signed-in user; with one membership it is implied, with several it must be named."""
    memberships = _memberships_of(user)
    chosen: Membership | None = None
    if organization_id is not None:
        chosen = next((m for m in memberships if m.organization_id == organization_id), None)
    elif len(memberships) == 1 and not user.staff_roles:
        # Platform staff act for the platform: an organisation only when they name it (a membership from before
        # staff could not join one must not make a staff member act for it by default).
        chosen = memberships[0]
    organization = chosen.organization if chosen else None
    return Actor(
        user=user,
        organization=organization,
        role=chosen.role if chosen else None,
        staff_roles=user.staff_roles,
        memberships=memberships,
        suspended=_suspended(organization),
        mandate_expired=chosen is not None and _mandate_expired(chosen),
        jurisdiction=_jurisdiction(organization),
    )


def actor_for_api_key(api_key: OrganizationApiKey) -> Actor:
    organization = api_key.organization
    return Actor(
        api_key=api_key,
        organization=organization,
        role=api_key.role,
        suspended=_suspended(organization),
        jurisdiction=_jurisdiction(organization),
    )


def _jurisdiction(organization: Organization | None) -> frozenset[str] | None:
    """A regulator's province codes (SPEC §7a); None for anyone not acting for a regulator."""
    if organization is None or not organization.is_regulator:
        return None
    return frozenset(organization.jurisdiction)


def _mandate_expired(membership: Membership) -> bool:
    """Past the membership's `acts_until` (a sales representative's power of attorney ran out): read only."""
    return membership.acts_until is not None and membership.acts_until < timezone.localdate()


def _suspended(organization: Organization | None) -> bool:
    return organization is not None and organization.status == OrganizationStatus.SUSPENDED


def resolve_actor(request: Request) -> Actor:
    """settings.ACTOR_RESOLVER: the actor of a DRF request.

    Raises: ValidationError (400) when X-Organization-ID is sent but is not an organisation id, whoever calls.
    """
    organization_id = _organization_header(request)
    if isinstance(request.auth, OrganizationApiKey):
        return actor_for_api_key(request.auth)
    if request.user is None or isinstance(request.user, AnonymousUser) or not request.user.is_authenticated:
        return ANONYMOUS
    return actor_for_user(request.user, organization_id)


def _organization_header(request: Request) -> int | None:
    raw = request.headers.get(ORGANIZATION_HEADER)
    if raw is None:
        return None
    value = raw.strip()
    if not (value.isascii() and value.isdigit() and 1 <= int(value) < 2**63):
        message = _("Must be an organisation id (a positive whole number).")
        raise ValidationError({ORGANIZATION_HEADER: [ErrorDetail(message, code="invalid")]})
    return int(value)  # an organisation the person is not a member of: they act for none


def idempotency_scope(request: Request) -> str | None:
    """Idempotency keys are scoped to the caller's organisation (settings.IDEMPOTENCY_SCOPE_FUNCTION)."""
    actor = actor_from_request(request)
    if actor.organization is not None:
        return f"org:{actor.organization.pk}"
    if actor.user is not None:
        return f"user:{actor.user.pk}"
    return None
