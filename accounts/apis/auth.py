from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from accounts import services
from accounts.serializers import (
    AccessTokenOutput,
    MeOutput,
    PasswordChangeInput,
    PasswordResetConfirmInput,
    PasswordResetInput,
    RegistrationInput,
    RegistrationOutput,
    TokenObtainInput,
    TokenPairOutput,
    TokenRefreshInput,
)
from api_docs.responses import problems
from pharmex.api.idempotency import idempotent
from pharmex.api.permissions import Person, Public
from pharmex.api.throttling import AuthRateThrottle
from pharmex.api.views import ApiView

REGISTRATION_EXAMPLE = {
    "organization": {
        "legal_name": "海口市龙华区康宁大药房有限公司",
        "uscc": "91460100MA5T0000XY",
        "kind": "pharmacy",
        "province_code": "460000",
    },
    "owner": {"email": "owner@kangning.example", "password": "a-long-passphrase", "full_name": "王芳"},
}


class RegisterApi(ApiView):
    authentication_classes: list = []
    throttle_classes = [AuthRateThrottle]
    policies = {"post": Public()}

    @extend_schema(
        tags=["accounts"],
        summary="Register an organisation and its owner",
        auth=[],
        description="Creates a **pending** organisation and its owner account. Platform admins verify it; "
        "it may trade once verified and holding an approved trading licence.",
        request=RegistrationInput,
        responses={201: RegistrationOutput, **problems(400, 409, 422, 429)},
    )
    @idempotent
    def post(self, request):
        data = self.parse(RegistrationInput)
        organization_data, owner_data = data["organization"], data["owner"]
        organization, owner = services.organization_register(
            **organization_data,
            owner_email=owner_data["email"],
            owner_password=owner_data["password"],
            owner_full_name=owner_data["full_name"],
        )
        organization.may_trade = False
        return self.respond(
            RegistrationOutput, {"organization": organization, "owner": owner}, status=status.HTTP_201_CREATED
        )


class _SessionView(ApiView):
    """Sign-in, refresh and password resets: no credentials needed, a tight budget per client address."""

    authentication_classes: list = []
    throttle_classes = [AuthRateThrottle]
    policies = {"post": Public()}

    def get_authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'  # so a refused sign-in is a 401 with WWW-Authenticate, not a 403


class TokenObtainApi(_SessionView):
    @extend_schema(
        tags=["auth"],
        summary="Obtain a JWT access and refresh token",
        auth=[],
        description="Sign in with email and password. Send the access token as `Authorization: Bearer <access>`. "
        "After 10 failed attempts in 15 minutes the account is locked for the rest of the window (429 "
        "`login_locked` with Retry-After), whatever address the attempts come from.",
        request=TokenObtainInput,
        responses={200: TokenPairOutput, **problems(400, 401, 429)},
    )
    def post(self, request):
        data = self.parse(TokenObtainInput)
        return self.respond(TokenPairOutput, services.session_open(email=data["email"], password=data["password"]))


class TokenRefreshApi(_SessionView):
    @extend_schema(
        tags=["auth"],
        summary="Refresh a JWT access token",
        auth=[],
        description="A refresh token stops working when its person signs out, changes or resets the password, or "
        "is deactivated.",
        request=TokenRefreshInput,
        responses={200: AccessTokenOutput, **problems(400, 401, 429)},
    )
    def post(self, request):
        access = services.session_refresh(refresh=self.parse(TokenRefreshInput)["refresh"])
        return self.respond(AccessTokenOutput, {"access": access})


class LogoutApi(ApiView):
    policies = {"post": Person()}
    suspended_may = frozenset({"post"})

    @extend_schema(
        tags=["auth"],
        summary="Sign out everywhere: every access and refresh token of yours stops working",
        request=None,
        responses={204: None, **problems(401, 403)},
    )
    def post(self, request):
        services.session_close(actor=self.actor)
        return self.no_content()


class PasswordChangeApi(ApiView):
    policies = {"post": Person()}
    suspended_may = frozenset({"post"})

    @extend_schema(
        tags=["auth"],
        summary="Change your password; every other session ends and this answer carries new tokens",
        request=PasswordChangeInput,
        responses={200: TokenPairOutput, **problems(400, 401, 403)},
    )
    def post(self, request):
        data = self.parse(PasswordChangeInput)
        tokens = services.password_change(
            actor=self.actor, old_password=data["old_password"], new_password=data["new_password"]
        )
        return self.respond(TokenPairOutput, tokens)


class PasswordResetApi(_SessionView):
    @extend_schema(
        tags=["auth"],
        summary="Ask for a password-reset code by email",
        auth=[],
        description="Always 202, whether or not an account has this email: the code goes to the mailbox of an "
        "existing account only.",
        request=PasswordResetInput,
        responses={202: None, **problems(400, 429)},
    )
    def post(self, request):
        services.password_reset_request(email=self.parse(PasswordResetInput)["email"])
        return Response(status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmApi(_SessionView):
    @extend_schema(
        tags=["auth"],
        summary="Set a new password with the code from the reset email; every session ends",
        auth=[],
        request=PasswordResetConfirmInput,
        responses={204: None, **problems(400, 429)},
    )
    def post(self, request):
        services.password_reset_confirm(**self.parse(PasswordResetConfirmInput))
        return self.no_content()


class MeApi(ApiView):
    suspended_may = frozenset({"get"})
    policies = {"get": Person().explained("API keys have no user profile; call an organisation resource instead.")}

    @extend_schema(
        tags=["accounts"],
        summary="Who am I: the signed-in user, staff roles and memberships",
        description="Not available to API keys (they are not people): 403.",
        responses={200: MeOutput, **problems(401, 403)},
    )
    def get(self, request):
        return self.respond(MeOutput, self.actor.user)
