"""One error format for the whole API: RFC 9457 problem+json (SPEC §8, STYLE G15)."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import set_rollback

from pharmex.api import problems
from pharmex.errors import CredentialsInvalid, DomainError, InvalidInput, NotAParty, NotFound

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"

_DRF_PROBLEMS: list[tuple[type[Exception], problems.ProblemType]] = [
    (exceptions.ParseError, problems.MALFORMED),
    (exceptions.ValidationError, problems.VALIDATION),
    (exceptions.NotAuthenticated, problems.NOT_AUTHENTICATED),
    (exceptions.AuthenticationFailed, problems.AUTHENTICATION_FAILED),
    (exceptions.PermissionDenied, problems.PERMISSION_DENIED),
    (exceptions.NotFound, problems.NOT_FOUND),
    (exceptions.MethodNotAllowed, problems.METHOD_NOT_ALLOWED),
    (exceptions.NotAcceptable, problems.NOT_ACCEPTABLE),
    (exceptions.UnsupportedMediaType, problems.UNSUPPORTED_MEDIA_TYPE),
    (exceptions.Throttled, problems.THROTTLED),
]


def flatten_errors(detail, path: str = "") -> list[dict]:
    """DRF's nested error detail as a flat list of {field, code, message} with `a.b[0].c` paths."""
    if isinstance(detail, dict):
        out: list[dict] = []
        for key, value in detail.items():
            if key in ("non_field_errors", "__all__"):
                out.extend(flatten_errors(value, path))
            elif isinstance(key, int):  # a ListField keys its children's errors by index: `scope_tags[1]`
                out.extend(flatten_errors(value, f"{path}[{key}]"))
            else:
                out.extend(flatten_errors(value, f"{path}.{key}" if path else str(key)))
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            return [_error_item(path, item) for item in detail]
        out = []
        for index, item in enumerate(detail):
            if item:  # DRF puts {} for list items that validated
                out.extend(flatten_errors(item, f"{path}[{index}]"))
        return out
    return [_error_item(path, detail)]


def _error_item(path: str, detail) -> dict:
    return {"field": path or None, "code": getattr(detail, "code", None) or "invalid", "message": str(detail)}


def problem_response(body: dict, headers: dict | None = None) -> Response:
    response = Response(body, status=body["status"], headers=headers, content_type=PROBLEM_CONTENT_TYPE)
    return response


DATABASE_RETRY_AFTER_SECONDS = 5


def problem_exception_handler(exc: Exception, context: dict) -> Response | None:
    headers: dict[str, str] = {}
    if isinstance(exc, OperationalError | InterfaceError):
        return database_unavailable()
    # Services refuse with domain errors; these three are the HTTP-level problems and read exactly like them,
    # so a 404 from a selector and one from the router cannot be told apart.
    if isinstance(exc, NotFound):
        exc = exceptions.NotFound()
    elif isinstance(exc, CredentialsInvalid):
        exc = exceptions.AuthenticationFailed(exc.detail)
        exc.auth_header = 'Bearer realm="api"'
    elif isinstance(exc, NotAParty):
        exc = exceptions.PermissionDenied(None if exc.detail is type(exc).title else exc.detail)
    elif isinstance(exc, InvalidInput):  # a service's 400 reads like a serializer's
        set_rollback()
        return problem_response(
            problems.problem_body(
                slug=problems.VALIDATION.slug,
                status=400,
                title=problems.VALIDATION.title,
                detail=exc.detail,
                errors=[{**error, "message": str(error["message"])} for error in exc.errors],
            )
        )
    if isinstance(exc, DomainError):
        set_rollback()
        errors = exc.errors
        if errors is None and exc.field:
            errors = [{"field": exc.field, "code": exc.code, "message": str(exc.detail)}]
        body = problems.problem_body(
            slug=exc.problem, status=exc.http_status, title=exc.title, detail=exc.detail, errors=errors
        )
        body["code"] = exc.code
        if exc.retry_after is not None:
            headers["Retry-After"] = str(exc.retry_after)
        return problem_response(body, headers)

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, RequestDataTooBig):
        set_rollback()
        return problem_response(
            problems.problem_body(
                slug=problems.TOO_LARGE.slug,
                status=413,
                title=problems.TOO_LARGE.title,
                detail=getattr(exc, "detail", problems.TOO_LARGE.title),  # an upload's says its limit
            )
        )

    if not isinstance(exc, exceptions.APIException):
        return None  # DRF re-raises; Django's handler500 answers in problem+json (pharmex.views)

    set_rollback()
    problem = next((p for cls, p in _DRF_PROBLEMS if isinstance(exc, cls)), None)
    if problem is None:
        problem = problems.ProblemType("http-error", exc.status_code, exc.default_detail)
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        detail = errors[0]["message"] if len(errors) == 1 else problems.VALIDATION.title
        body = problems.problem_body(
            slug=problem.slug, status=exc.status_code, title=problem.title, detail=detail, errors=errors
        )
    else:
        detail = exc.detail
        if isinstance(detail, dict):  # e.g. simplejwt's {"detail": …, "code": …, "messages": […]}
            detail = detail.get("detail", problem.title)
        body = problems.problem_body(slug=problem.slug, status=exc.status_code, title=problem.title, detail=detail)
    return problem_response(body, headers)


def database_unavailable() -> Response:
    """The database cannot be reached (or answered too slowly): 503 with Retry-After, and it is logged."""
    logger.warning("database unavailable", exc_info=True)
    set_rollback()
    body = problems.problem_body(
        slug=problems.SERVICE_UNAVAILABLE.slug,
        status=503,
        title=problems.SERVICE_UNAVAILABLE.title,
        detail=_("The database is not reachable right now; retry in a few seconds."),
    )
    return problem_response(body, {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)})


def django_problem(request: HttpRequest, problem: problems.ProblemType, detail: object | None = None) -> JsonResponse:
    """A problem+json answer from plain Django views (404/500 handlers, health checks)."""
    body = problems.problem_body(
        slug=problem.slug, status=problem.status, title=problem.title, detail=detail or problem.title
    )
    return JsonResponse(
        body, status=problem.status, content_type=PROBLEM_CONTENT_TYPE, json_dumps_params={"ensure_ascii": False}
    )
