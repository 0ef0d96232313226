"""Signing in and out, and passwords: JWT pairs that die with the session (OWASP ASVS V3).

Every token carries the user's `token_version` (claim "tv"); bearer authentication (accounts.authentication)
and refresh both refuse a token of an older version. Signing out, changing or resetting the password and
deactivating the account move the version on, so every access and refresh token issued before stops working
at once, on every device.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import authenticate
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.db.models import F
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode
from django.utils.translation import gettext as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.login_guard import login_check, login_failed
from accounts.models import User
from accounts.notifications import notify_password_reset
from accounts.services.passwords import password_check
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.errors import CredentialsInvalid, InvalidInput

TOKEN_VERSION_CLAIM = "tv"  # noqa: S105  (a claim name, not a secret)


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def _pair_for(user: User) -> TokenPair:
    refresh = RefreshToken.for_user(user)
    refresh[TOKEN_VERSION_CLAIM] = user.token_version  # copied into every access token made from it
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def session_open(*, email: str, password: str) -> TokenPair:
    """Sign in with email and password.

    Raises: LoginLocked (429) while the account has used up its failed attempts (even for the right password);
    CredentialsInvalid (401) for a wrong email or password or an inactive account — counted against the account.
    """
    login_check(email=email)
    user = authenticate(username=email, password=password)  # the model backend: active accounts only
    if user is None:
        login_failed(email=email)
        raise CredentialsInvalid(_("No active account found with the given credentials"))
    return _pair_for(user)


def _token_user(token) -> User:
    """The active user a validated token names, at the token's version. Raises: CredentialsInvalid."""
    user = User.objects.filter(pk=token.get(jwt_settings.USER_ID_CLAIM)).first()
    if user is None or not user.is_active:
        raise CredentialsInvalid(_("User is inactive or no longer exists."))
    if token.get(TOKEN_VERSION_CLAIM, 0) != user.token_version:
        raise CredentialsInvalid(_("This token was revoked: sign in again."))
    return user


def session_refresh(*, refresh: str) -> str:
    """A new access token for a refresh token that is valid, unexpired and of the user's current version.

    Raises: LoginLocked while the token's account is locked; CredentialsInvalid otherwise.
    """
    try:
        token = RefreshToken(refresh)
    except TokenError as error:
        raise CredentialsInvalid(str(error)) from None
    user = _token_user(token)
    login_check(email=user.email)
    return str(token.access_token)


def sessions_revoke(*, user: User) -> None:
    """Every token of `user` issued so far stops working (a sign-out, a password change, a deactivation)."""
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    user.refresh_from_db(fields=["token_version"])


@transaction.atomic
def session_close(*, actor: Actor) -> None:
    """Sign out everywhere: every access and refresh token of the person is revoked."""
    sessions_revoke(user=actor.user)
    audit_record(actor=actor.audit, action="user.signed_out", object_type="user", object_id=actor.user.pk)


@transaction.atomic
def password_change(*, actor: Actor, old_password: str, new_password: str) -> TokenPair:
    """Change the password of the signed-in person; every other session ends, this one gets new tokens.

    Raises: InvalidInput (the old password is wrong, or the new one too weak).
    """
    user = User.objects.select_for_update().get(pk=actor.user.pk)
    if not user.check_password(old_password):
        raise InvalidInput(
            [{"field": "old_password", "code": "wrong_password", "message": _("The current password is not right.")}]
        )
    password_check(new_password, field="new_password", email=user.email, full_name=user.full_name)
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    sessions_revoke(user=user)
    audit_record(actor=actor.audit, action="user.password_changed", object_type="user", object_id=user.pk)
    return _pair_for(user)


def password_reset_request(*, email: str) -> None:
    """Email a one-time reset code to the account with this email, if there is one; the caller learns nothing
    either way (the answer is the same)."""
    user = User.objects.filter(email__iexact=email.strip(), is_active=True).first()
    if user is None:
        return
    with transaction.atomic():
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        notify_password_reset(email=user.email, uid=uid, token=default_token_generator.make_token(user))
        audit_record(
            actor=Actor(user=user).audit, action="user.password_reset_requested", object_type="user", object_id=user.pk
        )


@transaction.atomic
def password_reset_confirm(*, uid: str, token: str, new_password: str) -> None:
    """Set a new password with the code from the reset email. The code works once (it is bound to the password
    it resets) and expires after PASSWORD_RESET_TIMEOUT; every session ends.

    Raises: InvalidInput (a wrong, used or expired code; a weak password).
    """
    try:
        user = User.objects.select_for_update().filter(pk=int(force_str(urlsafe_base64_decode(uid)))).first()
    except (ValueError, TypeError, OverflowError):
        user = None
    if user is None or not user.is_active or not default_token_generator.check_token(user, token):
        raise InvalidInput(
            [{"field": "token", "code": "invalid_token", "message": _("This reset code is wrong, used or expired.")}]
        )
    password_check(new_password, field="new_password", email=user.email, full_name=user.full_name)
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    sessions_revoke(user=user)
    audit_record(actor=Actor(user=user).audit, action="user.password_reset", object_type="user", object_id=user.pk)
