from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.apis.api_keys import ApiKeyViewSet
from accounts.apis.audit import AuditEventViewSet
from accounts.apis.auth import MeApi, RegisterApi, TokenObtainApi, TokenRefreshApi
from accounts.apis.licenses import LicenseViewSet
from accounts.apis.organizations import MemberViewSet, OrganizationViewSet

router = SimpleRouter()
router.register("organizations", OrganizationViewSet, basename="organization")
router.register(r"organizations/(?P<organization_pk>\d+)/members", MemberViewSet, basename="member")
router.register("licenses", LicenseViewSet, basename="license")
router.register("api-keys", ApiKeyViewSet, basename="api-key")
router.register("audit-events", AuditEventViewSet, basename="audit-event")

urlpatterns = [
    path("register/", RegisterApi.as_view(), name="register"),
    path("auth/token/", TokenObtainApi.as_view(), name="token-obtain"),
    path("auth/token/refresh/", TokenRefreshApi.as_view(), name="token-refresh"),
    path("me/", MeApi.as_view(), name="me"),
    *router.urls,
]
