"""The admin site's sign-in, held to the same budgets as the API's (RELIABILITY §10)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from accounts.login_guard import LoginLocked, login_check, login_failed
from pharmex.api.ratelimit import Rate, client_address, hit


def admin_login(request: HttpRequest, **kwargs) -> HttpResponse:
    """Django's admin login, with the per-address budget of the API's sign-in and the per-account lock."""
    if request.method != "POST":
        return admin.site.login(request, **kwargs)
    email = request.POST.get("username", "")
    address = hit(f"auth:{client_address(request)}", Rate.parse(_auth_rate()))
    if not address.allowed:
        return _too_many(address.retry_after)
    try:
        login_check(email=email)
    except LoginLocked as locked:
        return _too_many(locked.retry_after)
    response = admin.site.login(request, **kwargs)
    if response.status_code == 200:  # the form came back: wrong email, password or an account without access
        login_failed(email=email)
    return response


def _auth_rate() -> str:
    return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["auth"]


def _too_many(retry_after: int) -> HttpResponse:
    response = HttpResponse(
        _("Too many sign-in attempts; try again in %(seconds)s seconds.") % {"seconds": retry_after},
        status=429,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = str(retry_after)
    return response
