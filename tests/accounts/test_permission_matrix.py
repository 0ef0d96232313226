"""Who may call which accounts endpoint (STYLE G23): every endpoint by every kind of caller, exact statuses.

Callers (tests/accounts/conftest.py): anonymous; owner, operator, finance, viewer of organisation A; an
operator API key of A; the owner of another organisation B; a platform admin; a platform finance admin.
401 without credentials, 403 for a role that may not, 404 for another organisation's object, 2xx when allowed.
"""

from __future__ import annotations

from datetime import date

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.choices import InvitationStatus, LicenseStatus, LicenseType, MemberRole, OrganizationStatus
from accounts.models import Invitation, License, Membership, Organization, OrganizationApiKey, User
from pharmex.api.etag import etag_for
from pharmex.audit import SYSTEM, audit_record
from pharmex.models import AuditEvent
from tests.accounts.helpers import (
    OWNER_ONLY_MEMBERS_DETAIL,
    api_key_body,
    authentication_failed,
    invitation_body,
    iso,
    license_body,
    me_body,
    member_body,
    membership_brief_body,
    not_authenticated,
    not_found,
    not_writable,
    organization_body,
    permission_denied,
    problem,
    validation_error,
)
from tests.factories import InvitationFactory, LicenseFactory, UserFactory
from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db

LEAVE_DETAIL = "A person leaves an organisation; an API key is revoked instead."
INVITEES_DETAIL = "Invitations are accepted by people; API keys cannot join an organisation."


def assert_refused(response, status: int, *, forbidden_detail: str | None = None) -> None:
    """A refusal is exactly the problem+json of its status."""
    expected = {
        401: not_authenticated(),
        403: permission_denied(forbidden_detail) if forbidden_detail else permission_denied(),
        404: not_found(),
    }[status]
    assert (response.status_code, response.json()) == (status, expected)
    assert response.headers["Content-Type"] == "application/problem+json"


def table(**expected: int) -> list[tuple[str, int]]:
    return list(expected.items())


# --- register, auth/token, auth/token/refresh, me -------------------------------------------------------------
OPEN_TO_ALL = table(
    anonymous=201,
    owner=201,
    operator=201,
    finance=201,
    viewer=201,
    api_key=201,
    other_owner=201,
    admin=201,
    finance_admin=201,
)


@pytest.mark.parametrize(("caller", "expected"), OPEN_TO_ALL)
def test_register(cast, caller, expected):
    # when: whoever calls, registration ignores their credentials and creates a new pending organisation
    response = cast.client(caller).post(
        "/api/v1/register/",
        {
            "organization": {
                "legal_name": "文昌新药房",
                "uscc": "91460000MA5T8TAX49",
                "kind": "pharmacy",
                "province_code": "460000",
            },
            "owner": {"email": "new@wenchang.test", "password": "a-long-passphrase"},
        },
        format="json",
    )

    # then
    assert response.status_code == expected
    organization = Organization.objects.get(uscc="91460000MA5T8TAX49")
    owner = User.objects.get(email="new@wenchang.test")
    assert response.json() == {
        "organization": organization_body(organization, may_trade=False),
        "owner": me_body(owner),
    }
    assert (organization.status, owner.staff_roles) == (OrganizationStatus.PENDING, frozenset())


@pytest.mark.parametrize(
    ("caller", "expected"),
    table(
        anonymous=200,
        owner=200,
        operator=200,
        finance=200,
        viewer=200,
        api_key=200,
        other_owner=200,
        admin=200,
        finance_admin=200,
    ),
)
def test_auth_token(cast, caller, expected):
    # when: the body's credentials decide, not the caller's headers
    response = cast.client(caller).post(
        "/api/v1/auth/token/", {"email": "viewer@a.test", "password": PASSWORD}, format="json"
    )

    # then: the access token authenticates the viewer
    assert response.status_code == expected
    assert sorted(response.json()) == ["access", "refresh"]
    client = cast.make_client()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert client.get("/api/v1/me/").json()["email"] == "viewer@a.test"


def test_auth_token_refuses_a_wrong_password(cast):
    response = cast.client("anonymous").post(
        "/api/v1/auth/token/", {"email": "owner@a.test", "password": "not-the-password"}, format="json"
    )

    assert (response.status_code, response.json()) == (
        401,
        authentication_failed("No active account found with the given credentials"),
    )


@pytest.mark.parametrize(
    ("caller", "expected"),
    table(
        anonymous=200,
        owner=200,
        operator=200,
        finance=200,
        viewer=200,
        api_key=200,
        other_owner=200,
        admin=200,
        finance_admin=200,
    ),
)
def test_auth_token_refresh(cast, caller, expected):
    # given
    refresh = RefreshToken.for_user(cast.users["finance"])

    # when
    response = cast.client(caller).post("/api/v1/auth/token/refresh/", {"refresh": str(refresh)}, format="json")

    # then: a new access token for the refresh token's user
    assert response.status_code == expected
    assert sorted(response.json()) == ["access"]
    client = cast.make_client()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert client.get("/api/v1/me/").json()["email"] == "finance@a.test"


