"""The OpenAPI document as integrators download it from /api/schema/?format=json (no database needed)."""

from __future__ import annotations

import json

from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer


def openapi_document() -> dict:
    """The public schema, rendered to JSON and parsed back (what a client generator reads)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))
