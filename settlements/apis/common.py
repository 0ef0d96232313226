from __future__ import annotations

from rest_framework.permissions import BasePermission

from accounts.actor import actor_from_request
from accounts.choices import MemberRole
from accounts.permissions import staff_or_member_with_role

# Money is read by the owner, finance and read-only members; operators run offers and orders.
READ_ROLES = (MemberRole.OWNER, MemberRole.FINANCE, MemberRole.VIEWER)
ReadsMoney = staff_or_member_with_role(*READ_ROLES)


class IsPlatformStaff(BasePermission):
    """Platform admins and finance admins."""

    def has_permission(self, request, view) -> bool:
        return actor_from_request(request).is_staff
