"""Shared OpenAPI responses: every error is application/problem+json with the Problem schema."""

from drf_spectacular.utils import OpenApiExample, OpenApiResponse

from pharmex.api.serializers import ProblemSerializer

PROBLEM_MEDIA_TYPE = "application/problem+json"

DESCRIPTIONS = {
    400: "Invalid input: `errors` lists each field, code and message.",
    401: "Missing, expired or invalid credentials.",
    403: "Your role may not do this.",
    404: "No such object, or it belongs to another organisation.",
    405: "Method not allowed.",
    409: "Valid request that conflicts with the current state (wrong state, concurrent change, in-flight key).",
    412: "If-Match names a stale version; read the resource again.",
    428: "If-Match is required here: send the ETag you last read.",
    413: "Request body too large.",
    415: "Unsupported media type; send application/json.",
    422: "Idempotency-Key reused with a different request body.",
    429: "Too many requests; wait the number of seconds in Retry-After.",
    500: "Unexpected error (logged with the request id).",
}

VALIDATION_EXAMPLE = OpenApiExample(
    "Validation error",
    value={
        "type": "https://pharmex.example/problems/validation-error",
        "title": "The request is not valid",
        "status": 400,
        "detail": "This field is required.",
        "errors": [{"field": "organization.uscc", "code": "required", "message": "This field is required."}],
    },
    status_codes=["400"],
    media_type=PROBLEM_MEDIA_TYPE,
    response_only=True,
)


def problem_response(status: int) -> OpenApiResponse:
    return OpenApiResponse(response=ProblemSerializer, description=DESCRIPTIONS.get(status, "Error"))


def problems(*statuses: int) -> dict:
    """responses={…} entries for the given error statuses, as problem+json."""
    return {(status, PROBLEM_MEDIA_TYPE): problem_response(status) for status in statuses}