def test_auth_token_refresh_refuses_an_invalid_token(cast):
    response = cast.client("anonymous").post("/api/v1/auth/token/refresh/", {"refresh": "garbage"}, format="json")

    assert (response.status_code, response.json()) == (401, authentication_failed("Token is invalid"))


@pytest.mark.parametrize(
    ("caller", "expected"),
    table(
        anonymous=401,
        owner=200,
        operator=200,
        finance=200,
        viewer=200,
        api_key=403,
        other_owner=200,
        admin=200,
        finance_admin=200,
    ),
)
def test_me(cast, caller, expected):
    # when
    response = cast.client(caller).get("/api/v1/me/")

    # then
    if expected == 200:
        user = cast.users[caller]
        may_trade = {cast.org_a.pk: True, cast.org_b.pk: True}
        assert (response.status_code, response.json()) == (200, me_body(user, may_trade=may_trade))
    else:
        assert_refused(
            response,
            expected,
            forbidden_detail="API keys have no user profile; call an organisation resource instead.",
        )


# --- organizations ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("caller", "expected", "visible"),
    [
        ("anonymous", 401, None),
        ("owner", 200, ["a"]),
        ("operator", 200, ["a"]),
        ("finance", 200, ["a"]),
        ("viewer", 200, ["a"]),
        ("api_key", 200, ["a"]),
        ("other_owner", 200, ["b"]),
        ("admin", 200, ["a", "b"]),
        ("finance_admin", 200, ["a", "b"]),
    ],
)
def test_organizations_list(cast, caller, expected, visible):
    # when
    response = cast.client(caller).get("/api/v1/organizations/")

    # then: exactly the caller's own organisations (staff: all)
    if expected != 200:
        assert_refused(response, expected)
        return
    organizations = [{"a": cast.org_a, "b": cast.org_b}[key] for key in visible]
    assert response.status_code == 200
    assert response.json() == {
        "count": len(organizations),
        "next": None,
        "previous": None,
        "results": [organization_body(organization, may_trade=True) for organization in organizations],
    }


@pytest.mark.parametrize(
    ("caller", "expected"),
    table(
        anonymous=401,
        owner=200,
        operator=200,
        finance=200,
        viewer=200,
        api_key=200,
        other_owner=404,
        admin=200,
        finance_admin=200,
    ),
)
def test_organizations_retrieve(cast, caller, expected):
    # when
    response = cast.client(caller).get(f"/api/v1/organizations/{cast.org_a.pk}/")

    # then
    if expected == 200:
        assert (response.status_code, response.json()) == (200, organization_body(cast.org_a, may_trade=True))
        assert response.headers["ETag"] == etag_for(cast.org_a)
    else:
        assert_refused(response, expected)


@pytest.mark.parametrize(
    ("caller", "expected"),
    table(
        anonymous=401,
        owner=200,
        operator=403,
        finance=403,
        viewer=403,
        api_key=403,
        other_owner=404,
        admin=200,
        finance_admin=403,
    ),
)
def test_organizations_partial_update(cast, caller, expected):
    # when
    response = cast.client(caller).patch(
        f"/api/v1/organizations/{cast.org_a.pk}/", {"contact_phone": "0898-66668888"}, format="json"
    )

    # then
    cast.org_a.refresh_from_db()
    if expected == 200:
        assert (response.status_code, response.json()) == (200, organization_body(cast.org_a, may_trade=True))
        assert cast.org_a.contact_phone == "0898-66668888"
        assert list(AuditEvent.objects.filter(action="organization.updated").values_list("changes", flat=True)) == [
            {"contact_phone": ["", "0898-66668888"]}
        ]
    else:
        assert_refused(response, expected)
        assert cast.org_a.contact_phone == ""
        assert AuditEvent.objects.exists() is False


ADMIN_ONLY = table(
    anonymous=401,
    owner=403,
    operator=403,
    finance=403,
    viewer=403,
    api_key=403,
    other_owner=403,
    admin=200,
    finance_admin=403,
)


