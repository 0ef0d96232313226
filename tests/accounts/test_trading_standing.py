"""`trading_standings` applies may_trade_q's rule in Python: the two must agree on every case (SPEC §3)."""

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.choices import TRADING_KINDS, TRADING_LICENSE_FOR_KIND, LicenseStatus, LicenseType, OrganizationStatus
from accounts.models import Organization
from accounts.selectors import NO_STANDING, may_trade_q, trading_standings
from tests.factories import LicenseFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LICENCES = {  # what licences the organisation holds, besides none at all
    "trading": {},
    "other_type": {"wrong_type": True},
    "pending": {"status": LicenseStatus.PENDING},
    "rejected": {"status": LicenseStatus.REJECTED},
    "expired": {"valid_until": TODAY - timedelta(days=1)},
    "not_yet_valid": {"valid_from": TODAY + timedelta(days=1)},
    "last_day": {"valid_until": TODAY},
}


def _organization(kind: str, status: str, licences: tuple[str, ...]) -> Organization:
    organization = OrganizationFactory(kind=kind, status=status, trading=False)
    for name in licences:
        options = dict(LICENCES[name])
        trading_type = TRADING_LICENSE_FOR_KIND[kind]
        license_type = (
            next(t for t in LicenseType.values if t != trading_type) if options.pop("wrong_type", 0) else None
        )
        LicenseFactory(organization=organization, type=license_type or trading_type, scope_tags=[name], **options)
    return organization


def test_the_python_rule_agrees_with_may_trade_q_for_every_kind_status_and_licence():
    cases = [
        (kind, status, licences)
        for kind, status in itertools.product(sorted(TRADING_KINDS), OrganizationStatus.values)
        for licences in [(), *[(name,) for name in LICENCES], ("expired", "trading"), ("other_type", "pending")]
    ]
    organizations = {_organization(*case).pk: case for case in cases}

    standings = trading_standings(organization_ids=organizations, on=TODAY)
    in_sql = set(Organization.objects.filter(may_trade_q(on=TODAY), pk__in=organizations).values_list("pk", flat=True))

    for pk, (kind, status, licences) in organizations.items():
        standing = standings.get(pk, NO_STANDING)
        assert standing.may_trade is (pk in in_sql), (kind, status, licences)
        valid = {name for name in licences if name in ("trading", "other_type", "last_day")}
        assert standing.scope_tags == valid, (kind, status, licences)
    assert in_sql, "some case must be able to trade, or the comparison proves nothing"
    assert len(in_sql) < len(organizations)


def test_one_query_for_any_number_of_organisations(django_assert_num_queries):
    organizations = [OrganizationFactory() for _ in range(5)]
    with django_assert_num_queries(1):
        standings = trading_standings(organization_ids=[o.pk for o in organizations])
    assert all(standings[o.pk].may_trade for o in organizations)
