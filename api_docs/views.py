"""The schema and the docs pages: public, like the API guide they describe."""

from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from pharmex.api.permissions import Public
from pharmex.api.views import ApiMixin

DOCS = {"get": Public()}


class SchemaView(ApiMixin, SpectacularAPIView):
    policies = DOCS


class SwaggerView(ApiMixin, SpectacularSwaggerView):
    policies = DOCS


class RedocView(ApiMixin, SpectacularRedocView):
    policies = DOCS