@pytest.mark.parametrize(
    ("action", "start", "body", "end"),
    [
        ("verify", OrganizationStatus.PENDING, {}, OrganizationStatus.VERIFIED),
        ("suspend", OrganizationStatus.VERIFIED, {"reason": "资质存疑"}, OrganizationStatus.SUSPENDED),
        ("reinstate", OrganizationStatus.SUSPENDED, {"reason": "复核通过"}, OrganizationStatus.VERIFIED),
    ],
)
@pytest.mark.parametrize(("caller", "expected"), ADMIN_ONLY)
def test_organizations_status_actions(cast, caller, expected, action, start, body, end):
    # given
    Organization.objects.filter(pk=cast.org_a.pk).update(status=start)

    # when
    response = cast.client(caller).post(f"/api/v1/organizations/{cast.org_a.pk}/{action}/", body, format="json")

    # then
    cast.org_a.refresh_from_db()
    if expected == 200:
        may_trade = end == OrganizationStatus.VERIFIED
        assert (response.status_code, response.json()) == (200, organization_body(cast.org_a, may_trade=may_trade))
        assert cast.org_a.status == end
        assert list(AuditEvent.objects.values_list("action", "changes")) == [
            (f"organization.{action}", {"status": [start, end], "note": body.get("reason", "")})
        ]
        assert list(cast.org_a.status_changes.values_list("action", "from_status", "to_status", "note")) == [
            (action, start, end, body.get("reason", ""))
        ]
    else:
        assert_refused(response, expected)
        assert cast.org_a.status == start
        assert AuditEvent.objects.exists() is False
        assert cast.org_a.status_changes.exists() is False


# --- organizations/{id}/members -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("caller", "expected"),
    table(
        anonymous=401,
        owner=200,
        operator=200,
        finance=200,
        viewer=200,
        api_key=200,
        other_owner=404,
        admin=200,
        finance_admin=200,
    ),
)
def test_members_list(cast, caller, expected):
    # when
    response = cast.client(caller).get(f"/api/v1/organizations/{cast.org_a.pk}/members/")

    # then: exactly A's members
    if expected != 200:
        assert_refused(response, expected)
        return
    members = Membership.objects.filter(organization=cast.org_a).order_by("id")
    assert [m.user.email for m in members] == ["owner@a.test", "operator@a.test", "finance@a.test", "viewer@a.test"]
    assert response.status_code == 200
    assert response.json() == {
        "count": 4,
        "next": None,
        "previous": None,
        "results": [member_body(membership) for membership in members],
    }


MEMBER_WRITES = [
    ("anonymous", 401, None),
    ("owner", "ok", None),
    ("operator", 403, OWNER_ONLY_MEMBERS_DETAIL),
    ("finance", 403, OWNER_ONLY_MEMBERS_DETAIL),
    ("viewer", 403, OWNER_ONLY_MEMBERS_DETAIL),
    ("api_key", 403, OWNER_ONLY_MEMBERS_DETAIL),
    ("other_owner", 404, None),
    # Staff read every organisation's members, but only the organisation's own owner manages them.
    ("admin", 403, OWNER_ONLY_MEMBERS_DETAIL),
    ("finance_admin", 403, OWNER_ONLY_MEMBERS_DETAIL),
]


@pytest.mark.parametrize(("caller", "expected", "forbidden_detail"), MEMBER_WRITES)
def test_members_partial_update(cast, caller, expected, forbidden_detail):
    # given
    viewer = cast.membership("viewer")

    # when
    response = cast.client(caller).patch(
        f"/api/v1/organizations/{cast.org_a.pk}/members/{viewer.pk}/", {"role": "finance"}, format="json"
    )

    # then
    viewer.refresh_from_db()
    if expected == "ok":
        assert (response.status_code, response.json()) == (200, member_body(viewer))
        assert viewer.role == MemberRole.FINANCE
    else:
        assert_refused(response, expected, forbidden_detail=forbidden_detail)
        assert viewer.role == MemberRole.VIEWER
        assert AuditEvent.objects.exists() is False


@pytest.mark.parametrize(("caller", "expected", "forbidden_detail"), MEMBER_WRITES)
def test_members_destroy(cast, caller, expected, forbidden_detail):
    # given
    viewer = cast.membership("viewer")

    # when
    response = cast.client(caller).delete(f"/api/v1/organizations/{cast.org_a.pk}/members/{viewer.pk}/")

    # then
    if expected == "ok":
        assert (response.status_code, response.content) == (204, b"")
        assert Membership.objects.filter(pk=viewer.pk).exists() is False
    else:
        assert_refused(response, expected, forbidden_detail=forbidden_detail)
        assert Membership.objects.filter(pk=viewer.pk).exists() is True
        assert AuditEvent.objects.exists() is False


def test_members_of_another_organization_are_not_reachable_through_ones_own(cast):
    # given: B's owner membership, addressed under A's URL by A's owner
    other = cast.membership("other_owner")

    # when
    responses = [
        cast.client("owner").patch(
            f"/api/v1/organizations/{cast.org_a.pk}/members/{other.pk}/", {"role": "viewer"}, format="json"
        ),
        cast.client("owner").delete(f"/api/v1/organizations/{cast.org_a.pk}/members/{other.pk}/"),
    ]

    # then
    for response in responses:
        assert_refused(response, 404)
    other.refresh_from_db()
    assert other.role == MemberRole.OWNER


