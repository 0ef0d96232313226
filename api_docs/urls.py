from django.urls import path

from api_docs.views import ApiIndexView, GuideView, RedocView, SchemaView, SwaggerView, redoc_bundle

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("redoc/", RedocView.as_view(url_name="schema", template_name="api_docs/redoc.html"), name="redoc"),
    path("redoc/redoc.standalone.js", redoc_bundle, name="redoc-bundle"),
    path("guide/", GuideView.as_view(), name="guide"),
    path("guide/<slug:page>/", GuideView.as_view(), name="guide-page"),
    path("v1/", ApiIndexView.as_view(), name="api-index"),  # GET /api/v1/, before the apps' own /api/v1/ routes
]
