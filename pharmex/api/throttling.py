"""Request budgets (SPEC §8: throttling per principal → 429 with Retry-After), on the atomic counters of
pharmex.api.ratelimit."""

from __future__ import annotations

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from pharmex.api.ratelimit import Rate, Verdict, client_address, hit


class _WindowThrottle(BaseThrottle):
    scope = ""

    def rate(self, request) -> Rate:
        return Rate.parse(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][self.scope])

    def ident(self, request) -> str:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        self.verdict: Verdict = hit(f"{self.scope}:{self.ident(request)}", self.rate(request))
        return self.verdict.allowed

    def wait(self) -> float:
        return self.verdict.retry_after


class PrincipalRateThrottle(_WindowThrottle):
    """One budget per principal: an API key, a user, or (anonymous) a client address."""

    def allow_request(self, request, view) -> bool:
        self.scope = "principal" if request.user and request.user.is_authenticated else "anon"
        return super().allow_request(request, view)

    def ident(self, request) -> str:
        # An API-key request's user is accounts.authentication.ApiKeyUser (pk None): budget by the key itself.
        api_key = getattr(request.user, "api_key", None)
        if api_key is not None:
            return f"key:{api_key.pk}"
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        return f"ip:{client_address(request)}"


class AuthRateThrottle(_WindowThrottle):
    """A tighter budget per client address for sign-in, token refresh, registration and password resets."""

    scope = "auth"

    def ident(self, request) -> str:
        return client_address(request)