def test_members_cannot_be_added_directly(cast):
    # given: an existing account, member of nothing (members join by invitation only)
    candidate = UserFactory(email="candidate@a.test")

    # when
    response = cast.client("owner").post(
        f"/api/v1/organizations/{cast.org_a.pk}/members/",
        {"email": "candidate@a.test", "role": "viewer"},
        format="json",
    )

    # then
    assert (response.status_code, response.json()) == (
        405,
        problem("method-not-allowed", 405, "Method not allowed", 'Method "POST" not allowed.'),
    )
    assert Membership.objects.filter(user=candidate).exists() is False


@pytest.mark.parametrize(
    ("caller", "expected"),
    table(
        anonymous=401,
        owner=409,  # the only owner of A
        operator=204,
        finance=204,
        viewer=204,
        api_key=403,
        other_owner=404,  # not a member of A
        admin=404,
        finance_admin=404,
    ),
)
def test_organizations_leave(cast, caller, expected):
    # when
    response = cast.client(caller).post(f"/api/v1/organizations/{cast.org_a.pk}/leave/", {}, format="json")

    # then: a member leaves A (its only owner may not); nobody else has a membership of A to leave
    members_left = Membership.objects.filter(organization=cast.org_a).count()
    if expected == 204:
        assert (response.status_code, response.content, members_left) == (204, b"", 3)
        assert Membership.objects.filter(user=cast.users[caller], organization=cast.org_a).exists() is False
    elif expected == 409:
        title = "An organisation must keep at least one owner"
        assert (response.status_code, response.json()) == (
            409,
            problem("last-owner", 409, title, title, code="last_owner"),
        )
        assert members_left == 4
    else:
        assert_refused(response, expected, forbidden_detail=LEAVE_DETAIL)
        assert members_left == 4
        assert AuditEvent.objects.exists() is False


# --- organizations/{id}/invitations, invitations ------------------------------------------------------------
@pytest.mark.parametrize(("caller", "expected", "forbidden_detail"), MEMBER_WRITES)
def test_invitations_create(cast, caller, expected, forbidden_detail, django_capture_on_commit_callbacks, mailoutbox):
    # given: an existing account, member of nothing yet
    candidate = UserFactory(email="candidate@a.test")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = cast.client(caller).post(
            f"/api/v1/organizations/{cast.org_a.pk}/invitations/",
            {"email": "candidate@a.test", "role": "viewer"},
            format="json",
        )

    # then: an invitation is sent; nobody becomes a member before accepting
    assert Membership.objects.filter(user=candidate).exists() is False
    if expected == "ok":
        invitation = Invitation.objects.get()
        assert (response.status_code, response.json()) == (201, invitation_body(invitation))
        assert (invitation.organization_id, invitation.email, invitation.role, invitation.status) == (
            cast.org_a.pk,
            "candidate@a.test",
            MemberRole.VIEWER,
            InvitationStatus.PENDING,
        )
        assert [message.to for message in mailoutbox] == [["candidate@a.test"]]
    else:
        assert_refused(response, expected, forbidden_detail=forbidden_detail)
        assert Invitation.objects.exists() is False
        assert AuditEvent.objects.exists() is False
        assert mailoutbox == []


@pytest.mark.parametrize(("caller", "expected", "forbidden_detail"), MEMBER_WRITES)
def test_invitations_list(cast, caller, expected, forbidden_detail):
    # given: one invitation of A, one of B
    invitation = InvitationFactory(organization=cast.org_a, email="candidate@a.test")
    InvitationFactory(organization=cast.org_b, email="candidate@b.test")

    # when
    response = cast.client(caller).get(f"/api/v1/organizations/{cast.org_a.pk}/invitations/")

    # then: A's owner reads A's invitations only; staff do not read them (the addresses are no members yet)
    if expected == "ok":
        assert (response.status_code, response.json()) == (
            200,
            {"count": 1, "next": None, "previous": None, "results": [invitation_body(invitation)]},
        )
    else:
        assert_refused(response, expected, forbidden_detail=forbidden_detail)


@pytest.mark.parametrize(("caller", "expected", "forbidden_detail"), MEMBER_WRITES)
def test_invitations_revoke(cast, caller, expected, forbidden_detail):
    # given
    invitation = InvitationFactory(organization=cast.org_a, email="candidate@a.test")

    # when
    response = cast.client(caller).post(
        f"/api/v1/organizations/{cast.org_a.pk}/invitations/{invitation.pk}/revoke/", {}, format="json"
    )

    # then
    invitation.refresh_from_db()
    if expected == "ok":
        assert (response.status_code, response.json()) == (200, invitation_body(invitation))
        assert invitation.status == InvitationStatus.REVOKED
    else:
        assert_refused(response, expected, forbidden_detail=forbidden_detail)
        assert invitation.status == InvitationStatus.PENDING
        assert AuditEvent.objects.exists() is False


