"""Who is calling: the user or API key, the organisation they act for, and their role in it."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser
from django.db import connection
from rest_framework.request import Request

from accounts.choices import MemberRole, StaffRole
from accounts.errors import OrganizationRequired
from accounts.models import Membership, Organization, OrganizationApiKey, User
from pharmex.audit import AuditActor
from pharmex.db import RowModel, split_row
from pharmex.models import AuditEvent

ORGANIZATION_HEADER = "X-Organization-ID"


@dataclass(frozen=True)
class Actor:
    """The caller of a service. Exactly one of `user` / `api_key` is set for authenticated callers."""

    user: User | None = None
    api_key: OrganizationApiKey | None = None
    organization: Organization | None = None
    role: str | None = None
    staff_roles: frozenset[str] = field(default_factory=frozenset)
    memberships: tuple[Membership, ...] = ()

    @property
    def is_admin(self) -> bool:
        return StaffRole.ADMIN in self.staff_roles

    @property
    def is_finance_admin(self) -> bool:
        return StaffRole.FINANCE_ADMIN in self.staff_roles

    @property
    def is_staff(self) -> bool:
        return bool(self.staff_roles)

    def has_role(self, *roles: str) -> bool:
        return self.organization is not None and self.role in roles

    def require_organization(self) -> Organization:
        """Raises: OrganizationRequired when the caller acts for no single organisation."""
        if self.organization is None:
            raise OrganizationRequired()
        return self.organization

    @property
    def audit(self) -> AuditActor:
        if self.api_key is not None:
            return AuditActor(
                type=AuditEvent.ActorType.API_KEY,
                label=f"api-key:{self.api_key.prefix}",
                api_key_id=self.api_key.prefix,
            )
        if self.user is not None:
            return AuditActor(type=AuditEvent.ActorType.USER, label=self.user.email, user_id=self.user.pk)
        return AuditActor(type=AuditEvent.ActorType.ANONYMOUS, label="anonymous")


ANONYMOUS = Actor()


_MEMBERSHIP, _ORGANIZATION = RowModel(Membership, "membership"), RowModel(Organization, "organization")
# Membership.objects.select_related("organization").filter(user=…), written once: it runs on every
# request of a signed-in person (pharmex/db.py says why).
_MEMBERSHIPS_SQL = f"""
    SELECT {_MEMBERSHIP.columns}, {_ORGANIZATION.columns}
    FROM {_MEMBERSHIP.table}
    JOIN {_ORGANIZATION.table} ON organization.id = membership.organization_id
    WHERE membership.user_id = %s
    ORDER BY membership.id
"""


_USER = RowModel(User, "person")
# The person with their memberships and organisations: bearer-token authentication needs the one,
# every authorisation decision the other.
_USER_SQL = f"""
    SELECT {_USER.columns}, {_MEMBERSHIP.columns}, {_ORGANIZATION.columns}
    FROM {_USER.table}
    LEFT JOIN {_MEMBERSHIP.table} ON membership.user_id = person.id
    LEFT JOIN {_ORGANIZATION.table} ON organization.id = membership.organization_id
    WHERE person.id = %s
    ORDER BY membership.id
"""


def user_with_memberships(user_id: int) -> User | None:
    """The user, their memberships already loaded for actor_for_user, in one query; None if there is none."""
    with connection.cursor() as cursor:
        cursor.execute(_USER_SQL, [user_id])
        rows = cursor.fetchall()
    if not rows:
        return None
    width = len(_USER.fields)
    user = _USER.build(rows[0][:width])
    user.loaded_memberships = _memberships_from([row[width:] for row in rows], user)
    return user


def _memberships_of(user: User) -> tuple[Membership, ...]:
    loaded = getattr(user, "loaded_memberships", None)
    if loaded is not None:
        return loaded
    with connection.cursor() as cursor:
        cursor.execute(_MEMBERSHIPS_SQL, [user.pk])
        return _memberships_from(cursor.fetchall(), user)


def _memberships_from(rows: list, user: User) -> tuple[Membership, ...]:
    memberships = []
    for row in rows:
        if row[0] is None:  # a person without memberships: the LEFT JOIN's empty row
            break
        membership, organization = split_row(row, _MEMBERSHIP, _ORGANIZATION)
        membership.user, membership.organization = user, organization
        memberships.append(membership)
    return tuple(memberships)


def actor_for_user(user: User, organization_id: int | None = None) -> Actor:
    """The actor for a signed-in user; with one membership it is implied, with several it must be named."""
    memberships = _memberships_of(user)
    chosen: Membership | None = None
    if organization_id is not None:
        chosen = next((m for m in memberships if m.organization_id == organization_id), None)
    elif len(memberships) == 1:
        chosen = memberships[0]
    return Actor(
        user=user,
        organization=chosen.organization if chosen else None,
        role=chosen.role if chosen else None,
        staff_roles=user.staff_roles,
        memberships=memberships,
    )


def actor_for_api_key(api_key: OrganizationApiKey) -> Actor:
    return Actor(api_key=api_key, organization=api_key.organization, role=api_key.role)


def actor_from_request(request: Request) -> Actor:
    """The actor of a DRF request, resolved once and cached on it."""
    cached = getattr(request, "_pharmex_actor", None)
    if cached is not None:
        return cached
    if isinstance(request.auth, OrganizationApiKey):
        actor = actor_for_api_key(request.auth)
    elif request.user is None or isinstance(request.user, AnonymousUser) or not request.user.is_authenticated:
        actor = ANONYMOUS
    else:
        actor = actor_for_user(request.user, _organization_header(request))
    request._pharmex_actor = actor
    return actor


def _organization_header(request: Request) -> int | None:
    raw = request.headers.get(ORGANIZATION_HEADER)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        return -1  # names no organisation: the caller acts for none


def idempotency_scope(request: Request) -> str | None:
    """Idempotency keys are scoped to the caller's organisation (settings.IDEMPOTENCY_SCOPE_FUNCTION)."""
    actor = actor_from_request(request)
    if actor.organization is not None:
        return f"org:{actor.organization.pk}"
    if actor.user is not None:
        return f"user:{actor.user.pk}"
    return None


OWNER_ONLY = (MemberRole.OWNER,)
