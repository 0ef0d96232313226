import logging
import re

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from pharmex.api import problems
from pharmex.api.exception_handler import DATABASE_RETRY_AFTER_SECONDS, django_problem
from pharmex.context import caller_var, new_request_id, request_id_var, set_caller

logger = logging.getLogger(__name__)
_DATABASE_DOWN = _("The database is not reachable right now; retry in a few seconds.")

_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextMiddleware:
    """Gives every request an id (the client's `X-Request-ID` when well-formed) for logs and audit, and its log lines
    the caller's user id once known: here for a signed-in session (the admin site), in ApiMixin for API callers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.headers.get("X-Request-ID", "")
        request_id = offered if _CLIENT_REQUEST_ID.match(offered) else new_request_id()
        token, caller = request_id_var.set(request_id), caller_var.set((None, None))
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
            caller_var.reset(caller)
        response["X-Request-ID"] = request_id
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        if not request.COOKIES.get(settings.SESSION_COOKIE_NAME):
            return  # no session: nobody signed in this way (API callers are set when DRF authenticates them)
        try:
            user = request.user
            if user.is_authenticated:
                set_caller(user_id=user.pk, organization_id=None)
        except DatabaseError:
            pass  # the view meets the outage again and DatabaseOutageMiddleware answers it


class DatabaseOutageMiddleware:
    """A database that cannot be reached answers 503 with Retry-After everywhere, not a 500 (RELIABILITY §10).

    DRF views answer it in their exception handler; this catches the rest (the admin site, plain views,
    middleware that reads the session or the user).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.warning("database unavailable", exc_info=exception)
        if request.path.startswith("/api/"):
            response = django_problem(request, problems.SERVICE_UNAVAILABLE, detail=_DATABASE_DOWN)
        else:
            response = HttpResponse(_DATABASE_DOWN, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response
