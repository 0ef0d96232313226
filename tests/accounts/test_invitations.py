"""Membership by invitation (SPEC §3): an owner invites an email with a role; nothing changes for anyone until the
person accepts (signed in, or with the emailed code); no answer reveals whether an email has an account; platform
staff never join."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction

from accounts.choices import InvitationStatus, MemberRole
from accounts.models import Invitation, Membership, User
from pharmex.choices import StaffRole
from pharmex.models import AuditEvent
from tests.accounts.helpers import (
    OWNER_ONLY_MEMBERS_DETAIL,
    audit_rows,
    invitation_body,
    me_body,
    membership_brief_body,
    not_found,
    permission_denied,
    problem,
    validation_error,
)
from tests.factories import InvitationFactory, MembershipFactory, UserFactory
from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db

NOON = datetime(2027, 6, 1, 4, 0, tzinfo=UTC)
INVALID_TITLE = "This invitation does not exist, has expired, was revoked or was already used"
STAFF_TITLE = "Platform staff act for the platform and cannot be members of an organisation"
TOKEN_IN_LINK = re.compile(r"#token=(\S+)")


def invitations_url(cast) -> str:
    return f"/api/v1/organizations/{cast.org_a.pk}/invitations/"


def invitation_invalid(*, field: str | None = "token") -> dict:
    errors = [{"field": field, "code": "invitation_invalid", "message": INVALID_TITLE}] if field else None
    return problem("invitation-invalid", 404, INVALID_TITLE, INVALID_TITLE, errors=errors, code="invitation_invalid")


def staff_cannot_join() -> dict:
    return problem("staff-cannot-join", 409, STAFF_TITLE, STAFF_TITLE, code="staff_cannot_join")


def invite(cast, email: str, role: str = "operator", **headers):
    return cast.client("owner").post(invitations_url(cast), {"email": email, "role": role}, format="json", **headers)


def accept_by_token(cast, body: dict):
    return cast.make_client().post("/api/v1/invitations/accept/", body, format="json")


def emailed_token(message) -> str:
    return TOKEN_IN_LINK.search(message.body).group(1)


def sign_in(cast, email: str, password: str):
    response = cast.make_client().post("/api/v1/auth/token/", {"email": email, "password": password}, format="json")
    assert response.status_code == 200
    client = cast.make_client()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


# --- inviting -----------------------------------------------------------------------------------------------
def test_an_invitation_changes_nothing_for_the_invitee_until_accepted(
    cast, time_machine, django_capture_on_commit_callbacks, mailoutbox
):
    # given: the invitee has an account and is a member of B, which they act for
    time_machine.move_to(NOON, tick=False)
    invitee = MembershipFactory(organization=cast.org_b, role=MemberRole.VIEWER, user__email="wang@b.test").user
    invitee_client = cast.make_client(invitee)
    me_before = invitee_client.get("/api/v1/me/").json()

    # when: the email is written in another case
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(cast, "Wang@B.test")

    # then: a pending invitation, addressed to the lower-cased email, valid for a week
    invitation = Invitation.objects.get()
    assert (response.status_code, response.json()) == (
        201,
        {
            "id": invitation.pk,
            "organization": {"id": cast.org_a.pk, "legal_name": "海口甲大药房有限公司"},
            "email": "wang@b.test",
            "role": "operator",
            "status": "pending",
            "expires_at": "2027-06-08T04:00:00Z",
            "accepted_at": None,
            "created_at": "2027-06-01T04:00:00Z",
        },
    )
    assert invitation.invited_by == cast.users["owner"]
    # … and nothing else: no membership, the invitee still acts for B alone
    assert Membership.objects.filter(user=invitee).count() == 1
    assert invitee_client.get("/api/v1/me/").json() == me_before == me_body(invitee, may_trade={cast.org_b.pk: True})
    organizations = invitee_client.get("/api/v1/organizations/").json()["results"]
    assert [organization["id"] for organization in organizations] == [cast.org_b.pk]
    assert audit_rows() == [
        ("invitation.created", "user", cast.users["owner"].pk, cast.org_a.pk, "invitation", str(invitation.pk))
    ]
    assert AuditEvent.objects.get().changes == {
        "email": "wang@b.test",
        "role": "operator",
        "expires_at": "2027-06-08T04:00:00+00:00",
    }
    # the invitee is emailed the code; only its hash is stored
    [message] = mailoutbox
    token = emailed_token(message)
    assert (message.to, message.subject) == (["wang@b.test"], "PharmEx: invitation to join 海口甲大药房有限公司")
    assert message.body.startswith(
        "海口甲大药房有限公司 invited you to join it on PharmEx as Operator.\n\n"
        f"Accept before 2027-06-08 12:00 CST: http://127.0.0.1:8000/api/v1/invitations/accept/#token={token}\n\n"
    )
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    row = Invitation.objects.filter(pk=invitation.pk).values().get()
    assert [name for name, value in row.items() if token in str(value)] == []


@pytest.mark.parametrize(
    "account",
    ["an account", "an account that is a member elsewhere", "a platform admin", "a superuser"],
)
def test_the_invitation_answer_is_the_same_whether_or_not_the_email_has_an_account(
    cast, account, time_machine, django_capture_on_commit_callbacks, mailoutbox
):
    # given
    time_machine.move_to(NOON, tick=False)
    email = "someone@elsewhere.test"

    # when: the owner invites the email while no account exists; then everything is undone and the invitation
    # table's id sequence set back, so the only difference in the second run is the account
    with transaction.atomic():
        with django_capture_on_commit_callbacks() as callbacks:
            without_account = invite(cast, email)
        for send in callbacks:
            send()
        transaction.set_rollback(True)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, false)",
            [Invitation._meta.db_table, without_account.json()["id"]],
        )
    if account == "an account":
        UserFactory(email=email)
    elif account == "an account that is a member elsewhere":
        MembershipFactory(organization=cast.org_b, user__email=email)
    elif account == "a platform admin":
        UserFactory(email=email, staff_role=StaffRole.ADMIN, is_staff=True)
    else:
        UserFactory(email=email, is_superuser=True, is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        with_account = invite(cast, email)

    # then: the same status, headers and bytes; the same email apart from its secret
    assert without_account.status_code == with_account.status_code == 201
    assert without_account.content == with_account.content
    assert without_account.headers["Content-Type"] == with_account.headers["Content-Type"]
    assert with_account.json() == invitation_body(Invitation.objects.get())
    first, second = mailoutbox
    assert emailed_token(first) != emailed_token(second)
    assert (first.to, first.subject, first.body.replace(emailed_token(first), "<code>")) == (
        second.to,
        second.subject,
        second.body.replace(emailed_token(second), "<code>"),
    )


def test_inviting_a_member_of_the_organization_is_refused(cast, django_capture_on_commit_callbacks, mailoutbox):
    # when: the owner invites its own viewer (the owner lists its members anyway)
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(cast, "Viewer@a.test", role="owner")

    # then
    title = "This user is already a member of the organisation"
    assert (response.status_code, response.json()) == (
        409,
        problem(
            "already-member",
            409,
            title,
            title,
            errors=[{"field": "email", "code": "already_member", "message": title}],
            code="already_member",
        ),
    )
    assert cast.membership("viewer").role == MemberRole.VIEWER
    assert (Invitation.objects.exists(), AuditEvent.objects.exists(), mailoutbox) == (False, False, [])


@pytest.mark.parametrize(
    ("_case", "body", "errors"),
    [
        (
            "not an email",
            {"email": "not-an-email", "role": "viewer"},
            [{"field": "email", "code": "invalid", "message": "Enter a valid email address."}],
        ),
        (
            "unknown role",
            {"email": "x@a.test", "role": "admin"},
            [{"field": "role", "code": "invalid_choice", "message": '"admin" is not a valid choice.'}],
        ),
        (
            "no direct password any more",
            {"email": "x@a.test", "role": "viewer", "password": "ledger-and-ink-2027"},
            [{"field": "password", "code": "not_writable", "message": "This field cannot be set."}],
        ),
    ],
)
def test_an_invitation_refuses_invalid_input(cast, _case, body, errors):
    # when
    response = cast.client("owner").post(invitations_url(cast), body, format="json")

    # then
    assert (response.status_code, response.json()) == (400, validation_error(errors))
    assert (Invitation.objects.exists(), AuditEvent.objects.exists()) == (False, False)


@pytest.mark.parametrize(
    ("_case", "age", "replaced_as", "closed"),
    [("pending", 1, "revoke", "revoked"), ("expired", 8, "expire", "expired")],
)
def test_inviting_an_email_again_replaces_its_pending_invitation(
    cast, _case, age, replaced_as, closed, time_machine, django_capture_on_commit_callbacks, mailoutbox
):
    # given: an invitation sent `age` days ago
    time_machine.move_to(NOON, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        first = invite(cast, "li@elsewhere.test", role="viewer").json()
    time_machine.move_to(NOON + timedelta(days=age), tick=False)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(cast, "li@elsewhere.test", role="finance")

    # then: a new invitation; the old one is closed and its code no longer works
    old, new = Invitation.objects.order_by("id")
    assert (response.status_code, response.json()) == (201, invitation_body(new))
    assert (old.pk, old.status, new.status, new.role) == (first["id"], closed, "pending", "finance")
    assert list(old.status_changes.values_list("action", "from_status", "to_status", "actor", "note")) == [
        (replaced_as, "pending", closed, "owner@a.test", "replaced by a new invitation")
    ]
    assert [row[0] for row in audit_rows()] == ["invitation.created", f"invitation.{replaced_as}", "invitation.created"]
    old_token, new_token = (emailed_token(message) for message in mailoutbox)
    response = accept_by_token(cast, {"token": old_token, "password": "ledger-and-ink-2027"})
    assert (response.status_code, response.json()) == (404, invitation_invalid())
    response = accept_by_token(cast, {"token": new_token, "password": "ledger-and-ink-2027"})
    assert (response.status_code, Membership.objects.get(user__email="li@elsewhere.test").role) == (201, "finance")


def test_a_replayed_invitation_sends_no_second_email(cast, django_capture_on_commit_callbacks, mailoutbox):
    # given
    with django_capture_on_commit_callbacks(execute=True):
        first = invite(cast, "zhao@elsewhere.test", HTTP_IDEMPOTENCY_KEY="invite-zhao-1")

    # when: the client retries with the same key
    with django_capture_on_commit_callbacks(execute=True):
        second = invite(cast, "zhao@elsewhere.test", HTTP_IDEMPOTENCY_KEY="invite-zhao-1")

    # then
    assert (first.status_code, second.status_code, second.headers["Idempotent-Replayed"]) == (201, 201, "true")
    assert second.json() == first.json()
    assert (Invitation.objects.count(), len(mailoutbox), [row[0] for row in audit_rows()]) == (
        1,
        1,
        ["invitation.created"],
    )


# --- listing and revoking -----------------------------------------------------------------------------------
def test_the_owner_lists_invitations_with_their_current_status(cast, time_machine):
    # given: one pending, one past its expiry, one accepted, one revoked
    time_machine.move_to(NOON, tick=False)
    pending = InvitationFactory(organization=cast.org_a, email="p@x.test")
    expired = InvitationFactory(organization=cast.org_a, email="e@x.test", expires_at=NOON - timedelta(seconds=1))
    accepted = InvitationFactory(organization=cast.org_a, email="a@x.test", status=InvitationStatus.ACCEPTED)
    revoked = InvitationFactory(organization=cast.org_a, email="r@x.test", status=InvitationStatus.REVOKED)

    # when
    response = cast.client("owner").get(invitations_url(cast))

    # then: the one past its expiry shows as expired
    assert (response.status_code, response.json()["results"]) == (
        200,
        [
            invitation_body(pending),
            invitation_body(expired, status="expired"),
            invitation_body(accepted),
            invitation_body(revoked),
        ],
    )


def test_the_owner_revokes_an_invitation_whose_code_then_stops_working(cast):
    # given
    invitation = InvitationFactory(organization=cast.org_a, email="sun@elsewhere.test", token="the-code")
    url = f"{invitations_url(cast)}{invitation.pk}/revoke/"

    # when
    response = cast.client("owner").post(url, {}, format="json")

    # then
    invitation.refresh_from_db()
    assert (response.status_code, response.json()) == (200, invitation_body(invitation))
    assert invitation.status == InvitationStatus.REVOKED
    assert audit_rows() == [
        ("invitation.revoke", "user", cast.users["owner"].pk, cast.org_a.pk, "invitation", str(invitation.pk))
    ]
    assert AuditEvent.objects.get().changes == {"status": ["pending", "revoked"], "note": ""}
    assert accept_by_token(cast, {"token": "the-code", "password": "a-long-passphrase"}).json() == invitation_invalid()
    assert User.objects.filter(email="sun@elsewhere.test").exists() is False

    # when: revoked again
    response = cast.client("owner").post(url, {}, format="json")

    # then
    title = "This action is not allowed in the current state"
    assert (response.status_code, response.json()) == (
        409,
        problem(
            "invalid-transition",
            409,
            title,
            "Cannot revoke an invitation that is revoked.",
            code="invalid_transition",
        ),
    )
    assert AuditEvent.objects.count() == 1


def test_an_owner_cannot_reach_another_organizations_invitations(cast):
    # given: an invitation of B, addressed under A's URL by A's owner
    invitation = InvitationFactory(organization=cast.org_b)

    # when
    response = cast.client("owner").post(f"{invitations_url(cast)}{invitation.pk}/revoke/", {}, format="json")

    # then
    assert (response.status_code, response.json()) == (404, not_found())
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING


# --- accepting while signed in ------------------------------------------------------------------------------
def test_the_invitee_lists_and_accepts_an_invitation_while_signed_in(cast, time_machine):
    # given: the invitee is a member of B and is invited to A
    time_machine.move_to(NOON, tick=False)
    invitee = MembershipFactory(organization=cast.org_b, role=MemberRole.VIEWER, user__email="wang@b.test").user
    invitation = InvitationFactory(organization=cast.org_a, email="wang@b.test", role=MemberRole.OPERATOR)
    client = cast.make_client(invitee)
    assert client.get("/api/v1/invitations/").json()["results"] == [invitation_body(invitation)]

    # when
    response = client.post(f"/api/v1/invitations/{invitation.pk}/accept/", {}, format="json")

    # then: the invitee is an operator of A, and still a viewer of B
    membership = Membership.objects.get(user=invitee, organization=cast.org_a)
    assert (response.status_code, response.json()) == (201, membership_brief_body(membership, may_trade=True))
    assert list(Membership.objects.filter(user=invitee).values_list("organization_id", "role")) == [
        (cast.org_b.pk, MemberRole.VIEWER),
        (cast.org_a.pk, MemberRole.OPERATOR),
    ]
    invitation.refresh_from_db()
    assert (invitation.status, invitation.accepted_by, invitation.accepted_at) == ("accepted", invitee, NOON)
    assert list(invitation.status_changes.values_list("action", "from_status", "to_status", "actor")) == [
        ("accept", "pending", "accepted", "wang@b.test")
    ]
    assert audit_rows() == [
        ("member.added", "user", invitee.pk, cast.org_a.pk, "membership", str(membership.pk)),
        ("invitation.accept", "user", invitee.pk, cast.org_a.pk, "invitation", str(invitation.pk)),
    ]
    assert list(AuditEvent.objects.order_by("id").values_list("changes", flat=True)) == [
        {"email": "wang@b.test", "role": "operator", "invitation": invitation.pk},
        {"status": ["pending", "accepted"], "note": ""},
    ]
    # the invitation is used: no longer listed, not accepted twice
    assert client.get("/api/v1/invitations/").json()["results"] == []
    response = client.post(f"/api/v1/invitations/{invitation.pk}/accept/", {}, format="json")
    assert (response.status_code, response.json()) == (404, not_found())


@pytest.mark.parametrize(
    ("_case", "overrides"),
    [
        ("addressed to someone else", {"email": "someone@else.test"}),
        ("expired", {"expires_at": NOON - timedelta(seconds=1)}),
        ("revoked", {"status": InvitationStatus.REVOKED}),
        ("accepted already", {"status": InvitationStatus.ACCEPTED}),
    ],
)
def test_only_ones_own_pending_invitation_is_accepted_by_id(cast, time_machine, _case, overrides):
    # given
    time_machine.move_to(NOON, tick=False)
    invitation = InvitationFactory(organization=cast.org_a, **{"email": "owner@b.test", **overrides})

    # when
    response = cast.client("other_owner").post(f"/api/v1/invitations/{invitation.pk}/accept/", {}, format="json")

    # then: not found, exactly as an id that never existed
    assert (response.status_code, response.json()) == (404, not_found())
    assert Membership.objects.filter(user=cast.users["other_owner"], organization=cast.org_a).exists() is False
    assert AuditEvent.objects.exists() is False


# --- accepting with the emailed code ------------------------------------------------------------------------
def test_the_code_joins_an_existing_account_which_keeps_its_password(cast, time_machine):
    # given
    time_machine.move_to(NOON, tick=False)
    invitee = UserFactory(email="qian@elsewhere.test", full_name="钱七")
    invitation = InvitationFactory(organization=cast.org_a, email="qian@elsewhere.test", token="the-code")

    # when
    response = accept_by_token(cast, {"token": "the-code"})

    # then
    membership = Membership.objects.get(user=invitee)
    assert (response.status_code, response.json()) == (201, membership_brief_body(membership, may_trade=True))
    assert (membership.organization_id, membership.role) == (cast.org_a.pk, MemberRole.VIEWER)
    assert User.objects.filter(email="qian@elsewhere.test").count() == 1
    invitee.refresh_from_db()
    assert (invitee.full_name, invitee.check_password(PASSWORD)) == ("钱七", True)
    assert audit_rows() == [
        ("member.added", "user", invitee.pk, cast.org_a.pk, "membership", str(membership.pk)),
        ("invitation.accept", "user", invitee.pk, cast.org_a.pk, "invitation", str(invitation.pk)),
    ]
    assert sign_in(cast, "qian@elsewhere.test", PASSWORD).get("/api/v1/me/").json()["memberships"][0]["role"] == (
        "viewer"
    )


def test_the_code_creates_the_account_of_a_new_email(cast, time_machine):
    # given
    time_machine.move_to(NOON, tick=False)
    invitation = InvitationFactory(
        organization=cast.org_a, email="li@new.test", role=MemberRole.FINANCE, token="the-code"
    )

    # when
    response = accept_by_token(cast, {"token": "the-code", "password": "ledger-and-ink-2027", "full_name": "李雷"})

    # then: the account exists, joined A, and signs in with that password
    user = User.objects.get(email="li@new.test")
    membership = Membership.objects.get(user=user)
    assert (response.status_code, response.json()) == (201, membership_brief_body(membership, may_trade=True))
    assert (user.full_name, user.staff_roles, membership.organization_id, membership.role) == (
        "李雷",
        frozenset(),
        cast.org_a.pk,
        "finance",
    )
    assert sign_in(cast, "li@new.test", "ledger-and-ink-2027").get("/api/v1/me/").json() == me_body(
        user, may_trade={cast.org_a.pk: True}
    )
    # the account's creation is a platform record: A's members do not learn the email had no account
    assert audit_rows() == [
        ("user.created", "user", user.pk, None, "user", str(user.pk)),
        ("member.added", "user", user.pk, cast.org_a.pk, "membership", str(membership.pk)),
        ("invitation.accept", "user", user.pk, cast.org_a.pk, "invitation", str(invitation.pk)),
    ]
    assert AuditEvent.objects.order_by("id").first().changes == {"email": "li@new.test", "invitation": invitation.pk}
    assert [event["action"] for event in cast.client("owner").get("/api/v1/audit-events/").json()["results"]] == [
        "invitation.accept",
        "member.added",
    ]


ACCOUNT_EXISTS = "An account with this email already exists: accept without this field, then sign in as usual."


@pytest.mark.parametrize(
    ("_case", "has_account", "extra", "errors"),
    [
        (
            "a new account needs a password",
            False,
            {"full_name": "李雷"},
            [{"field": "password", "code": "required", "message": "Choose a password to create your account."}],
        ),
        (
            "a weak password",
            False,
            {"password": "password"},
            [{"field": "password", "code": "weak_password", "message": "This password is too common."}],
        ),
        (
            "an existing account keeps its password",
            True,
            {"password": "ledger-and-ink-2027"},
            [{"field": "password", "code": "account_exists", "message": ACCOUNT_EXISTS}],
        ),
        (
            "and its name",
            True,
            {"password": "ledger-and-ink-2027", "full_name": "李雷"},
            [
                {"field": "full_name", "code": "account_exists", "message": ACCOUNT_EXISTS},
                {"field": "password", "code": "account_exists", "message": ACCOUNT_EXISTS},
            ],
        ),
        (
            "unknown field",
            False,
            {"password": "ledger-and-ink-2027", "is_staff": True},
            [{"field": "is_staff", "code": "not_writable", "message": "This field cannot be set."}],
        ),
    ],
)
def test_accepting_with_the_code_refuses_unfit_account_fields(cast, _case, has_account, extra, errors):
    # given
    if has_account:
        UserFactory(email="li@new.test")
    invitation = InvitationFactory(organization=cast.org_a, email="li@new.test", token="the-code")

    # when
    response = accept_by_token(cast, {"token": "the-code", **extra})

    # then: nothing happened; the code still works
    assert (response.status_code, response.json()) == (400, validation_error(errors))
    assert User.objects.filter(email="li@new.test").count() == int(has_account)
    invitation.refresh_from_db()
    assert (invitation.status, Membership.objects.filter(user__email="li@new.test").exists()) == ("pending", False)
    assert AuditEvent.objects.exists() is False


@pytest.mark.parametrize("_case", ["unknown", "expired", "revoked", "used"])
def test_a_wrong_expired_revoked_or_used_code_is_refused_alike(cast, time_machine, _case):
    # given
    time_machine.move_to(NOON, tick=False)
    UserFactory(email="zhou@elsewhere.test")
    overrides = {
        "unknown": {},
        "expired": {"expires_at": NOON},
        "revoked": {"status": InvitationStatus.REVOKED},
        "used": {"status": InvitationStatus.ACCEPTED},
    }[_case]
    InvitationFactory(organization=cast.org_a, email="zhou@elsewhere.test", token="the-code", **overrides)
    token = "not-the-code" if _case == "unknown" else "the-code"

    # when
    response = accept_by_token(cast, {"token": token})

    # then: one answer for every reason
    assert (response.status_code, response.json()) == (404, invitation_invalid())
    assert Membership.objects.filter(user__email="zhou@elsewhere.test").exists() is False
    assert AuditEvent.objects.exists() is False


def test_a_code_is_accepted_once(cast):
    # given
    InvitationFactory(organization=cast.org_a, email="wu@new.test", token="the-code")
    assert accept_by_token(cast, {"token": "the-code", "password": "ledger-and-ink-2027"}).status_code == 201

    # when
    response = accept_by_token(cast, {"token": "the-code"})

    # then
    assert (response.status_code, response.json()) == (404, invitation_invalid())
    assert Membership.objects.filter(user__email="wu@new.test").count() == 1


# --- platform staff never join ------------------------------------------------------------------------------
STAFF_KINDS = {
    "a platform admin": {"staff_role": StaffRole.ADMIN, "is_staff": True},
    "a finance admin": {"staff_role": StaffRole.FINANCE_ADMIN, "is_staff": True},
    "a superuser without a staff role": {"is_superuser": True},
    "an admin-site user": {"is_staff": True},
}


@pytest.mark.parametrize("kind", sorted(STAFF_KINDS))
@pytest.mark.parametrize("how", ["signed in", "with the code"])
def test_platform_staff_can_never_join(cast, kind, how):
    # given: an owner of A invites a staff member's email (the answer did not say so)
    staff = UserFactory(email="staff@platform.test", **STAFF_KINDS[kind])
    invitation = InvitationFactory(organization=cast.org_a, email="staff@platform.test", token="the-code")

    # when
    if how == "signed in":
        response = cast.make_client(staff).post(f"/api/v1/invitations/{invitation.pk}/accept/", {}, format="json")
    else:
        response = accept_by_token(cast, {"token": "the-code"})

    # then
    assert (response.status_code, response.json()) == (409, staff_cannot_join())
    assert Membership.objects.filter(user=staff).exists() is False
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.PENDING
    assert AuditEvent.objects.exists() is False


def test_the_platform_admin_keeps_acting_for_the_platform_after_a_pending_organization_invites_it(cast, as_client):
    # given: a pending organisation's owner invites the platform admin as an owner
    cast.org_b.status = "pending"
    cast.org_b.save(update_fields=["status"])
    response = as_client(cast.users["other_owner"]).post(
        f"/api/v1/organizations/{cast.org_b.pk}/invitations/",
        {"email": cast.users["admin"].email, "role": "owner"},
        format="json",
    )
    assert response.status_code == 201
    admin = cast.client("admin")

    # when: the admin tries to accept
    response = admin.post(f"/api/v1/invitations/{response.json()['id']}/accept/", {}, format="json")

    # then: refused; the admin belongs to no organisation and still reads all of them
    assert (response.status_code, response.json()) == (409, staff_cannot_join())
    assert admin.get("/api/v1/me/").json()["memberships"] == []
    assert admin.get("/api/v1/organizations/").json()["count"] == 2


def test_api_keys_neither_invite_nor_accept(cast):
    # given
    invitation = InvitationFactory(organization=cast.org_b, email="operator@a.test")
    client = cast.client("api_key")

    # when
    responses = [
        client.post(invitations_url(cast), {"email": "x@a.test", "role": "viewer"}, format="json"),
        client.get("/api/v1/invitations/"),
        client.post(f"/api/v1/invitations/{invitation.pk}/accept/", {}, format="json"),
    ]

    # then
    invitees_detail = "Invitations are accepted by people; API keys cannot join an organisation."
    assert [(response.status_code, response.json()) for response in responses] == [
        (403, permission_denied(OWNER_ONLY_MEMBERS_DETAIL)),
        (403, permission_denied(invitees_detail)),
        (403, permission_denied(invitees_detail)),
    ]
    assert (Invitation.objects.count(), Membership.objects.filter(organization=cast.org_b).count()) == (1, 1)
    assert AuditEvent.objects.exists() is False


def test_accepting_with_the_code_ignores_the_callers_own_credentials(cast):
    # given: A's owner holds B's invitation code addressed to someone else
    InvitationFactory(organization=cast.org_b, email="zheng@new.test", token="the-code")

    # when
    response = cast.client("owner").post(
        "/api/v1/invitations/accept/", {"token": "the-code", "password": "ledger-and-ink-2027"}, format="json"
    )

    # then: the invited email joins, not the caller
    assert response.status_code == 201
    assert list(Membership.objects.filter(organization=cast.org_b).values_list("user__email", flat=True)) == [
        "owner@b.test",
        "zheng@new.test",
    ]
    assert Membership.objects.filter(user=cast.users["owner"]).count() == 1
    assert Invitation.objects.get().accepted_by.email == "zheng@new.test"


def test_refusals_speak_the_callers_language(cast):
    # when
    response = cast.make_client().post(
        "/api/v1/invitations/accept/", {"token": "no-such-code"}, format="json", HTTP_ACCEPT_LANGUAGE="zh-CN"
    )

    # then
    title = "该邀请不存在、已过期、已撤销或已被使用"
    assert (response.status_code, response.json()) == (
        404,
        problem(
            "invitation-invalid",
            404,
            title,
            title,
            errors=[{"field": "token", "code": "invitation_invalid", "message": title}],
            code="invitation_invalid",
        ),
    )


def test_the_admin_site_shows_invitations_and_members_read_only(cast, client):
    # given
    InvitationFactory(organization=cast.org_a, email="he@elsewhere.test")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    # when
    changelist = client.get("/admin/accounts/invitation/")
    organization_page = client.get(f"/admin/accounts/organization/{cast.org_a.pk}/change/")

    # then
    assert (changelist.status_code, organization_page.status_code) == (200, 200)
    assert "he@elsewhere.test" in changelist.content.decode()
    assert "Add invitation" not in changelist.content.decode()
    # the members inline lists A's four members and offers no row to add one
    page = organization_page.content.decode()
    assert 'name="memberships-INITIAL_FORMS" value="4"' in page
    assert 'name="memberships-MAX_NUM_FORMS" value="0"' in page
