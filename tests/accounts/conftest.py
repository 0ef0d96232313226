"""The cast of the accounts tests: two organisations, every role of A, an API key of A, platform staff."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from accounts.choices import MemberRole, OrganizationKind
from accounts.models import Membership, Organization, OrganizationApiKey, User
from tests.factories import MembershipFactory, OrganizationFactory

# Every caller of the permission matrices; "api_key" is an operator key of organisation A.
CALLERS = (
    "anonymous",
    "owner",
    "operator",
    "finance",
    "viewer",
    "api_key",
    "other_owner",
    "admin",
    "finance_admin",
)


@dataclass(frozen=True)
class Cast:
    org_a: Organization
    org_b: Organization
    users: dict[str, User]
    api_key_a: OrganizationApiKey
    api_key_a_secret: str
    api_key_b: OrganizationApiKey
    make_client: object

    def membership(self, caller: str) -> Membership:
        organization = self.org_b if caller == "other_owner" else self.org_a
        return Membership.objects.get(user=self.users[caller], organization=organization)

    def client(self, caller: str) -> APIClient:
        if caller == "anonymous":
            return self.make_client()
        if caller == "api_key":
            return self.make_client(api_key=self.api_key_a_secret)
        return self.make_client(self.users[caller])


@pytest.fixture
def cast(db, as_client, admin_user, finance_admin_user) -> Cast:
    org_a = OrganizationFactory(kind=OrganizationKind.PHARMACY, legal_name="海口甲大药房有限公司")
    org_b = OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR, legal_name="三亚乙医药有限公司")
    users = {
        role: MembershipFactory(organization=org_a, role=role, user__email=f"{role}@a.test").user
        for role in (MemberRole.OWNER, MemberRole.OPERATOR, MemberRole.FINANCE, MemberRole.VIEWER)
    }
    users["other_owner"] = MembershipFactory(organization=org_b, role=MemberRole.OWNER, user__email="owner@b.test").user
    users["admin"] = admin_user
    users["finance_admin"] = finance_admin_user
    api_key_a, secret = OrganizationApiKey.objects.create_key(
        name="ERP of A", organization=org_a, role=MemberRole.OPERATOR, created_by=users["owner"]
    )
    api_key_b, _ = OrganizationApiKey.objects.create_key(
        name="ERP of B", organization=org_b, role=MemberRole.OPERATOR, created_by=users["other_owner"]
    )
    return Cast(
        org_a=org_a,
        org_b=org_b,
        users={str(name): user for name, user in users.items()},
        api_key_a=api_key_a,
        api_key_a_secret=secret,
        api_key_b=api_key_b,
        make_client=as_client,
    )
