"""Self-registration through qualification: register → sign in → verified → licence approved → may trade."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.choices import LicenseStatus, MemberRole, OrganizationStatus
from accounts.models import License, Membership, Organization, User
from accounts.selectors import organization_may_trade
from pharmex.models import AuditEvent
from tests.accounts.helpers import (
    audit_rows,
    license_body,
    me_body,
    not_writable,
    organization_body,
    problem,
    validation_error,
)
from tests.factories import OrganizationFactory, UserFactory

pytestmark = pytest.mark.django_db

USCC = "91460000MA5T8TAX49"
PASSWORD = "a-long-passphrase"


def registration(*, organization: dict | None = None, owner: dict | None = None, **extra) -> dict:
    return {
        "organization": {
            "legal_name": "海口市龙华区康宁大药房有限公司",
            "uscc": USCC,
            "kind": "pharmacy",
            "province_code": "460000",
            **(organization or {}),
        },
        "owner": {"email": "owner@kangning.test", "password": PASSWORD, "full_name": "王芳", **(owner or {})},
        **extra,
    }


def assert_nothing_registered() -> None:
    assert Organization.objects.exists() is False
    assert User.objects.filter(email__iexact="owner@kangning.test").exists() is False
    assert AuditEvent.objects.filter(action="organization.registered").exists() is False


def test_registration_to_trading(as_client, admin_user):
    anonymous = APIClient()

    # when: a pharmacy registers itself
    response = anonymous.post("/api/v1/register/", registration(), format="json")

    # then: a pending organisation and its owner exist, and the answer shows both
    assert response.status_code == 201
    organization = Organization.objects.get()
    owner = User.objects.get(email="owner@kangning.test")
    assert response.json() == {
        "organization": organization_body(organization, may_trade=False),
        "owner": me_body(owner),
    }
    assert organization.status == OrganizationStatus.PENDING
    assert (organization.legal_name, organization.uscc, organization.kind) == (
        "海口市龙华区康宁大药房有限公司",
        USCC,
        "pharmacy",
    )
    assert list(Membership.objects.values_list("user_id", "organization_id", "role")) == [
        (owner.pk, organization.pk, MemberRole.OWNER)
    ]
    assert owner.check_password(PASSWORD) is True

    # when: the owner signs in
    response = anonymous.post(
        "/api/v1/auth/token/", {"email": "owner@kangning.test", "password": PASSWORD}, format="json"
    )

    # then
    assert response.status_code == 200
    assert sorted(response.json()) == ["access", "refresh"]
    owner_client = APIClient()
    owner_client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    response = owner_client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json() == me_body(owner, may_trade={organization.pk: False})
    assert organization_may_trade(organization=organization) is False

    # when: a platform admin verifies the organisation
    response = as_client(admin_user).post(
        f"/api/v1/organizations/{organization.pk}/verify/", {"reason": "营业执照核验通过"}, format="json"
    )

    # then: verified, but no trading licence yet
    assert response.status_code == 200
    assert response.json() == organization_body(organization, may_trade=False)
    assert (organization.status, organization.status_reason) == (OrganizationStatus.VERIFIED, "营业执照核验通过")
    assert organization_may_trade(organization=organization) is False

    # when: the owner submits the trading licence (药品经营许可证·零售)
    today = timezone.localdate()
    response = owner_client.post(
        "/api/v1/licenses/",
        {
            "type": "drug_retail",
            "number": "琼CB0001",
            "scope_tags": ["otc", "rx", "chemical", "otc"],
            "valid_from": (today - timedelta(days=100)).isoformat(),
            "valid_until": (today + timedelta(days=5 * 365)).isoformat(),
        },
        format="json",
    )

    # then: pending review, scope tags de-duplicated and sorted
    assert response.status_code == 201
    license = License.objects.get()
    assert response.json() == license_body(license)
    assert (license.organization_id, license.status, license.scope_tags) == (
        organization.pk,
        LicenseStatus.PENDING,
        ["chemical", "otc", "rx"],
    )
    assert organization_may_trade(organization=organization) is False

    # when: the admin approves it
    response = as_client(admin_user).post(
        f"/api/v1/licenses/{license.pk}/approve/", {"note": "原件核验无误"}, format="json"
    )

    # then: the organisation may trade
    assert response.status_code == 200
    assert response.json() == license_body(license)
    assert (license.status, license.review_note, license.reviewed_by_id) == (
        LicenseStatus.APPROVED,
        "原件核验无误",
        admin_user.pk,
    )
    assert organization_may_trade(organization=organization) is True
    response = owner_client.get("/api/v1/me/")
    assert response.json() == me_body(owner, may_trade={organization.pk: True})
    response = owner_client.get(f"/api/v1/organizations/{organization.pk}/")
    assert response.json() == organization_body(organization, may_trade=True)

    # and every step is in the organisation's audit log, attributed to its actor
    org_id, lic_id = str(organization.pk), str(license.pk)
    assert audit_rows(organization_id=organization.pk) == [
        ("organization.registered", "user", owner.pk, organization.pk, "organization", org_id),
        ("organization.verify", "user", admin_user.pk, organization.pk, "organization", org_id),
        ("license.submitted", "user", owner.pk, organization.pk, "license", lic_id),
        ("license.approved", "user", admin_user.pk, organization.pk, "license", lic_id),
        ("organization.trading_restored", "user", admin_user.pk, organization.pk, "organization", org_id),
    ]


def test_registration_normalises_email_and_uscc():
    # when
    response = APIClient().post(
        "/api/v1/register/",
        registration(organization={"uscc": USCC.lower()}, owner={"email": "Owner@KangNing.test"}),
        format="json",
    )

    # then
    assert response.status_code == 201
    assert list(Organization.objects.values_list("uscc", flat=True)) == [USCC]
    assert list(User.objects.values_list("email", flat=True)) == ["owner@kangning.test"]


def test_hospital_registers_with_its_ownership():
    # when
    response = APIClient().post(
        "/api/v1/register/",
        registration(organization={"kind": "hospital", "ownership": "public", "legal_name": "海南省人民医院"}),
        format="json",
    )

    # then
    assert response.status_code == 201
    assert list(Organization.objects.values_list("kind", "ownership", "status")) == [("hospital", "public", "pending")]


def test_registration_replays_with_the_same_idempotency_key():
    # given
    client = APIClient()
    first = client.post("/api/v1/register/", registration(), format="json", HTTP_IDEMPOTENCY_KEY="reg-1")

    # when
    second = client.post("/api/v1/register/", registration(), format="json", HTTP_IDEMPOTENCY_KEY="reg-1")

    # then
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert Organization.objects.count() == 1
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("_case", "body", "errors"),
    [
        (
            "check character wrong",
            registration(organization={"uscc": "91460000MA5T8TAX4L"}),
            [
                {
                    "field": "organization.uscc",
                    "code": "uscc_check",
                    "message": "The check character of this unified social credit code is wrong.",
                }
            ],
        ),
        (
            "forbidden letter in the USCC",
            registration(organization={"uscc": "91460000MA5T8TAO49"}),
            [
                {
                    "field": "organization.uscc",
                    "code": "uscc_format",
                    "message": "A unified social credit code is 18 digits or capital letters (no I, O, S, V, Z).",
                }
            ],
        ),
        (
            "hospital without ownership",
            registration(organization={"kind": "hospital"}),
            [
                {
                    "field": "organization.ownership",
                    "code": "required",
                    "message": (
                        "Medical institutions (hospitals and clinics) state their ownership (public or private)."
                    ),
                }
            ],
        ),
        (
            "pharmacy with ownership",
            registration(organization={"ownership": "private"}),
            [
                {
                    "field": "organization.ownership",
                    "code": "not_allowed",
                    "message": "Only medical institutions (hospitals and clinics) state an ownership.",
                }
            ],
        ),
        (
            "not a province code",
            registration(organization={"province_code": "460100"}),
            [
                {
                    "field": "organization.province_code",
                    "code": "province_code",
                    "message": "Not a province-level GB/T 2260 code (for example 460000).",
                }
            ],
        ),
        (
            "unknown kind",
            registration(organization={"kind": "wholesaler"}),
            [
                {
                    "field": "organization.kind",
                    "code": "invalid_choice",
                    "message": '"wholesaler" is not a valid choice.',
                }
            ],
        ),
        (
            "not an email",
            registration(owner={"email": "owner-at-kangning"}),
            [{"field": "owner.email", "code": "invalid", "message": "Enter a valid email address."}],
        ),
        (
            "short password",
            registration(owner={"password": "short"}),
            [
                {
                    "field": "owner.password",
                    "code": "min_length",
                    "message": "Ensure this field has at least 8 characters.",
                }
            ],
        ),
        (
            "common password",
            registration(owner={"password": "password"}),
            [{"field": "owner.password", "code": "weak_password", "message": "This password is too common."}],
        ),
        (
            "common numeric password",
            registration(owner={"password": "12345678"}),
            [
                {"field": "owner.password", "code": "weak_password", "message": "This password is too common."},
                {"field": "owner.password", "code": "weak_password", "message": "This password is entirely numeric."},
            ],
        ),
        (
            "owner missing",
            {"organization": registration()["organization"]},
            [{"field": "owner", "code": "required", "message": "This field is required."}],
        ),
    ],
)
def test_registration_refuses_invalid_input(_case, body, errors):
    # when
    response = APIClient().post("/api/v1/register/", body, format="json")

    # then
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json() == validation_error(errors)
    assert_nothing_registered()


@pytest.mark.parametrize(
    ("_case", "body", "fields"),
    [
        ("top level", registration(status="verified"), ["status"]),
        (
            "organization",
            registration(organization={"status": "verified", "credit_terms_days": 90}),
            ["organization.credit_terms_days", "organization.status"],
        ),
        (
            "owner",
            registration(owner={"is_staff": True, "staff_role": "admin"}),
            ["owner.is_staff", "owner.staff_role"],
        ),
    ],
)
def test_registration_refuses_unknown_fields_anywhere(_case, body, fields):
    # when
    response = APIClient().post("/api/v1/register/", body, format="json")

    # then
    assert response.status_code == 400
    assert response.json() == not_writable(*fields)
    assert_nothing_registered()


def test_registration_refuses_a_taken_email_in_any_case():
    # given
    UserFactory(email="owner@kangning.test")

    # when
    response = APIClient().post(
        "/api/v1/register/", registration(owner={"email": "OWNER@kangning.test"}), format="json"
    )

    # then
    title = "An account with this email already exists"
    assert response.status_code == 409
    assert response.json() == problem(
        "email-taken",
        409,
        title,
        title,
        errors=[{"field": "owner.email", "code": "email_taken", "message": title}],
        code="email_taken",
    )
    assert Organization.objects.exists() is False
    assert User.objects.count() == 1


def test_registration_refuses_a_taken_uscc_in_any_case():
    # given
    existing = OrganizationFactory(uscc=USCC)

    # when
    response = APIClient().post("/api/v1/register/", registration(organization={"uscc": USCC.lower()}), format="json")

    # then
    title = "An organisation with this unified social credit code is already registered"
    assert response.status_code == 409
    assert response.json() == problem(
        "uscc-taken",
        409,
        title,
        title,
        errors=[{"field": "organization.uscc", "code": "uscc_taken", "message": title}],
        code="uscc_taken",
    )
    assert list(Organization.objects.values_list("pk", flat=True)) == [existing.pk]
    assert User.objects.filter(email="owner@kangning.test").exists() is False


def test_pending_organization_may_not_trade_even_with_an_approved_licence():
    # given: registered, licence approved, but never verified
    organization = OrganizationFactory(status=OrganizationStatus.PENDING)

    # then
    assert License.objects.filter(organization=organization, status=LicenseStatus.APPROVED).count() == 1
    assert organization_may_trade(organization=organization) is False


@pytest.mark.django_db
def test_sign_in_ignores_the_case_of_the_email(api_client):
    from tests.factories import UserFactory
    from tests.factories.accounts import PASSWORD

    UserFactory(email="owner@pharmacy.example")
    response = api_client.post(
        "/api/v1/auth/token/", {"email": "Owner@Pharmacy.EXAMPLE", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert set(response.json()) == {"access", "refresh"}


@pytest.mark.django_db
def test_a_password_resembling_the_email_is_refused(api_client):
    from tests.factories import valid_uscc

    body = {
        "organization": {
            "legal_name": "三亚好药房",
            "uscc": valid_uscc(4242),
            "kind": "pharmacy",
            "province_code": "460000",
        },
        "owner": {"email": "sanyahaoyaofang@example.com", "password": "sanyahaoyaofang"},
    }
    response = api_client.post("/api/v1/register/", body, format="json")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["owner.password"]


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_registrations_with_one_email_end_in_one_account_and_a_409():
    from rest_framework.test import APIClient

    from accounts.models import Organization, User
    from tests.concurrency import run_concurrently
    from tests.factories import valid_uscc

    def register(n: int) -> int:
        body = {
            "organization": {
                "legal_name": f"并发药房{n}",
                "uscc": valid_uscc(9000 + n),
                "kind": "pharmacy",
                "province_code": "460000",
            },
            "owner": {"email": "same@example.com", "password": "a-long-passphrase-2026"},
        }
        return APIClient().post("/api/v1/register/", body, format="json").status_code

    statuses = run_concurrently(2, register)
    assert sorted(statuses) == [201, 409]
    assert User.objects.filter(email="same@example.com").count() == 1
    assert Organization.objects.count() == 1
