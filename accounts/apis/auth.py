from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts.actor import actor_from_request
from accounts.serializers import MeOutput, RegistrationInput, RegistrationOutput
from accounts.services import organization_register
from api_docs.responses import problems
from pharmex.api.idempotency import idempotent
from pharmex.api.throttling import AuthRateThrottle

REGISTRATION_EXAMPLE = {
    "organization": {
        "legal_name": "海口市龙华区康宁大药房有限公司",
        "uscc": "91460100MA5T0000XY",
        "kind": "pharmacy",
        "province_code": "460000",
    },
    "owner": {"email": "owner@kangning.example", "password": "a-long-passphrase", "full_name": "王芳"},
}


class RegisterApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AuthRateThrottle]

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
        data = RegistrationInput(data=request.data)
        data.is_valid(raise_exception=True)
        organization_data, owner_data = data.validated_data["organization"], data.validated_data["owner"]
        organization, owner = organization_register(
            **organization_data,
            owner_email=owner_data["email"],
            owner_password=owner_data["password"],
            owner_full_name=owner_data["full_name"],
        )
        organization.may_trade = False
        body = {"organization": organization, "owner": owner}
        return Response(RegistrationOutput(body).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    post=extend_schema(
        tags=["auth"],
        summary="Obtain a JWT access and refresh token",
        auth=[],
        description="Sign in with email and password. Send the access token as `Authorization: Bearer <access>`.",
        responses={200: OpenApiResponse(description="Access and refresh tokens"), **problems(400, 401, 429)},
    )
)
class TokenObtainApi(TokenObtainPairView):
    throttle_classes = [AuthRateThrottle]


@extend_schema_view(
    post=extend_schema(
        tags=["auth"],
        summary="Refresh a JWT access token",
        auth=[],
        responses={200: OpenApiResponse(description="A new access token"), **problems(400, 401, 429)},
    )
)
class TokenRefreshApi(TokenRefreshView):
    throttle_classes = [AuthRateThrottle]


class MeApi(APIView):
    @extend_schema(
        tags=["accounts"],
        summary="Who am I: the signed-in user, staff roles and memberships",
        description="Not available to API keys (they are not people): 403.",
        responses={200: MeOutput, **problems(401, 403)},
    )
    def get(self, request):
        actor = actor_from_request(request)
        if actor.user is None:
            raise PermissionDenied("API keys have no user profile; call an organisation resource instead.")
        return Response(MeOutput(actor.user).data)
