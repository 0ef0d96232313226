"""Signing in and out (RELIABILITY §10, OWASP API2): per-account locks whatever the address, revocable tokens,
password change and reset."""

from __future__ import annotations

import re
import time

import pytest
import time_machine
from django.core import mail
from rest_framework.test import APIClient

from accounts.models import User
from pharmex.api.ratelimit import client_address
from pharmex.models import AuditEvent
from tests.accounts.helpers import authentication_failed, problem, validation_error
from tests.factories import MembershipFactory, UserFactory
from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db
NEW_PASSWORD = "another-long-passphrase-2026"


def sign_in(email: str, password: str, *, address: str = "203.0.113.7", forwarded: str | None = None):
    extra = {"REMOTE_ADDR": address}
    if forwarded:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return APIClient().post("/api/v1/auth/token/", {"email": email, "password": password}, format="json", **extra)


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


@pytest.fixture
def person(db) -> User:
    return MembershipFactory(user__email="wang@kangning.test").user


def locked(seconds: int) -> dict:
    return problem(
        "throttled",
        429,
        "Too many requests",
        f"Too many failed sign-ins for this account; try again in {seconds} seconds.",
        code="login_locked",
    )


def test_rotating_forwarded_for_does_not_buy_more_guesses_and_the_account_locks(person):
    # when: 60 wrong passwords, each claiming another client address
    statuses = [sign_in(person.email, "wrong-guess", forwarded=f"198.51.100.{n}").status_code for n in range(60)]

    # then: ten refusals, then the account is locked — and stays locked for the right password too
    assert statuses == [401] * 10 + [429] * 50
    response = sign_in(person.email, PASSWORD, address="192.0.2.99")
    retry = int(response["Retry-After"])
    assert (response.status_code, response.json()) == (429, locked(retry))
    assert 1 <= retry <= 15 * 60


def test_the_address_budget_counts_the_real_client_not_its_forwarded_for_claims(person, throttle_budget):
    throttle_budget("auth", "5/min")
    statuses = [sign_in(f"nobody{n}@x.test", "wrong-guess", forwarded=f"198.51.100.{n}").status_code for n in range(7)]
    assert statuses == [401] * 5 + [429] * 2


