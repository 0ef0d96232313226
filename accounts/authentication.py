from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from accounts.models import OrganizationApiKey

KEYWORD = "Api-Key"


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
