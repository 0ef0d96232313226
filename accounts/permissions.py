"""Coarse role checks (STYLE G19 layer 1); which rows an actor sees is the selectors' job."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from accounts.actor import Actor, actor_from_request
from accounts.choices import MemberRole
from accounts.errors import OrganizationRequired

ANY_ROLE = tuple(MemberRole.values)


class IsPlatformAdmin(BasePermission):
    def has_permission(self, request, view) -> bool:
        return actor_from_request(request).is_admin


class IsFinanceAdmin(BasePermission):
    def has_permission(self, request, view) -> bool:
        return actor_from_request(request).is_finance_admin


def acts_with_role(actor: Actor, roles: tuple[str, ...]) -> bool:
    """True when the actor acts for an organisation in one of `roles`.

    Raises: OrganizationRequired when a person with several memberships did not say which one.
    """
    if actor.organization is None and len(actor.memberships) > 1:
        raise OrganizationRequired()
    return actor.has_role(*roles)


def member_with_role(*roles: str) -> type[BasePermission]:
    """A permission class admitting members (users or API keys) holding one of `roles`."""

    class HasRole(BasePermission):
        def has_permission(self, request, view) -> bool:
            return acts_with_role(actor_from_request(request), roles)

    HasRole.__name__ = f"HasRole_{'_'.join(roles)}"
    return HasRole


def staff_or_member_with_role(*roles: str) -> type[BasePermission]:
    class StaffOrHasRole(BasePermission):
        def has_permission(self, request, view) -> bool:
            actor = actor_from_request(request)
            return actor.is_staff or acts_with_role(actor, roles)

    return StaffOrHasRole


class IsPersonWithOrganization(BasePermission):
    """A signed-in person (not an API key) acting for an organisation."""

    def has_permission(self, request, view) -> bool:
        actor = actor_from_request(request)
        return actor.user is not None and actor.organization is not None
