"""Members (change role, remove, leave, the last-owner rule; joining is in test_invitations.py) and API keys
(secret once, auth, revoke, expiry)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from accounts.authentication import ApiKeyAuthentication
from accounts.choices import MemberRole
from accounts.models import License, Membership, OrganizationApiKey, User
from pharmex.actor import actor_from_request
from pharmex.models import AuditEvent
from tests.accounts.helpers import (
    OWNER_ONLY_MEMBERS_DETAIL,
    api_key_body,
    audit_rows,
    authentication_failed,
    member_body,
    not_found,
    permission_denied,
    problem,
    validation_error,
)
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

LAST_OWNER = "An organisation must keep at least one owner"
NOON = datetime(2027, 6, 1, 4, 0, tzinfo=UTC)


def members_url(cast, membership: Membership | None = None) -> str:
    base = f"/api/v1/organizations/{cast.org_a.pk}/members/"
    return f"{base}{membership.pk}/" if membership else base


def last_owner_problem() -> dict:
    return problem("last-owner", 409, LAST_OWNER, LAST_OWNER, code="last_owner")


# --- members ------------------------------------------------------------------------------------------------
def test_owner_changes_a_members_role(cast):
    # given
    operator = cast.membership("operator")

    # when
    response = cast.client("owner").patch(members_url(cast, operator), {"role": "finance"}, format="json")

    # then
    operator.refresh_from_db()
    assert (response.status_code, response.json()) == (200, member_body(operator))
    assert operator.role == MemberRole.FINANCE
    assert audit_rows() == [
        ("member.role_changed", "user", cast.users["owner"].pk, cast.org_a.pk, "membership", str(operator.pk))
    ]
    assert AuditEvent.objects.get().changes == {"role": ["operator", "finance"]}


def test_owner_removes_a_member_who_then_sees_nothing_of_the_organization(cast):
    # given
    finance = cast.membership("finance")

    # when
    response = cast.client("owner").delete(members_url(cast, finance))

    # then
    assert (response.status_code, response.content) == (204, b"")
    assert Membership.objects.filter(pk=finance.pk).exists() is False
    assert User.objects.filter(pk=cast.users["finance"].pk).exists() is True  # the account itself stays
    assert audit_rows() == [
        ("member.removed", "user", cast.users["owner"].pk, cast.org_a.pk, "membership", str(finance.pk))
    ]
    assert AuditEvent.objects.get().changes == {"email": "finance@a.test", "role": "finance"}
    former = cast.client("finance")
    assert former.get("/api/v1/organizations/").json()["results"] == []
    assert former.get("/api/v1/licenses/").json()["results"] == []
    assert former.get(f"/api/v1/organizations/{cast.org_a.pk}/").status_code == 404


@pytest.mark.parametrize("method", ["demote", "remove"])
def test_the_last_owner_can_be_neither_demoted_nor_removed(cast, method):
    # given
    owner = cast.membership("owner")
    client = cast.client("owner")

    # when
    if method == "demote":
        response = client.patch(members_url(cast, owner), {"role": "viewer"}, format="json")
    else:
        response = client.delete(members_url(cast, owner))

    # then
    owner.refresh_from_db()
    assert (response.status_code, response.json()) == (409, last_owner_problem())
    assert owner.role == MemberRole.OWNER
    assert AuditEvent.objects.exists() is False


def test_with_a_second_owner_an_owner_may_step_down_but_the_second_may_not_then_leave(cast):
    # given: the operator is promoted to owner
    owner = cast.membership("owner")
    operator = cast.membership("operator")
    assert cast.client("owner").patch(members_url(cast, operator), {"role": "owner"}, format="json").status_code == 200

    # when: the first owner steps down
    response = cast.client("owner").patch(members_url(cast, owner), {"role": "viewer"}, format="json")

    # then
    owner.refresh_from_db()
    assert (response.status_code, owner.role) == (200, MemberRole.VIEWER)

    # when: the new (now only) owner tries to leave
    response = cast.client("operator").delete(members_url(cast, operator))

    # then
    assert (response.status_code, response.json()) == (409, last_owner_problem())
    assert [row[0] for row in audit_rows()] == ["member.role_changed", "member.role_changed"]
    assert list(AuditEvent.objects.order_by("id").values_list("changes", flat=True)) == [
        {"role": ["operator", "owner"]},
        {"role": ["owner", "viewer"]},
    ]


def test_a_member_leaves_and_then_sees_nothing_of_the_organization(cast):
    # given
    finance = cast.membership("finance")
    client = cast.client("finance")

    # when
    response = client.post(f"/api/v1/organizations/{cast.org_a.pk}/leave/", {}, format="json")

    # then
    assert (response.status_code, response.content) == (204, b"")
    assert Membership.objects.filter(pk=finance.pk).exists() is False
    assert User.objects.filter(pk=cast.users["finance"].pk).exists() is True  # the account itself stays
    assert audit_rows() == [
        ("member.left", "user", cast.users["finance"].pk, cast.org_a.pk, "membership", str(finance.pk))
    ]
    assert AuditEvent.objects.get().changes == {"email": "finance@a.test", "role": "finance"}
    assert client.get("/api/v1/organizations/").json()["results"] == []
    assert client.get(f"/api/v1/organizations/{cast.org_a.pk}/").status_code == 404


def test_a_person_leaves_one_of_their_organizations_whichever_they_act_for(cast, as_client):
    # given: the viewer of A is also a viewer of B, and acts for A
    in_b = MembershipFactory(user=cast.users["viewer"], organization=cast.org_b, role=MemberRole.VIEWER)
    client = as_client(cast.users["viewer"], organization_id=cast.org_a.pk)

    # when
    response = client.post(f"/api/v1/organizations/{cast.org_b.pk}/leave/", {}, format="json")

    # then: B's membership is gone, A's stays
    assert (response.status_code, response.content) == (204, b"")
    assert list(Membership.objects.filter(user=cast.users["viewer"]).values_list("organization_id", "role")) == [
        (cast.org_a.pk, MemberRole.VIEWER)
    ]
    assert audit_rows() == [("member.left", "user", cast.users["viewer"].pk, cast.org_b.pk, "membership", str(in_b.pk))]


def test_the_last_owner_cannot_leave(cast):
    # when
    response = cast.client("owner").post(f"/api/v1/organizations/{cast.org_a.pk}/leave/", {}, format="json")

    # then
    assert (response.status_code, response.json()) == (409, last_owner_problem())
    assert cast.membership("owner").role == MemberRole.OWNER
    assert AuditEvent.objects.exists() is False


@pytest.mark.parametrize("caller", ["other_owner", "admin"])
def test_leaving_an_organization_one_is_not_a_member_of_is_not_found(cast, caller):
    # when
    response = cast.client(caller).post(f"/api/v1/organizations/{cast.org_a.pk}/leave/", {}, format="json")

    # then
    assert (response.status_code, response.json()) == (404, not_found())
    assert Membership.objects.filter(organization=cast.org_a).count() == 4
    assert AuditEvent.objects.exists() is False


def test_a_platform_staff_members_role_cannot_be_changed_only_removed(cast):
    # given: a membership of the platform admin made before staff were kept out of organisations
    legacy = MembershipFactory(user=cast.users["admin"], organization=cast.org_a, role=MemberRole.VIEWER)

    # when
    response = cast.client("owner").patch(members_url(cast, legacy), {"role": "owner"}, format="json")

    # then
    title = "Platform staff act for the platform and cannot be members of an organisation"
    assert (response.status_code, response.json()) == (
        409,
        problem("staff-cannot-join", 409, title, title, code="staff_cannot_join"),
    )
    legacy.refresh_from_db()
    assert legacy.role == MemberRole.VIEWER
    assert AuditEvent.objects.exists() is False

    # when: the owner removes it instead
    response = cast.client("owner").delete(members_url(cast, legacy))

    # then
    assert (response.status_code, Membership.objects.filter(pk=legacy.pk).exists()) == (204, False)


def test_a_person_in_several_organizations_names_the_one_to_act_for(cast, as_client):
    # given: the owner of A is also a viewer of B
    MembershipFactory(user=cast.users["owner"], organization=cast.org_b, role=MemberRole.VIEWER)
    licence = {"type": "business", "number": "BL-77", "valid_from": "2024-01-01", "valid_until": "2044-01-01"}

    # when / then: reads cover both; a write without X-Organization-ID is ambiguous
    response = as_client(cast.users["owner"]).get("/api/v1/organizations/")
    assert [organization["id"] for organization in response.json()["results"]] == [cast.org_a.pk, cast.org_b.pk]
    response = as_client(cast.users["owner"]).post("/api/v1/licenses/", licence, format="json")
    title = "Choose the organisation to act for with the X-Organization-ID header"
    assert (response.status_code, response.json()) == (
        400,
        problem("organization-required", 400, title, title, code="organization_required"),
    )

    # when / then: as a viewer of B the write is forbidden, as the owner of A it is allowed
    response = as_client(cast.users["owner"], organization_id=cast.org_b.pk).post(
        "/api/v1/licenses/", licence, format="json"
    )
    assert (response.status_code, response.json()) == (403, permission_denied())
    response = as_client(cast.users["owner"], organization_id=cast.org_a.pk).post(
        "/api/v1/licenses/", licence, format="json"
    )
    assert response.status_code == 201
    assert list(License.objects.filter(number="BL-77").values_list("organization_id", flat=True)) == [cast.org_a.pk]


# --- API keys -----------------------------------------------------------------------------------------------
def test_the_secret_is_shown_once_and_stored_only_as_a_hash(cast, time_machine):
    # given
    time_machine.move_to(NOON, tick=False)
    owner = cast.client("owner")

    # when
    response = owner.post(
        "/api/v1/api-keys/",
        {"name": "HIS 对接", "role": "finance", "expiry_date": "2028-01-01T00:00:00Z"},
        format="json",
    )

    # then: the creation answer carries the secret …
    assert response.status_code == 201
    secret = response.json()["key"]
    api_key = OrganizationApiKey.objects.get(name="HIS 对接")
    assert response.json() == {**api_key_body(api_key), "key": secret}
    assert api_key_body(api_key) == {
        "id": api_key.prefix,
        "name": "HIS 对接",
        "prefix": secret.split(".")[0],
        "role": "finance",
        "created": "2027-06-01T04:00:00Z",
        "expiry_date": "2028-01-01T00:00:00Z",
        "revoked": False,
        "last_used_at": None,
    }
    # … which is stored nowhere, and never shown again
    row = OrganizationApiKey.objects.filter(pk=api_key.pk).values().get()
    assert [name for name, value in row.items() if secret in str(value) or secret.split(".")[1] in str(value)] == []
    assert owner.get("/api/v1/api-keys/").json()["results"] == [api_key_body(api_key), api_key_body(cast.api_key_a)]
    assert owner.get(f"/api/v1/api-keys/{api_key.prefix}/").json() == api_key_body(api_key)
    assert audit_rows() == [
        ("api_key.created", "user", cast.users["owner"].pk, cast.org_a.pk, "api_key", api_key.prefix)
    ]
    assert AuditEvent.objects.get().changes == {"name": "HIS 对接", "role": "finance", "prefix": api_key.prefix}


def test_a_key_authenticates_for_its_organization_and_records_its_last_use(cast, time_machine):
    # given
    time_machine.move_to(NOON, tick=False)
    client = cast.client("api_key")

    # when
    response = client.get("/api/v1/organizations/")

    # then
    assert response.status_code == 200
    assert [organization["id"] for organization in response.json()["results"]] == [cast.org_a.pk]
    cast.api_key_a.refresh_from_db()
    assert cast.api_key_a.last_used_at == NOON

    # when: used again within the minute, then later
    time_machine.move_to(NOON + timedelta(seconds=30), tick=False)
    assert client.get("/api/v1/licenses/").status_code == 200
    cast.api_key_a.refresh_from_db()
    assert cast.api_key_a.last_used_at == NOON  # not rewritten on every request
    time_machine.move_to(NOON + timedelta(minutes=5), tick=False)
    assert client.get("/api/v1/licenses/").status_code == 200

    # then
    cast.api_key_a.refresh_from_db()
    assert cast.api_key_a.last_used_at == NOON + timedelta(minutes=5)


@pytest.mark.parametrize("role", [MemberRole.OPERATOR, MemberRole.FINANCE, MemberRole.VIEWER])
def test_a_key_carries_its_role_and_no_user(cast, role):
    # given
    api_key, secret = OrganizationApiKey.objects.create_key(name="k", organization=cast.org_a, role=role)
    django_request = APIRequestFactory().get("/api/v1/licenses/", HTTP_AUTHORIZATION=f"Api-Key {secret}")

    # when: the request goes through the real authentication class
    actor = actor_from_request(Request(django_request, authenticators=[ApiKeyAuthentication()]))

    # then
    assert (actor.api_key, actor.organization, actor.role, actor.user, actor.staff_roles) == (
        api_key,
        cast.org_a,
        role,
        None,
        frozenset(),
    )
    assert (actor.audit.type, actor.audit.label, actor.audit.api_key_id) == (
        "api_key",
        f"api-key:{api_key.prefix}",
        api_key.prefix,
    )


@pytest.mark.parametrize(
    ("_case", "request_args"),
    [
        ("change the organisation", ("patch", "organizations/{org}/", {"contact_phone": "1"}, None)),
        (
            "invite a member",
            (
                "post",
                "organizations/{org}/invitations/",
                {"email": "x@a.test", "role": "viewer"},
                OWNER_ONLY_MEMBERS_DETAIL,
            ),
        ),
        ("submit a licence", ("post", "licenses/", {"type": "business", "number": "1"}, None)),
        ("create a key", ("post", "api-keys/", {"name": "child", "role": "viewer"}, None)),
        ("list keys", ("get", "api-keys/", None, None)),
    ],
)
def test_a_key_cannot_do_what_only_owners_do(cast, _case, request_args):
    # given
    method, path, body, detail = request_args
    keys_before = OrganizationApiKey.objects.count()

    # when
    url = "/api/v1/" + path.format(org=cast.org_a.pk)
    response = getattr(cast.client("api_key"), method)(url, body, format="json")

    # then
    assert (response.status_code, response.json()) == (
        403,
        permission_denied(detail) if detail else permission_denied(),
    )
    assert OrganizationApiKey.objects.count() == keys_before
    assert AuditEvent.objects.exists() is False


def test_a_revoked_key_no_longer_authenticates_and_cannot_be_revoked_twice(cast):
    # given
    client = cast.client("api_key")
    assert client.get("/api/v1/organizations/").status_code == 200

    # when
    response = cast.client("owner").post(f"/api/v1/api-keys/{cast.api_key_a.prefix}/revoke/", {}, format="json")

    # then
    cast.api_key_a.refresh_from_db()
    assert (response.status_code, response.json()) == (200, api_key_body(cast.api_key_a))
    assert cast.api_key_a.revoked is True
    assert (client.get("/api/v1/organizations/").status_code, client.get("/api/v1/organizations/").json()) == (
        401,
        authentication_failed("The API key is not valid or was revoked."),
    )
    assert audit_rows() == [
        ("api_key.revoked", "user", cast.users["owner"].pk, cast.org_a.pk, "api_key", cast.api_key_a.prefix)
    ]
    assert AuditEvent.objects.get().changes == {"revoked": [False, True]}

    # when: revoked again
    response = cast.client("owner").post(f"/api/v1/api-keys/{cast.api_key_a.prefix}/revoke/", {}, format="json")

    # then
    title = "This API key is already revoked"
    assert (response.status_code, response.json()) == (
        409,
        problem("api-key-revoked", 409, title, title, code="api_key_revoked"),
    )
    assert AuditEvent.objects.count() == 1


def test_an_expired_key_no_longer_authenticates(cast, time_machine):
    # given: a key created to expire the next day
    time_machine.move_to(NOON, tick=False)
    response = cast.client("owner").post(
        "/api/v1/api-keys/", {"name": "temp", "role": "viewer", "expiry_date": "2027-06-02T04:00:00Z"}, format="json"
    )
    client = cast.make_client(api_key=response.json()["key"])
    assert client.get("/api/v1/organizations/").status_code == 200

    # when
    time_machine.move_to(NOON + timedelta(days=1, seconds=1), tick=False)
    response = client.get("/api/v1/organizations/")

    # then
    assert (response.status_code, response.json()) == (401, authentication_failed("The API key has expired."))


@pytest.mark.parametrize(
    "header",
    [
        "Api-Key {prefix}.wrong-secret",
        "Api-Key nosuchkey.secret",
        "Api-Key {secret} extra",
    ],
)
def test_a_forged_key_is_refused(cast, header):
    # given
    client = cast.make_client()
    prefix = cast.api_key_a.prefix
    client.credentials(HTTP_AUTHORIZATION=header.format(prefix=prefix, secret=cast.api_key_a_secret))

    # when
    response = client.get("/api/v1/organizations/")

    # then
    detail = (
        "Send exactly one API key after 'Api-Key'."
        if header.endswith("extra")
        else "The API key is not valid or was revoked."
    )
    assert (response.status_code, response.json()) == (401, authentication_failed(detail))
    cast.api_key_a.refresh_from_db()
    assert cast.api_key_a.last_used_at is None


@pytest.mark.parametrize(
    ("_case", "body", "errors"),
    [
        (
            "keys cannot be owners",
            {"name": "k", "role": "owner"},
            [{"field": "role", "code": "invalid_choice", "message": '"owner" is not a valid choice.'}],
        ),
        (
            "expiry in the past",
            {"name": "k", "role": "viewer", "expiry_date": "2020-01-01T00:00:00Z"},
            [{"field": "expiry_date", "code": "past", "message": "Must be in the future."}],
        ),
        (
            "organisation is not the caller's to choose",
            {"name": "k", "role": "viewer", "organization": 1},
            [{"field": "organization", "code": "not_writable", "message": "This field cannot be set."}],
        ),
    ],
)
def test_key_creation_refuses_invalid_input(cast, _case, body, errors):
    # when
    response = cast.client("owner").post("/api/v1/api-keys/", body, format="json")

    # then
    assert (response.status_code, response.json()) == (400, validation_error(errors))
    assert OrganizationApiKey.objects.filter(name="k").exists() is False
    assert AuditEvent.objects.exists() is False


def test_each_api_key_has_its_own_throttle_budget(cast, throttle_budget):
    # given: a budget of two requests a minute per principal
    throttle_budget("principal", "2/min")
    _, secret_b = OrganizationApiKey.objects.create_key(name="b", organization=cast.org_b, role=MemberRole.VIEWER)
    key_a, key_b = cast.client("api_key"), cast.make_client(api_key=secret_b)

    # when
    statuses_a = [key_a.get("/api/v1/organizations/").status_code for _ in range(3)]
    status_b = key_b.get("/api/v1/organizations/").status_code

    # then: A's burst does not spend B's budget
    assert (statuses_a, status_b) == ([200, 200, 429], 200)


def test_a_replayed_key_creation_does_not_show_the_secret_again(cast):
    # given
    owner = cast.client("owner")
    body = {"name": "重试", "role": "viewer"}
    first = owner.post("/api/v1/api-keys/", body, format="json", HTTP_IDEMPOTENCY_KEY="create-key-1")

    # when: the client retries with the same Idempotency-Key
    second = owner.post("/api/v1/api-keys/", body, format="json", HTTP_IDEMPOTENCY_KEY="create-key-1")

    # then: the same key's details, but the secret was never stored, so it is not replayed
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.headers["Idempotent-Replayed"] == "true"
    assert first.json()["key"].startswith(first.json()["prefix"] + ".")
    assert second.json() == {**first.json(), "key": None}
    assert OrganizationApiKey.objects.filter(name="重试").count() == 1
    assert [row[0] for row in audit_rows()] == ["api_key.created"]
