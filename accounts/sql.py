"""The accounts app's hand-written SQL (pharmex/db.py has the policy; tests/accounts/test_sql.py the parity).

Both run on every request: the person with their memberships for bearer-token authentication and every
authorisation decision, and the licences that give the parties of every placement their trading standing (inside
the gate's one statement, orders.sql.gate_reads).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from accounts.choices import LicenseStatus
from accounts.models import License, Membership, Organization, User
from pharmex.db import RowModel, fetch_all, split_row

_USER, _MEMBERSHIP = RowModel(User, "person"), RowModel(Membership, "membership")
_ORGANIZATION = RowModel(Organization, "organization")

# Membership.objects.select_related("organization").filter(user=…).order_by("id")
MEMBERSHIPS = f"""
    SELECT {_MEMBERSHIP.columns}, {_ORGANIZATION.columns}
    FROM {_MEMBERSHIP.table}
    JOIN {_ORGANIZATION.table} ON {_ORGANIZATION.column("id")} = {_MEMBERSHIP.column("organization")}
    WHERE {_MEMBERSHIP.column("user")} = %s
    ORDER BY {_MEMBERSHIP.column("id")}
"""

# The user, then the same memberships: one row per membership, or one with NULL memberships.
USER_WITH_MEMBERSHIPS = f"""
    SELECT {_USER.columns}, {_MEMBERSHIP.columns}, {_ORGANIZATION.columns}
    FROM {_USER.table}
    LEFT JOIN {_MEMBERSHIP.table} ON {_MEMBERSHIP.column("user")} = {_USER.column("id")}
    LEFT JOIN {_ORGANIZATION.table} ON {_ORGANIZATION.column("id")} = {_MEMBERSHIP.column("organization")}
    WHERE {_USER.column("id")} = %s
    ORDER BY {_MEMBERSHIP.column("id")}
"""

_LICENSE = RowModel(License, "license")
VALID_LICENSE_COLUMNS = 7  # what valid_licenses_of selects, in trading_standings_from's order


def valid_licenses_of(organizations: str) -> str:
    """accounts.selectors._valid_license_filter, joined to the licence's organisation, for the organisations of the
    SQL array `organizations` (parameters %(approved)s, %(on)s). The gate also reads it inside its one statement
    (orders.sql.gate_reads)."""
    return f"""
    SELECT {_LICENSE.column("organization")}, {_ORGANIZATION.column("kind")}, {_ORGANIZATION.column("status")},
           {_LICENSE.column("type")}, {_LICENSE.column("scope_tags")}, {_LICENSE.column("number")},
           {_LICENSE.column("valid_until")}
    FROM {_LICENSE.table}
    JOIN {_ORGANIZATION.table} ON {_ORGANIZATION.column("id")} = {_LICENSE.column("organization")}
    WHERE {_LICENSE.column("status")} = %(approved)s
      AND {_LICENSE.column("valid_from")} <= %(on)s AND {_LICENSE.column("valid_until")} >= %(on)s
      AND {_LICENSE.column("organization")} = ANY({organizations})
"""


VALID_LICENSES = valid_licenses_of("%(organizations)s")


def memberships_of(user: User) -> tuple[Membership, ...]:
    return _memberships_from(fetch_all(MEMBERSHIPS, [user.pk]), user)


def user_with_memberships(user_id: int) -> User | None:
    """The user with `loaded_memberships` set, in one query; None if there is no such user."""
    rows = fetch_all(USER_WITH_MEMBERSHIPS, [user_id])
    if not rows:
        return None
    width = len(_USER.fields)
    user = _USER.build(rows[0][:width])
    user.loaded_memberships = _memberships_from([row[width:] for row in rows], user)
    return user


def _memberships_from(rows: Sequence, user: User) -> tuple[Membership, ...]:
    memberships = []
    for row in rows:
        if row[0] is None:  # a person without memberships: the LEFT JOIN's empty row
            break
        membership, organization = split_row(row, _MEMBERSHIP, _ORGANIZATION)
        membership.user, membership.organization = user, organization
        memberships.append(membership)
    return tuple(memberships)


def valid_licenses(*, organization_ids: list[int], on: date) -> list[tuple[int, str, str, str, list[str], str, date]]:
    """(organisation id, its kind, its status, licence type, scope tags, number, valid until) of every licence valid
    on `on`."""
    return fetch_all(
        VALID_LICENSES, {"approved": LicenseStatus.APPROVED.value, "on": on, "organizations": organization_ids}
    )
