"""Who is calling: the person or API key, the organisation they act for, their role in it, their staff roles.

Every service takes an `Actor`; permission policies (pharmex.api.permissions) and the audit log read it. The
kernel defines what an actor is; the accounts app knows how a request becomes one (memberships, API keys) and
is reached through `settings.ACTOR_RESOLVER`, so the kernel imports no app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.module_loading import import_string

from pharmex.audit import SYSTEM, AuditActor
from pharmex.choices import StaffRole
from pharmex.errors import NotAParty, OrganizationRequired
from pharmex.models import AuditEvent

if TYPE_CHECKING:
    from collections.abc import Callable

    from rest_framework.request import Request


@dataclass(frozen=True)
class Actor:
    """The caller of a service. Exactly one of `user` / `api_key` is set for authenticated callers;
    `system` marks the platform's own jobs.

    `user`, `api_key`, `organization` and `memberships` hold accounts' models (User, OrganizationApiKey,
    Organization, Membership).
    """

    user: Any = None
    api_key: Any = None
    organization: Any = None
    role: str | None = None
    staff_roles: frozenset[str] = field(default_factory=frozenset)
    memberships: tuple[Any, ...] = ()
    system: bool = False
    suspended: bool = False  # the organisation it acts for is suspended (accounts decides what that means)
    mandate_expired: bool = False  # its authority to act for the organisation ended (e.g. a power of attorney)
    # Acting for a regulator (药品监督管理部门): the province codes of its jurisdiction. None for everyone else.
    # A regulator reads what concerns organisations in its jurisdiction and writes nothing (SPEC §7a).
    jurisdiction: frozenset[str] | None = None

    @property
    def is_admin(self) -> bool:
        return StaffRole.ADMIN in self.staff_roles

    @property
    def is_finance_admin(self) -> bool:
        return StaffRole.FINANCE_ADMIN in self.staff_roles

    @property
    def is_staff(self) -> bool:
        return bool(self.staff_roles)

    @property
    def is_regulator(self) -> bool:
        return self.jurisdiction is not None

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None or self.api_key is not None or self.system

    @property
    def organization_id(self) -> int | None:
        return self.organization.pk if self.organization is not None else None

    def has_role(self, *roles: str) -> bool:
        return self.organization is not None and self.role in roles

    def acts_for(self, organization_id: int | None) -> bool:
        """True when the actor acts for this organisation (whatever its role)."""
        return self.organization is not None and organization_id is not None and self.organization.pk == organization_id

    def require_organization(self) -> Any:
        """Raises: OrganizationRequired when the caller acts for no single organisation."""
        if self.organization is None:
            raise OrganizationRequired()
        return self.organization

    def require_staff(self, *roles: str) -> None:
        """Services that only platform staff (or the platform's own jobs) may run call this first.

        Raises: NotAParty unless the actor is the system or holds one of `roles` (any staff role when none).
        """
        if not (self.system or (self.staff_roles & frozenset(roles or StaffRole.values))):
            raise NotAParty()

    @property
    def audit(self) -> AuditActor:
        if self.system:
            return SYSTEM
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
# The platform's own jobs (beat tasks, event reactions): they see and may do what any staff role may.
SYSTEM_ACTOR = Actor(system=True, staff_roles=frozenset(StaffRole.values))


@cache
def _resolver() -> Callable[[Request], Actor]:
    return import_string(settings.ACTOR_RESOLVER)


def resolved_actor(request: Request) -> Actor | None:
    """The request's actor if something has already asked for it, else None (without resolving it now)."""
    return getattr(request, "_pharmex_actor", None)


def actor_from_request(request: Request) -> Actor:
    """The actor of a DRF request, resolved once (settings.ACTOR_RESOLVER) and cached on it."""
    cached = getattr(request, "_pharmex_actor", None)
    if cached is not None:
        return cached
    actor = _resolver()(request)
    request._pharmex_actor = actor
    return actor
