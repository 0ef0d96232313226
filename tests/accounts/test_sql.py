"""accounts/sql.py against the ORM: the person with their memberships, and the valid trading licences."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import sql
from accounts.choices import LicenseStatus, MemberRole, OrganizationKind
from accounts.models import License, Membership, User
from accounts.selectors import _valid_license_filter
from tests.factories import LicenseFactory, MembershipFactory, OrganizationFactory, UserFactory
from tests.sql_parity import fields

pytestmark = pytest.mark.django_db


def _by_orm(user: User) -> list[Membership]:
    return list(Membership.objects.select_related("organization").filter(user=user).order_by("id"))


def _same_memberships(by_sql, by_orm) -> None:
    assert [fields(m) for m in by_sql] == [fields(m) for m in by_orm]
    assert [fields(m.organization) for m in by_sql] == [fields(m.organization) for m in by_orm]


def test_memberships_read_as_the_orm_reads_them():
    user = UserFactory()
    for kind, role in ((OrganizationKind.PHARMACY, MemberRole.OWNER), (OrganizationKind.HOSPITAL, MemberRole.VIEWER)):
        MembershipFactory(user=user, organization=OrganizationFactory(kind=kind), role=role)
    MembershipFactory()  # someone else's

    _same_memberships(sql.memberships_of(user), _by_orm(user))


@pytest.mark.parametrize("memberships", [0, 1, 3])
def test_the_user_with_memberships_reads_as_the_orm_reads_them(memberships):
    user = UserFactory()
    for _ in range(memberships):
        MembershipFactory(user=user)

    loaded = sql.user_with_memberships(user.pk)

    assert fields(loaded) == fields(User.objects.get(pk=user.pk))
    _same_memberships(loaded.loaded_memberships, _by_orm(user))


def test_an_unknown_user_is_none():
    assert sql.user_with_memberships(987654321) is None


def test_valid_licences_are_the_ones_the_orm_filter_finds():
    today = timezone.localdate()
    a, b, c = (OrganizationFactory(trading=False) for _ in range(3))
    LicenseFactory(organization=a, scope_tags=["chemical", "rx"])
    LicenseFactory(organization=a, type="business", scope_tags=[])
    LicenseFactory(organization=b, status=LicenseStatus.PENDING)
    LicenseFactory(organization=b, valid_until=today - timedelta(days=1))
    LicenseFactory(organization=c, valid_from=today + timedelta(days=1))
    LicenseFactory(organization=c, valid_until=today)

    by_sql = sql.valid_licenses(organization_ids=[a.pk, b.pk, c.pk], on=today)

    by_orm = License.objects.filter(_valid_license_filter(today), organization__in=[a, b, c]).values_list(
        "organization_id", "organization__kind", "organization__status", "type", "scope_tags", "number", "valid_until"
    )
    assert sorted(by_sql) == sorted(by_orm)
    assert len(by_sql) == 3
