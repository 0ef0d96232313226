from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.utils import get_md5_hash_password

from accounts.actor import user_with_memberships
from accounts.models import OrganizationApiKey
from accounts.services.sessions import TOKEN_VERSION_CLAIM

KEYWORD = "Api-Key"


class MemberJWTAuthentication(JWTAuthentication):
    """simplejwt's bearer tokens, reading the user together with their memberships in one query.

    Every request of a person needs both (accounts.actor decides who acts for which organisation);
    the checks on the user are simplejwt's own, in its words. Tokens carry the user's primary key
    (SIMPLE_JWT["USER_ID_FIELD"] = "id").
    """

    def get_user(self, validated_token):
        try:
            user_id = validated_token[jwt_settings.USER_ID_CLAIM]
        except KeyError as error:
            raise InvalidToken(_("Token contained no recognizable user identification")) from error
        user = user_with_memberships(user_id)
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if jwt_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if validated_token.get(TOKEN_VERSION_CLAIM, 0) != user.token_version:
            raise AuthenticationFailed(_("This token was revoked: sign in again."), code="token_revoked")
        if jwt_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            jwt_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed(_("The user's password has been changed."), code="password_changed")
        return user


class ApiKeyUser(AnonymousUser):
    """request.user for an API-key request: authenticated, but not a person (no id, no memberships)."""

    def __init__(self, api_key: OrganizationApiKey):
        self.api_key = api_key

    @property
    def is_authenticated(self) -> bool:  # type: ignore[override]
        return True

    @property
    def is_anonymous(self) -> bool:  # type: ignore[override]
        return False

    def __str__(self) -> str:
        return f"api-key:{self.api_key.prefix}"


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Api-Key <prefix>.<secret>` for machine clients of one organisation."""

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].decode(errors="replace") != KEYWORD:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send exactly one API key after 'Api-Key'."))
        key = parts[1].decode(errors="replace")
        try:
            api_key = OrganizationApiKey.objects.get_from_key(key)  # checks the hash; skips revoked keys
        except OrganizationApiKey.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("The API key is not valid or was revoked.")) from None
        if api_key.has_expired:
            raise exceptions.AuthenticationFailed(_("The API key has expired."))
        # Recorded at most once a minute, so a busy key does not write on every request.
        now = timezone.now()
        if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
            OrganizationApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
            api_key.last_used_at = now
        return ApiKeyUser(api_key), api_key

    def authenticate_header(self, request) -> str:
        return KEYWORD


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`: a key created at /api/v1/api-keys/ (shown once).",
        }


class MemberJWTAuthenticationScheme(SimpleJWTScheme):
    """The bearer-token scheme in the OpenAPI schema, as for simplejwt's own class."""

    target_class = "accounts.authentication.MemberJWTAuthentication"
