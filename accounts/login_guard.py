"""Sign-in attempts per account (RELIABILITY §10: brute force with rotated client addresses).

Each address has its budget (AuthRateThrottle); each account has one too, whatever the address the guesses
come from: LOGIN_FAILURE_RATE failures (default 10 in 15 minutes) lock the account's sign-in — token, token
refresh and the admin site alike — until the window ends, even for the right password. A successful sign-in
resets nothing, so one address's success cannot clear the count another address ran up.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from pharmex.api.ratelimit import Rate, hit, peek
from pharmex.errors import DomainError


class LoginLocked(DomainError):
    code = "login_locked"
    problem = "throttled"
    title = _("Too many requests")
    http_status = 429


def _key(email: str) -> str:
    return f"login-failures:{email.strip().lower()}"


def _rate() -> Rate:
    return Rate.parse(settings.LOGIN_FAILURE_RATE)


def login_check(*, email: str) -> None:
    """Raises: LoginLocked (429 with Retry-After) while the account has used up its failures."""
    if not email:
        return
    verdict = peek(_key(email), _rate())
    if not verdict.allowed:
        raise LoginLocked(
            _("Too many failed sign-ins for this account; try again in %(seconds)s seconds.")
            % {"seconds": verdict.retry_after},
            retry_after=verdict.retry_after,
        )


def login_failed(*, email: str) -> None:
    """Count one failed sign-in against the account."""
    if email:
        hit(_key(email), _rate())