PEOPLE = table(
    anonymous=401,
    owner=200,
    operator=200,
    finance=200,
    viewer=200,
    api_key=403,  # keys are not people: nobody invites them
    other_owner=200,
    admin=200,
    finance_admin=200,
)


@pytest.mark.parametrize(("caller", "expected"), PEOPLE)
def test_my_invitations_list(cast, caller, expected):
    # given: B invites A's viewer; an invitation to someone else
    invitation = InvitationFactory(organization=cast.org_b, email="viewer@a.test")
    InvitationFactory(organization=cast.org_b, email="someone@else.test")

    # when
    response = cast.client(caller).get("/api/v1/invitations/")

    # then: every person reads the invitations addressed to them, and only those
    if expected != 200:
        assert_refused(response, expected, forbidden_detail=INVITEES_DETAIL)
        return
    results = [invitation_body(invitation)] if caller == "viewer" else []
    assert (response.status_code, response.json()) == (
        200,
        {"count": len(results), "next": None, "previous": None, "results": results},
    )


@pytest.mark.parametrize(
    ("caller", "expected"),
    table(
        anonymous=401,
        owner=404,
        operator=404,
        finance=404,
        viewer=201,  # the addressee
        api_key=403,
        other_owner=404,  # B's owner sent it, but it is not addressed to them
        admin=404,
        finance_admin=404,
    ),
)
def test_my_invitations_accept(cast, caller, expected):
    # given: B invites A's viewer
    invitation = InvitationFactory(organization=cast.org_b, email="viewer@a.test", role=MemberRole.FINANCE)

    # when
    response = cast.client(caller).post(f"/api/v1/invitations/{invitation.pk}/accept/", {}, format="json")

    # then: only the addressee accepts; for anyone else the invitation does not exist (B's owner included)
    invitation.refresh_from_db()
    if expected == 201:
        membership = Membership.objects.get(user=cast.users["viewer"], organization=cast.org_b)
        assert (response.status_code, response.json()) == (201, membership_brief_body(membership, may_trade=True))
        assert (membership.role, invitation.status) == (MemberRole.FINANCE, InvitationStatus.ACCEPTED)
    else:
        assert_refused(response, expected, forbidden_detail=INVITEES_DETAIL)
        assert invitation.status == InvitationStatus.PENDING
        assert Membership.objects.filter(organization=cast.org_b).count() == 1
        assert AuditEvent.objects.exists() is False


@pytest.mark.parametrize(("caller", "expected"), OPEN_TO_ALL)
def test_invitations_accept_by_token(cast, caller, expected):
    # given: B invites an email without an account
    invitation = InvitationFactory(organization=cast.org_b, email="new@b.test", token="emailed-secret")

    # when: whoever calls, the code decides (credentials are ignored)
    response = cast.client(caller).post(
        "/api/v1/invitations/accept/", {"token": "emailed-secret", "password": "a-long-passphrase"}, format="json"
    )

    # then: the new account joins B
    membership = Membership.objects.get(user__email="new@b.test")
    assert (response.status_code, response.json()) == (expected, membership_brief_body(membership, may_trade=True))
    invitation.refresh_from_db()
    assert (membership.organization_id, invitation.status) == (cast.org_b.pk, InvitationStatus.ACCEPTED)


# --- licenses -----------------------------------------------------------------------------------------------
@pytest.fixture
def pending_license(cast) -> License:
    return LicenseFactory(
        organization=cast.org_a,
        type=LicenseType.BUSINESS,
        number="BL-2024-001",
        scope_tags=[],
        status=LicenseStatus.PENDING,
        valid_from=date(2024, 1, 1),
        valid_until=date(2044, 1, 1),
    )


@pytest.mark.parametrize(
    ("caller", "expected", "visible"),
    [
        ("anonymous", 401, None),
        ("owner", 200, ["a"]),
        ("operator", 200, ["a"]),
        ("finance", 200, ["a"]),
        ("viewer", 200, ["a"]),
        ("api_key", 200, ["a"]),
        ("other_owner", 200, ["b"]),
        ("admin", 200, ["a", "b"]),
        ("finance_admin", 200, ["a", "b"]),
    ],
)
def test_licenses_list(cast, pending_license, caller, expected, visible):
    # when
    response = cast.client(caller).get("/api/v1/licenses/")

    # then: exactly the licences of the caller's organisation (staff: all)
    if expected != 200:
        assert_refused(response, expected)
        return
    organizations = [{"a": cast.org_a, "b": cast.org_b}[key] for key in visible]
    licenses = License.objects.filter(organization__in=organizations).order_by("id")
    assert response.status_code == 200
    assert response.json() == {
        "count": len(licenses),
        "next": None,
        "previous": None,
        "results": [license_body(license) for license in licenses],
    }
    assert len(licenses) == {("a",): 2, ("b",): 1, ("a", "b"): 3}[tuple(visible)]


