from django.contrib import admin
from django.urls import include, path

from pharmex import views

urlpatterns = [
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("admin/login/", include("accounts.admin_urls")),  # before the site's own: budgets and account locks
    path("admin/", admin.site.urls),
    path("api/", include("api_docs.urls")),
    path("api/v1/", include("accounts.urls")),
    path("api/v1/", include("webhooks.urls")),
    path("api/v1/", include("catalog.urls")),
    path("api/v1/", include("firstbusiness.urls")),
    path("api/v1/", include("orders.urls")),
    path("api/v1/", include("settlements.urls")),
    path("api/v1/", include("records.urls")),
    path("api/v1/", include("procurement.urls")),
]

handler400 = "pharmex.views.bad_request"
handler403 = "pharmex.views.permission_denied"
handler404 = "pharmex.views.not_found"
handler500 = "pharmex.views.server_error"
