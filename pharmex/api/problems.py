"""Problem types that are not domain errors: the HTTP-level ones every endpoint can answer."""

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ProblemType:
    slug: str
    status: int
    title: object  # a lazy translation


VALIDATION = ProblemType("validation-error", 400, _("The request is not valid"))
MALFORMED = ProblemType("malformed-request", 400, _("The request body could not be parsed"))
NOT_AUTHENTICATED = ProblemType("not-authenticated", 401, _("Authentication is required"))
AUTHENTICATION_FAILED = ProblemType("authentication-failed", 401, _("The credentials are not valid"))
PERMISSION_DENIED = ProblemType("permission-denied", 403, _("You may not perform this action"))
NOT_FOUND = ProblemType("not-found", 404, _("Not found"))
METHOD_NOT_ALLOWED = ProblemType("method-not-allowed", 405, _("Method not allowed"))
NOT_ACCEPTABLE = ProblemType("not-acceptable", 406, _("The requested representation is not available"))
TOO_LARGE = ProblemType("payload-too-large", 413, _("The request body is too large"))
UNSUPPORTED_MEDIA_TYPE = ProblemType("unsupported-media-type", 415, _("Unsupported media type"))
THROTTLED = ProblemType("throttled", 429, _("Too many requests"))
SERVER_ERROR = ProblemType("server-error", 500, _("Internal server error"))
SERVICE_UNAVAILABLE = ProblemType("service-unavailable", 503, _("The service is unavailable"))

HTTP_PROBLEMS = [
    VALIDATION,
    MALFORMED,
    NOT_AUTHENTICATED,
    AUTHENTICATION_FAILED,
    PERMISSION_DENIED,
    NOT_FOUND,
    METHOD_NOT_ALLOWED,
    NOT_ACCEPTABLE,
    TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    THROTTLED,
    SERVER_ERROR,
    SERVICE_UNAVAILABLE,
]


def type_uri(slug: str) -> str:
    return f"{settings.PROBLEM_TYPE_BASE}{slug}"


def problem_body(*, slug: str, status: int, title: object, detail: object, errors: list | None = None) -> dict:
    body = {"type": type_uri(slug), "title": str(title), "status": status, "detail": str(detail)}
    if errors is not None:
        body["errors"] = errors
    return body