@pytest.mark.parametrize(
    ("caller", "expected"),
    table(
        anonymous=401,
        owner=200,
        operator=200,
        finance=200,
        viewer=200,
        api_key=200,
        other_owner=404,
        admin=200,
        finance_admin=200,
    ),
)
def test_licenses_retrieve(cast, pending_license, caller, expected):
    # when
    response = cast.client(caller).get(f"/api/v1/licenses/{pending_license.pk}/")

    # then
    if expected == 200:
        assert (response.status_code, response.json()) == (200, license_body(pending_license))
        assert response.headers["ETag"] == etag_for(pending_license)
    else:
        assert_refused(response, expected)


OWNER_WRITES = table(
    anonymous=401,
    owner=201,
    operator=403,
    finance=403,
    viewer=403,
    api_key=403,
    other_owner=201,  # into B, its own organisation
    admin=403,  # staff act for no organisation
    finance_admin=403,
)


@pytest.mark.parametrize(("caller", "expected"), OWNER_WRITES)
def test_licenses_create(cast, caller, expected):
    # when
    response = cast.client(caller).post(
        "/api/v1/licenses/",
        {"type": "business", "number": "BL-9", "valid_from": "2024-01-01", "valid_until": "2044-01-01"},
        format="json",
    )

    # then: created for the caller's own organisation, pending review
    if expected == 201:
        license = License.objects.get(number="BL-9")
        assert (response.status_code, response.json()) == (201, license_body(license))
        own = cast.org_b if caller == "other_owner" else cast.org_a
        assert (license.organization_id, license.status) == (own.pk, LicenseStatus.PENDING)
    else:
        assert_refused(response, expected)
        assert License.objects.filter(number="BL-9").exists() is False


OWNER_OBJECT_WRITES = table(
    anonymous=401,
    owner=200,
    operator=403,
    finance=403,
    viewer=403,
    api_key=403,
    other_owner=404,
    admin=403,
    finance_admin=403,
)


@pytest.mark.parametrize(("caller", "expected"), OWNER_OBJECT_WRITES)
def test_licenses_partial_update(cast, pending_license, caller, expected):
    # when
    response = cast.client(caller).patch(
        f"/api/v1/licenses/{pending_license.pk}/", {"number": "BL-2024-002"}, format="json"
    )

    # then
    pending_license.refresh_from_db()
    if expected == 200:
        assert (response.status_code, response.json()) == (200, license_body(pending_license))
        assert pending_license.number == "BL-2024-002"
    else:
        assert_refused(response, expected)
        assert pending_license.number == "BL-2024-001"
        assert AuditEvent.objects.exists() is False


@pytest.mark.parametrize(
    ("caller", "expected"), [(caller, 204 if expected == 200 else expected) for caller, expected in OWNER_OBJECT_WRITES]
)
def test_licenses_destroy(cast, pending_license, caller, expected):
    # when
    response = cast.client(caller).delete(f"/api/v1/licenses/{pending_license.pk}/")

    # then
    if expected == 204:
        assert (response.status_code, response.content) == (204, b"")
        assert License.objects.filter(pk=pending_license.pk).exists() is False
    else:
        assert_refused(response, expected)
        assert License.objects.filter(pk=pending_license.pk).exists() is True
        assert AuditEvent.objects.exists() is False


@pytest.mark.parametrize(
    ("action", "body", "end"),
    [
        ("approve", {"note": "核验无误"}, LicenseStatus.APPROVED),
        ("reject", {"note": "复印件不清晰"}, LicenseStatus.REJECTED),
    ],
)
@pytest.mark.parametrize(("caller", "expected"), ADMIN_ONLY)
def test_licenses_review_actions(cast, pending_license, caller, expected, action, body, end):
    # when
    response = cast.client(caller).post(f"/api/v1/licenses/{pending_license.pk}/{action}/", body, format="json")

    # then
    pending_license.refresh_from_db()
    if expected == 200:
        assert (response.status_code, response.json()) == (200, license_body(pending_license))
        assert (pending_license.status, pending_license.review_note, pending_license.reviewed_by_id) == (
            end,
            body["note"],
            cast.users["admin"].pk,
        )
    else:
        assert_refused(response, expected)
        assert pending_license.status == LicenseStatus.PENDING
        assert AuditEvent.objects.exists() is False


# --- api-keys -----------------------------------------------------------------------------------------------
OWNER_PEOPLE_ONLY = table(
    anonymous=401,
    owner=200,
    operator=403,
    finance=403,
    viewer=403,
    api_key=403,  # keys are managed by people
    other_owner=200,
    admin=403,
    finance_admin=403,
)


@pytest.mark.parametrize(("caller", "expected"), OWNER_PEOPLE_ONLY)
def test_api_keys_list(cast, caller, expected):
    # when
    response = cast.client(caller).get("/api/v1/api-keys/")

    # then: exactly the keys of the owner's organisation, never a secret
    if expected != 200:
        assert_refused(response, expected)
        return
    api_key = cast.api_key_b if caller == "other_owner" else cast.api_key_a
    assert (response.status_code, response.json()) == (
        200,
        {"count": 1, "next": None, "previous": None, "results": [api_key_body(api_key)]},
    )


