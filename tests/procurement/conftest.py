from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.choices import MemberRole, OrganizationKind
from accounts.models import Organization, User
from catalog.models import Drug, Offer
from tests.conftest import client_for
from tests.factories import DrugFactory, MembershipFactory, OfferFactory, OrganizationFactory

TODAY = timezone.localdate


@dataclass
class Public:
    """A drug held by a manufacturer (its MAH), sold by the MAH and two distributors, and a public hospital."""

    mah: Organization
    distributor: Organization
    other: Organization
    hospital: Organization
    drug: Drug
    mah_offer: Offer
    offer: Offer  # the distributor's
    other_offer: Offer

    def client(self, organization: Organization, role: str = MemberRole.OPERATOR):
        return client_for(member(organization, role))


def member(organization: Organization, role: str = MemberRole.OPERATOR) -> User:
    return MembershipFactory(organization=organization, role=role).user


@pytest.fixture
def public(db) -> Public:
    mah = OrganizationFactory(kind=OrganizationKind.MANUFACTURER, legal_name="海南制药厂")
    distributor = OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR, legal_name="海南配送医药")
    other = OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR, legal_name="其他医药")
    hospital = OrganizationFactory(kind=OrganizationKind.HOSPITAL, ownership="public", legal_name="海南省人民医院")
    drug = DrugFactory(mah_organization=mah)
    return Public(
        mah=mah,
        distributor=distributor,
        other=other,
        hospital=hospital,
        drug=drug,
        mah_offer=OfferFactory(supplier=mah, drug=drug, unit_price=Decimal("10.00")),
        offer=OfferFactory(supplier=distributor, drug=drug, unit_price=Decimal("10.00")),
        other_offer=OfferFactory(supplier=other, drug=drug, unit_price=Decimal("10.00")),
    )


def days(n: int):
    return TODAY() + timedelta(days=n)
