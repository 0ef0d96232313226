from django.contrib import admin
from django.urls import include, path

from pharmex import views
from pharmex.routing import FirstSegmentResolver

API_APPS = ["accounts", "webhooks", "catalog", "firstbusiness", "orders", "settlements", "records", "procurement"]

urlpatterns = [
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/login/", include("accounts.admin_urls")),  # before the site's own: budgets and account locks
    path("admin/", admin.site.urls),
    path("api/", include("api_docs.urls")),
    FirstSegmentResolver("api/v1/", [f"{app}.urls" for app in API_APPS]),
]

handler400 = "pharmex.views.bad_request"
handler403 = "pharmex.views.permission_denied"
handler404 = "pharmex.views.not_found"
handler500 = "pharmex.views.server_error"
