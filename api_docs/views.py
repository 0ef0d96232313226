"""The schema, the docs pages, the API guide and the API's index: public, like the API guide they describe."""

from __future__ import annotations

import re
from functools import lru_cache
from types import SimpleNamespace

from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.templatetags.static import static
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.views.decorators.http import require_safe
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import TemplateHTMLRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from api_docs import guide_pages
from pharmex.api.permissions import Public
from pharmex.api.serializers import OutputSerializer
from pharmex.api.views import ApiMixin, ApiView

DOCS = {"get": Public()}


class _DocsView(ApiMixin):
    policies = DOCS
    strict_query = False  # ?format=json, ?lang=zh-hans


class _FormatQueryNegotiation(DefaultContentNegotiation):
    """`?format=json` / `?format=yaml`, as the README and the guide promise integrators. The rest of the API
    negotiates with `Accept` only (URL_FORMAT_OVERRIDE is off), so no other operation has a `format` parameter."""

    settings = SimpleNamespace(URL_FORMAT_OVERRIDE="format")


class SchemaView(_DocsView, SpectacularAPIView):
    content_negotiation_class = _FormatQueryNegotiation


class SwaggerView(_DocsView, SpectacularSwaggerView):
    pass


class RedocView(_DocsView, SpectacularRedocView):
    @staticmethod
    def _redoc_standalone() -> str:
        return reverse("redoc-bundle")  # the sidecar's bundle, with its one CDN image served by PharmEx


# ReDoc's bundle always shows Redocly's logo from their CDN under the menu ("API docs by Redocly"); no option
# turns it off. The bundle is served with that one URL pointing at a copy served here.
REDOC_BUNDLE = "drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"
REDOC_CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@lru_cache(maxsize=1)
def _redoc_bundle(logo_url: str) -> bytes:
    path = finders.find(REDOC_BUNDLE)
    if path is None:
        raise FileNotFoundError(REDOC_BUNDLE)
    with open(path, "rb") as bundle:
        return bundle.read().replace(REDOC_CDN_LOGO.encode(), logo_url.encode())


@require_safe
def redoc_bundle(request: HttpRequest) -> HttpResponse:
    """ReDoc's standalone script, loading nothing from another host."""
    response = HttpResponse(_redoc_bundle(static("api_docs/redoc-logo-mini.svg")), content_type="text/javascript")
    response["Cache-Control"] = "public, max-age=86400"
    return response


# --- the API guide as HTML --------------------------------------------------------------------------


class GuideView(ApiView):
    """`api_docs/guide/*.md` rendered: the index at /api/guide/, each chapter at /api/guide/<page>/."""

    policies = DOCS
    renderer_classes = [TemplateHTMLRenderer]
    template_name = "api_docs/guide.html"

    @extend_schema(exclude=True)
    def get(self, request, page: str = ""):
        found = guide_pages.render(page)
        context = {
            "page": found or guide_pages.GuidePage(slug=page, title="Not found", html=_missing_page_html()),
            "contents": guide_pages.table_of_contents(),
            "guide_url": reverse("guide"),
            "index_url": reverse("api-index"),
            "docs_url": reverse("swagger-ui"),
            "redoc_url": reverse("redoc"),
            "schema_url": reverse("schema"),
        }
        return Response(context, status=200 if found else 404, template_name=self.template_name)


def _missing_page_html() -> str:
    return f'<h1>Not found</h1><p>The guide has no such page: see <a href="{reverse("guide")}">its contents</a>.</p>'


# --- the API's index: GET /api/v1/ ------------------------------------------------------------------

_PARAMETER = re.compile(r"\(\?P<|<[\w:]+>")


class ApiIndexOutput(OutputSerializer):
    name = serializers.CharField()
    version = serializers.CharField()
    resources = serializers.DictField(
        child=serializers.URLField(),
        help_text="Every endpoint without a path parameter, by its path under /api/v1/ (`orders`, "
        "`auth/token`, `bank-statements/lines` …).",
    )
    schema = serializers.URLField(help_text="The OpenAPI 3 document (YAML; `?format=json` for JSON).")
    docs = serializers.URLField(help_text="Swagger UI.")
    redoc = serializers.URLField(help_text="ReDoc.")
    guide = serializers.URLField(help_text="The API guide.")


def _walk(patterns, prefix: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def api_resources() -> dict[str, str]:
    """{name: path} of every API view under /api/v1/ without a path parameter, from the URL resolver (so a new
    endpoint is listed the day it is added)."""
    resources: dict[str, str] = {}
    for template, pattern in _walk(get_resolver().url_patterns):
        path = template.replace("^", "").replace("$", "").replace("\\", "")
        view = getattr(pattern.callback, "cls", None)
        if not path.startswith("api/v1/") or _PARAMETER.search(path) or view is None or view is ApiIndexView:
            continue
        if issubclass(view, APIView) and path != "api/v1/":
            resources.setdefault(path[len("api/v1/") :].rstrip("/"), "/" + path)
    return dict(sorted(resources.items()))


class ApiIndexView(ApiView):
    """GET /api/v1/: what the API offers, and where its documentation is."""

    authentication_classes: list = []
    policies = DOCS

    @extend_schema(
        tags=["api"],
        operation_id="api_index",
        summary="The API's index",
        description="Every resource without a path parameter with its URL, and the links to the OpenAPI document, "
        "the Swagger UI and ReDoc references and the API guide. Public.",
        auth=[],
        responses={200: ApiIndexOutput},
    )
    def get(self, request):
        absolute = request.build_absolute_uri
        return self.respond(
            ApiIndexOutput,
            {
                "name": "PharmEx API",
                "version": "v1",
                "resources": {name: absolute(path) for name, path in api_resources().items()},
                "schema": absolute(reverse("schema")),
                "docs": absolute(reverse("swagger-ui")),
                "redoc": absolute(reverse("redoc")),
                "guide": absolute(reverse("guide")),
            },
        )