def test_forwarded_for_is_read_only_behind_a_trusted_proxy(rf, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    direct = rf.get("/", REMOTE_ADDR="203.0.113.7", HTTP_X_FORWARDED_FOR="1.2.3.4")
    proxied = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.9, 10.0.0.3")
    assert (client_address(direct), client_address(proxied)) == ("203.0.113.7", "198.51.100.9")


def test_a_success_elsewhere_does_not_reset_the_count(person):
    for n in range(9):
        assert sign_in(person.email, "wrong-guess", address=f"198.51.100.{n}").status_code == 401
    assert sign_in(person.email, PASSWORD, address="192.0.2.1").status_code == 200
    assert sign_in(person.email, "wrong-guess", address="192.0.2.2").status_code == 401
    assert sign_in(person.email, PASSWORD, address="192.0.2.1").status_code == 429


def test_the_admin_sign_in_locks_the_same_way(client):
    admin = UserFactory(email="ops@platform.test", is_staff=True, staff_role="admin")
    statuses = [
        client.post(
            "/admin/login/", {"username": admin.email, "password": "wrong"}, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        ).status_code
        for n in range(12)
    ]
    assert statuses == [200] * 10 + [429] * 2  # the form came back ten times, then the lock
    response = client.post("/admin/login/", {"username": admin.email, "password": PASSWORD})
    assert (response.status_code, response["Content-Type"]) == (429, "text/plain; charset=utf-8")
    assert 1 <= int(response["Retry-After"]) <= 15 * 60


def test_the_admin_sign_in_still_works(client):
    admin = UserFactory(email="ops@platform.test", is_staff=True, staff_role="admin")
    response = client.post("/admin/login/?next=/admin/", {"username": admin.email, "password": PASSWORD})
    assert (response.status_code, response["Location"]) == (302, "/admin/")


def _pair(person) -> dict:
    response = sign_in(person.email, PASSWORD)
    assert response.status_code == 200
    return response.json()


def _refresh(refresh: str):
    return APIClient().post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")


def test_signing_out_revokes_every_access_and_refresh_token(person):
    first, second = _pair(person), _pair(person)  # two devices

    response = bearer(first["access"]).post("/api/v1/auth/logout/")

    assert response.status_code == 204
    for tokens in (first, second):
        refused = bearer(tokens["access"]).get("/api/v1/me/")
        assert (refused.status_code, refused.json()) == (
            401,
            authentication_failed("This token was revoked: sign in again."),
        )
        assert _refresh(tokens["refresh"]).json() == authentication_failed("This token was revoked: sign in again.")
    assert bearer(_pair(person)["access"]).get("/api/v1/me/").status_code == 200  # signing in again works
    assert AuditEvent.objects.filter(action="user.signed_out", object_id=str(person.pk)).count() == 1


def test_a_password_change_ends_other_sessions_and_answers_with_new_tokens(person):
    old = _pair(person)

    response = bearer(old["access"]).post(
        "/api/v1/auth/password/", {"old_password": PASSWORD, "new_password": NEW_PASSWORD}, format="json"
    )

    assert response.status_code == 200
    assert bearer(response.json()["access"]).get("/api/v1/me/").status_code == 200
    assert bearer(old["access"]).get("/api/v1/me/").status_code == 401
    assert _refresh(old["refresh"]).status_code == 401
    assert sign_in(person.email, PASSWORD).status_code == 401
    assert sign_in(person.email, NEW_PASSWORD).status_code == 200


def test_a_password_change_needs_the_current_password(person):
    response = bearer(_pair(person)["access"]).post(
        "/api/v1/auth/password/", {"old_password": "not-it", "new_password": NEW_PASSWORD}, format="json"
    )
    assert (response.status_code, response.json()) == (
        400,
        validation_error(
            [{"field": "old_password", "code": "wrong_password", "message": "The current password is not right."}]
        ),
    )


def _reset_code() -> tuple[str, str]:
    (message,) = mail.outbox
    return re.search(r'"uid": "([^"]+)", "token": "([^"]+)"', message.body).groups()


def test_a_reset_code_sets_a_new_password_once_and_ends_every_session(person, django_capture_on_commit_callbacks):
    old = _pair(person)
    with django_capture_on_commit_callbacks(execute=True):
        asked = APIClient().post("/api/v1/auth/password-reset/", {"email": person.email}, format="json")
    assert (asked.status_code, mail.outbox[0].to) == (202, [person.email])
    uid, token = _reset_code()
    body = {"uid": uid, "token": token, "new_password": NEW_PASSWORD}

    first = APIClient().post("/api/v1/auth/password-reset/confirm/", body, format="json")
    again = APIClient().post("/api/v1/auth/password-reset/confirm/", body, format="json")

    assert first.status_code == 204
    assert (again.status_code, again.json()) == (
        400,
        validation_error(
            [{"field": "token", "code": "invalid_token", "message": "This reset code is wrong, used or expired."}]
        ),
    )
    assert bearer(old["access"]).get("/api/v1/me/").status_code == 401
    assert sign_in(person.email, NEW_PASSWORD).status_code == 200


def test_a_reset_code_expires(person, django_capture_on_commit_callbacks, settings):
    with django_capture_on_commit_callbacks(execute=True):
        APIClient().post("/api/v1/auth/password-reset/", {"email": person.email}, format="json")
    uid, token = _reset_code()
    with time_machine.travel(time.time() + settings.PASSWORD_RESET_TIMEOUT + 60):
        response = APIClient().post(
            "/api/v1/auth/password-reset/confirm/",
            {"uid": uid, "token": token, "new_password": NEW_PASSWORD},
            format="json",
        )
    assert response.status_code == 400


def test_asking_for_a_reset_reveals_nothing(person, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        known = APIClient().post("/api/v1/auth/password-reset/", {"email": person.email}, format="json")
        unknown = APIClient().post("/api/v1/auth/password-reset/", {"email": "ghost@x.test"}, format="json")
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content) == (202, b"")
    assert [m.to for m in mail.outbox] == [[person.email]]


def test_a_deactivated_persons_tokens_stop_working(person, admin_client):
    tokens = _pair(person)
    User.objects.filter(pk=person.pk).update(is_active=False)
    assert bearer(tokens["access"]).get("/api/v1/me/").status_code == 401
    assert _refresh(tokens["refresh"]).status_code == 401
