"""The schema and the docs pages: public, like the API guide they describe."""

from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from pharmex.api.permissions import Public
from pharmex.api.views import ApiMixin

DOCS = {"get": Public()}


class _DocsView(ApiMixin):
    policies = DOCS
    strict_query = False  # ?format=json, ?lang=zh-hans


class SchemaView(_DocsView, SpectacularAPIView):
    pass


class SwaggerView(_DocsView, SpectacularSwaggerView):
    pass


class RedocView(_DocsView, SpectacularRedocView):
    pass
