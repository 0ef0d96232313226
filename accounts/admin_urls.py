"""The admin site's sign-in, routed before the site's own (pharmex.urls includes this by name)."""

from django.urls import path

from accounts.views import admin_login

urlpatterns = [path("", admin_login, name="admin-login")]
