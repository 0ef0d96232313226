from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts.serializers import MeOutput, RegistrationInput, RegistrationOutput
from accounts.services import organization_register
from api_docs.responses import problems
from pharmex.api.idempotency import idempotent
from pharmex.api.permissions import Person, Public
from pharmex.api.throttling import AuthRateThrottle
from pharmex.api.views import ApiMixin, ApiView

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
        organization, owner = organization_register(
            **organization_data,
            owner_email=owner_data["email"],
            owner_password=owner_data["password"],
            owner_full_name=owner_data["full_name"],
        )
        organization.may_trade = False
        return self.respond(
            RegistrationOutput, {"organization": organization, "owner": owner}, status=status.HTTP_201_CREATED
        )


@extend_schema_view(
    post=extend_schema(
        tags=["auth"],
        summary="Obtain a JWT access and refresh token",
        auth=[],
        description="Sign in with email and password. Send the access token as `Authorization: Bearer <access>`.",
        responses={200: OpenApiResponse(description="Access and refresh tokens"), **problems(400, 401, 429)},
    )
)
class TokenObtainApi(ApiMixin, TokenObtainPairView):
    throttle_classes = [AuthRateThrottle]
    policies = {"post": Public()}


@extend_schema_view(
    post=extend_schema(
        tags=["auth"],
        summary="Refresh a JWT access token",
        auth=[],
        responses={200: OpenApiResponse(description="A new access token"), **problems(400, 401, 429)},
    )
)
class TokenRefreshApi(ApiMixin, TokenRefreshView):
    throttle_classes = [AuthRateThrottle]
    policies = {"post": Public()}


class MeApi(ApiView):
    policies = {"get": Person().explained("API keys have no user profile; call an organisation resource instead.")}

    @extend_schema(
        tags=["accounts"],
        summary="Who am I: the signed-in user, staff roles and memberships",
        description="Not available to API keys (they are not people): 403.",
        responses={200: MeOutput, **problems(401, 403)},
    )
    def get(self, request):
        return self.respond(MeOutput, self.actor.user)
