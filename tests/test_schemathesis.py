"""Property-based API fuzzing over every operation of the OpenAPI schema (RELIABILITY §8).

Each operation is called with generated data as several kinds of caller; any 5xx, any response
that violates the documented schema, status code or content type fails the test. Tenancy is not
schemathesis' job (it does not know who owns what): the permission matrices cover that.
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from rest_framework_simplejwt.tokens import AccessToken
from schemathesis.specs.openapi.checks import positive_data_acceptance

from accounts.choices import MemberRole, OrganizationKind
from accounts.models import OrganizationApiKey
from pharmex.choices import StaffRole
from tests.factories import LicenseFactory, MembershipFactory, OrganizationFactory, UserFactory

# The API validates more than a schema can say (check characters of USCC/GTIN/本位码, cross-field and
# business rules), so schema-valid data may still be refused with 400: that check does not apply.
NOT_APPLICABLE = [positive_data_acceptance]
ROLES = ["anonymous", "buyer_owner", "supplier_operator", "api_key_finance", "platform_admin"]


@pytest.fixture
def _keep_test_connection():
    """In-process WSGI calls fire request_finished → close_old_connections, which would close the
    connection holding the test transaction; Django's test client disconnects it the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db, settings, _keep_test_connection):
    settings.ALLOWED_HOSTS = ["testserver", "localhost"]
    from pharmex.wsgi import application

    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


def _auth_headers(role: str) -> dict[str, str]:
    if role == "anonymous":
        return {}
    if role == "platform_admin":
        user = UserFactory(staff_role=StaffRole.ADMIN, is_staff=True)
        return {"Authorization": f"Bearer {AccessToken.for_user(user)}"}
    if role == "api_key_finance":
        organization = OrganizationFactory(kind=OrganizationKind.HOSPITAL)
        _, secret = OrganizationApiKey.objects.create_key(
            name="fuzz", organization=organization, role=MemberRole.FINANCE
        )
        return {"Authorization": f"Api-Key {secret}"}
    kind, member_role = {
        "buyer_owner": (OrganizationKind.PHARMACY, MemberRole.OWNER),
        "supplier_operator": (OrganizationKind.DISTRIBUTOR, MemberRole.OPERATOR),
    }[role]
    organization = OrganizationFactory(kind=kind)
    LicenseFactory(organization=organization, type="business", status="pending")
    user = MembershipFactory(organization=organization, role=member_role).user
    return {"Authorization": f"Bearer {AccessToken.for_user(user)}"}


@pytest.fixture
def callers() -> dict[str, dict[str, str]]:
    return {}


schema = schemathesis.pytest.from_fixture("api_schema")


def _conformance_test_as(role: str):
    @pytest.mark.slow
    @schema.parametrize()
    @hypothesis.settings(
        max_examples=6,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(hypothesis.HealthCheck),
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
    )
    def test(case, callers):
        if role not in callers:  # one caller per test function: examples share its transaction
            callers[role] = _auth_headers(role)
        case.call_and_validate(headers=callers[role], excluded_checks=NOT_APPLICABLE)

    test.__name__ = f"test_api_conforms_to_its_schema_as_{role}"
    return test


# One test per kind of caller (schemathesis' lazy schema cannot be combined with pytest parametrize).
for _role in ROLES:
    globals()[f"test_api_conforms_to_its_schema_as_{_role}"] = _conformance_test_as(_role)
