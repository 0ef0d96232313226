from django.urls import path
from rest_framework.routers import SimpleRouter

from accounts.apis.api_keys import ApiKeyViewSet
from accounts.apis.audit import AuditEventViewSet
from accounts.apis.auth import (
    LogoutApi,
    MeApi,
    PasswordChangeApi,
    PasswordResetApi,
    PasswordResetConfirmApi,
    RegisterApi,
    TokenObtainApi,
    TokenRefreshApi,
)
from accounts.apis.invitations import InvitationAcceptApi, InvitationViewSet, MyInvitationViewSet
from accounts.apis.licenses import LicenseViewSet
from accounts.apis.organizations import MemberViewSet, OrganizationViewSet
from accounts.apis.regulators import RegulatorViewSet
from accounts.apis.reverifications import ReverificationViewSet

router = SimpleRouter()
router.register("organizations", OrganizationViewSet, basename="organization")
router.register(r"organizations/(?P<organization_pk>\d+)/members", MemberViewSet, basename="member")
router.register(r"organizations/(?P<organization_pk>\d+)/invitations", InvitationViewSet, basename="invitation")
router.register("invitations", MyInvitationViewSet, basename="my-invitation")
router.register("licenses", LicenseViewSet, basename="license")
router.register("reverifications", ReverificationViewSet, basename="reverification")
router.register("api-keys", ApiKeyViewSet, basename="api-key")
router.register("audit-events", AuditEventViewSet, basename="audit-event")
router.register("regulators", RegulatorViewSet, basename="regulator")

urlpatterns = [
    path("register/", RegisterApi.as_view(), name="register"),
    path("auth/token/", TokenObtainApi.as_view(), name="token-obtain"),
    path("auth/token/refresh/", TokenRefreshApi.as_view(), name="token-refresh"),
    path("auth/logout/", LogoutApi.as_view(), name="logout"),
    path("auth/password/", PasswordChangeApi.as_view(), name="password-change"),
    path("auth/password-reset/", PasswordResetApi.as_view(), name="password-reset"),
    path("auth/password-reset/confirm/", PasswordResetConfirmApi.as_view(), name="password-reset-confirm"),
    path("me/", MeApi.as_view(), name="me"),
    path("invitations/accept/", InvitationAcceptApi.as_view(), name="invitation-accept"),
    *router.urls,
]