@pytest.mark.parametrize(
    ("caller", "expected"),
    [(caller, 404 if caller == "other_owner" else expected) for caller, expected in OWNER_PEOPLE_ONLY],
)
def test_api_keys_retrieve(cast, caller, expected):
    # when
    response = cast.client(caller).get(f"/api/v1/api-keys/{cast.api_key_a.prefix}/")

    # then
    if expected == 200:
        assert (response.status_code, response.json()) == (200, api_key_body(cast.api_key_a))
    else:
        assert_refused(response, expected)


@pytest.mark.parametrize(("caller", "expected"), OWNER_WRITES)
def test_api_keys_create(cast, caller, expected):
    # when
    response = cast.client(caller).post("/api/v1/api-keys/", {"name": "WMS", "role": "viewer"}, format="json")

    # then
    if expected == 201:
        api_key = OrganizationApiKey.objects.get(name="WMS")
        own = cast.org_b if caller == "other_owner" else cast.org_a
        assert response.status_code == 201
        assert response.json() == {**api_key_body(api_key), "key": response.json()["key"]}
        assert OrganizationApiKey.objects.get_from_key(response.json()["key"]) == api_key
        assert (api_key.organization_id, api_key.role, api_key.created_by_id) == (
            own.pk,
            MemberRole.VIEWER,
            cast.users[caller].pk,
        )
    else:
        assert_refused(response, expected)
        assert OrganizationApiKey.objects.filter(name="WMS").exists() is False


@pytest.mark.parametrize(
    ("caller", "expected"),
    [(caller, 404 if caller == "other_owner" else expected) for caller, expected in OWNER_PEOPLE_ONLY],
)
def test_api_keys_revoke(cast, caller, expected):
    # when
    response = cast.client(caller).post(f"/api/v1/api-keys/{cast.api_key_a.prefix}/revoke/", {}, format="json")

    # then
    cast.api_key_a.refresh_from_db()
    if expected == 200:
        assert (response.status_code, response.json()) == (200, api_key_body(cast.api_key_a))
        assert cast.api_key_a.revoked is True
    else:
        assert_refused(response, expected)
        assert cast.api_key_a.revoked is False
        assert AuditEvent.objects.exists() is False


# --- audit-events -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("caller", "expected", "visible"),
    [
        ("anonymous", 401, None),
        ("owner", 200, ["a"]),
        ("operator", 200, ["a"]),
        ("finance", 200, ["a"]),
        ("viewer", 200, ["a"]),
        ("api_key", 200, ["a"]),
        ("other_owner", 200, ["b"]),
        ("admin", 200, ["a", "b", "platform"]),
        # SPEC §7: "Admins read all; organisations read their own" — a finance admin is neither.
        ("finance_admin", 200, []),
    ],
)
def test_audit_events_list(cast, caller, expected, visible):
    # given: one record about each organisation and one about the platform
    events = {
        "a": audit_record(
            actor=SYSTEM, action="test.a", object_type="organization", object_id=1, organization_id=cast.org_a.pk
        ),
        "b": audit_record(
            actor=SYSTEM, action="test.b", object_type="organization", object_id=2, organization_id=cast.org_b.pk
        ),
        "platform": audit_record(actor=SYSTEM, action="test.platform", object_type="drug", object_id=3),
    }

    # when
    response = cast.client(caller).get("/api/v1/audit-events/")

    # then: newest first, exactly the caller's records
    if expected != 200:
        assert_refused(response, expected)
        return
    assert response.status_code == 200
    body = response.json()
    assert (body["next"], body["previous"]) == (None, None)
    expected_ids = sorted((events[key].pk for key in visible), reverse=True)
    assert [event["id"] for event in body["results"]] == expected_ids


def test_audit_event_output_shape(cast):
    # given
    event = audit_record(
        actor=SYSTEM,
        action="organization.updated",
        object_type="organization",
        object_id=cast.org_a.pk,
        organization_id=cast.org_a.pk,
        changes={"contact_phone": ["", "0898-1"]},
    )

    # when
    response = cast.client("viewer").get("/api/v1/audit-events/")

    # then
    assert response.json()["results"] == [
        {
            "id": event.pk,
            "occurred_at": iso(event.occurred_at),
            "actor_type": "system",
            "actor_user_id": None,
            "actor_api_key_id": None,
            "actor_label": "system",
            "organization_id": cast.org_a.pk,
            "action": "organization.updated",
            "object_type": "organization",
            "object_id": str(cast.org_a.pk),
            "changes": {"contact_phone": ["", "0898-1"]},
            "request_id": None,
            "sequence": None,
            "hash": None,
        }
    ]


