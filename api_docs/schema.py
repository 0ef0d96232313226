"""Schema generation: idempotency headers, the problem responses every operation can give, and the field rules
spectacular cannot see (api_docs/fields.py): strict request bodies, required output fields, extensible output
enums."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import append_meta
from rest_framework import serializers

from api_docs import fields as rules
from api_docs.responses import DESCRIPTIONS, PROBLEM_MEDIA_TYPE
from pharmex.api.idempotency import IDEMPOTENCY_PARAMETER
from pharmex.api.serializers import BusinessDateField, MoneyField, StrictInputSerializer
from pharmex.api.views import ApiViewSet

# Marks a field schema built here: spectacular's validator pass must not add lengths the pattern already holds.
_BUILT = "x-pharmex-built"

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


class PharmexAutoSchema(AutoSchema):
    def _handler(self):
        action = getattr(self.view, "action", None)
        name = action or self.method.lower()
        return getattr(self.view, name, None)

    # A viewset's filters and paging are its lists': a detail action has neither unless it declares a paginator
    # (pharmex.api.views.ApiViewSet, which the server goes by).
    def get_filter_backends(self):
        if isinstance(self.view, ApiViewSet) and self.view.names_an_object():
            return []
        return super().get_filter_backends()

    def _get_paginator(self):
        return self.view.paginator if isinstance(self.view, ApiViewSet) else super()._get_paginator()

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        handler = self._handler()
        if self.method == "POST" and getattr(handler, "idempotent", False):
            parameters.append(IDEMPOTENCY_PARAMETER)
        return parameters

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        built = self._pharmex_field(field, direction)
        if built is None:
            schema = super()._map_serializer_field(field, direction, bypass_extensions)
            if schema is not None and isinstance(field, serializers.ListField | serializers.ListSerializer):
                _list_bounds(field, schema)
            return schema
        meta = self._get_serializer_field_meta(field, direction)
        meta.pop("minLength", None)
        description = built.pop("description", None)
        if description:
            meta["description"] = f"{meta['description']}\n\n{description}" if meta.get("description") else description
        return append_meta({**built, _BUILT: True}, meta)

    def _pharmex_field(self, field, direction) -> dict | None:
        """The schema of a field whose rules live in PharmEx code, or None for spectacular's own mapping."""
        if getattr(field, "_spectacular_annotation", None) is not None:
            return None  # an explicit @extend_schema_field wins
        if isinstance(field, MoneyField):
            return rules.money_schema(field, direction)
        if (
            direction == "response"
            and isinstance(field, serializers.ChoiceField)
            and not isinstance(field, serializers.MultipleChoiceField)
        ):
            return rules.extensible_enum_schema(field)
        if direction != "request" or field.read_only:
            return None
        if isinstance(field, BusinessDateField):
            return {**rules.business_date_schema(field), "description": rules.business_date_description(field)}
        if rules.is_plain_text(field):
            return rules.text_schema(field)
        return None

    def _insert_field_validators(self, field, schema):
        if schema.pop(_BUILT, False):
            return
        super()._insert_field_validators(field, schema)

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and isinstance(serializer, StrictInputSerializer):
            schema["additionalProperties"] = False  # unknown fields answer 400 `not_writable`
        if direction == "response" and (required := _always_rendered(serializer, schema)):
            schema["required"] = required
        if not type(serializer).__dict__.get("__doc__"):
            schema.pop("description", None)  # not the docstring of a PharmEx base class on every component
        return schema


def _list_bounds(field, schema: dict) -> None:
    """minItems/maxItems of a list the server bounds (`allow_empty=False`, `min_length`, `max_length`)."""
    if schema.get("type") != "array":
        return
    low = max(getattr(field, "min_length", None) or 0, 0 if field.allow_empty else 1)
    if low:
        schema["minItems"] = max(schema.get("minItems", 0), low)
    high = getattr(field, "max_length", None)
    if high is not None:
        schema["maxItems"] = min(schema.get("maxItems", high), high)


def _always_rendered(serializer, schema: dict) -> list[str]:
    """Every property of an output serializer is rendered on every response, except a declared field that says
    `required=False` (the problem body's `code` and `errors`): model defaults mean nothing on the way out."""
    declared = getattr(serializer, "_declared_fields", {})
    required = []
    for name in schema.get("properties", {}):
        field = serializer.fields.get(name)
        if field is not None and name in declared and not field.required and not field.read_only:
            continue
        required.append(name)
    return required


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
            if any(p.get("name") == "If-Match" for p in operation.get("parameters", [])):
                _add(responses, 400)  # an If-Match that names no ETag
                _add(responses, 412)
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
