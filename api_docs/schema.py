"""Schema generation: idempotency headers and the problem responses every operation can give."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema

from api_docs.responses import DESCRIPTIONS, PROBLEM_MEDIA_TYPE
from pharmex.api.idempotency import IDEMPOTENCY_PARAMETER

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


class PharmexAutoSchema(AutoSchema):
    def _handler(self):
        action = getattr(self.view, "action", None)
        name = action or self.method.lower()
        return getattr(self.view, name, None)

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        handler = self._handler()
        if self.method == "POST" and getattr(handler, "idempotent", False):
            parameters.append(IDEMPOTENCY_PARAMETER)
        return parameters


def _add(responses: dict, status: int) -> None:
    key = str(status)
    if key not in responses:
        responses[key] = {"description": DESCRIPTIONS[status], "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}}


def add_problem_responses(result: dict, generator, request, public) -> dict:
    """Postprocessing hook: document the errors the shared plumbing can answer on every operation."""
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            secured = operation.get("security") != [] and any(operation.get("security", [{}]))
            if secured:
                _add(responses, 401)
                _add(responses, 403)
            if "{" in path:
                _add(responses, 404)
            if "requestBody" in operation:
                _add(responses, 400)
                _add(responses, 413)
                _add(responses, 415)
            if any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", [])):
                _add(responses, 409)
                _add(responses, 422)
            if method == "get":
                _add(responses, 400)  # an unknown query parameter, malformed filters or pagination
            if method == "get" and "{" not in path:
                _add(responses, 404)  # a page past the end
            _add(responses, 429)
            _add(responses, 500)
    return result