# --- mass assignment ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("_case", "body"),
    [
        ("status", {"status": "verified"}),
        ("credit terms", {"credit_terms_days": 90}),
        ("uscc", {"uscc": "91330100799655058B"}),
        ("registration data", {"legal_name": "改名有限公司", "province_code": "110000"}),
        ("all at once, with an allowed field", {"status": "verified", "credit_terms_days": 90, "address": "海口"}),
    ],
)
def test_owner_cannot_set_fields_reserved_to_admins(cast, _case, body):
    # given
    before = organization_body(cast.org_a, may_trade=True)

    # when
    response = cast.client("owner").patch(f"/api/v1/organizations/{cast.org_a.pk}/", body, format="json")

    # then: refused, not silently dropped; nothing changed
    refused = sorted(field for field in body if field != "address")
    assert (response.status_code, response.json()) == (400, not_writable(*refused))
    assert organization_body(cast.org_a, may_trade=True) == before
    assert AuditEvent.objects.exists() is False


def test_admin_may_set_credit_terms(cast):
    # when
    response = cast.client("admin").patch(
        f"/api/v1/organizations/{cast.org_a.pk}/", {"credit_terms_days": 60}, format="json"
    )

    # then
    cast.org_a.refresh_from_db()
    assert (response.status_code, response.json()) == (200, organization_body(cast.org_a, may_trade=True))
    assert cast.org_a.credit_terms_days == 60
    assert list(AuditEvent.objects.values_list("action", "actor_user_id", "organization_id", "changes")) == [
        ("organization.updated", cast.users["admin"].pk, cast.org_a.pk, {"credit_terms_days": [30, 60]})
    ]


@pytest.mark.parametrize(
    ("_case", "body", "expected"),
    [
        ("status only changes through actions", {"status": "suspended"}, not_writable("status")),
        ("uscc is the registration identity", {"uscc": "91330100799655058B"}, not_writable("uscc")),
        (
            "only medical institutions have an ownership (the model's rule, answered as 400 on the field)",
            {"ownership": "public"},
            validation_error(
                [
                    {
                        "field": "ownership",
                        "code": "invalid",
                        "message": "Only medical institutions (hospitals and clinics) state an ownership.",
                    }
                ]
            ),
        ),
        (
            "credit terms are at most a year",
            {"credit_terms_days": 366},
            validation_error(
                [
                    {
                        "field": "credit_terms_days",
                        "code": "max_value",
                        "message": "Ensure this value is less than or equal to 365.",
                    }
                ]
            ),
        ),
    ],
)
def test_admin_cannot_set_status_uscc_or_unbounded_credit_terms(cast, _case, body, expected):
    # given
    before = organization_body(cast.org_a, may_trade=True)

    # when
    response = cast.client("admin").patch(f"/api/v1/organizations/{cast.org_a.pk}/", body, format="json")

    # then
    assert (response.status_code, response.json()) == (400, expected)
    assert organization_body(cast.org_a, may_trade=True) == before


# --- ETag / If-Match ----------------------------------------------------------------------------------------
def test_patch_with_the_current_etag_succeeds_and_returns_the_new_one(cast):
    # given
    etag = cast.client("owner").get(f"/api/v1/organizations/{cast.org_a.pk}/").headers["ETag"]

    # when
    response = cast.client("owner").patch(
        f"/api/v1/organizations/{cast.org_a.pk}/", {"address": "海口市龙华区"}, format="json", HTTP_IF_MATCH=etag
    )

    # then
    cast.org_a.refresh_from_db()
    assert response.status_code == 200
    assert response.headers["ETag"] == etag_for(cast.org_a)
    assert response.headers["ETag"] != etag
    assert cast.org_a.address == "海口市龙华区"


def test_patch_with_a_stale_etag_is_refused_with_412(cast):
    # given: the owner reads, then someone else changes the organisation
    stale = cast.client("owner").get(f"/api/v1/organizations/{cast.org_a.pk}/").headers["ETag"]
    assert (
        cast.client("admin")
        .patch(f"/api/v1/organizations/{cast.org_a.pk}/", {"credit_terms_days": 45}, format="json")
        .status_code
        == 200
    )
    cast.org_a.refresh_from_db()
    before = organization_body(cast.org_a, may_trade=True)

    # when
    response = cast.client("owner").patch(
        f"/api/v1/organizations/{cast.org_a.pk}/", {"address": "三亚"}, format="json", HTTP_IF_MATCH=stale
    )

    # then
    title = "The resource has changed since you read it"
    assert (response.status_code, response.json()) == (
        412,
        problem(
            "precondition-failed",
            412,
            title,
            f"Current ETag is {etag_for(cast.org_a)}; read the resource again.",
            code="precondition_failed",
        ),
    )
    assert organization_body(cast.org_a, may_trade=True) == before
    assert AuditEvent.objects.filter(action="organization.updated").count() == 1
