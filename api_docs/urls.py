from django.urls import path

from api_docs.views import RedocView, SchemaView, SwaggerView

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc/", RedocView.as_view(url_name="schema", template_name="api_docs/redoc.html"), name="redoc"),
]
