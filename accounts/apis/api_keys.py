from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts import selectors, services
from accounts.actor import actor_from_request
from accounts.choices import MemberRole
from accounts.permissions import IsPersonWithOrganization, member_with_role
from accounts.serializers import ApiKeyCreatedOutput, ApiKeyInput, ApiKeyOutput
from api_docs.responses import problems
from pharmex.api.idempotency import idempotent


@extend_schema_view(
    list=extend_schema(summary="List your organisation's API keys (owner)"),
    retrieve=extend_schema(summary="Retrieve an API key (never its secret)"),
)
@extend_schema(tags=["api-keys"])
class ApiKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ApiKeyOutput
    # Keys are addressed by their public prefix: the primary key embeds the hash ("<prefix>.<hasher>$$<hash>"),
    # which must not leave the server (and the router's "[^/.]+" could not match it anyway).
    lookup_field = "prefix"
    lookup_value_regex = r"[A-Za-z0-9]+"

    def get_queryset(self):
        return selectors.api_key_list(actor=actor_from_request(self.request))

    def get_permissions(self):
        # Keys are managed by people: an API key cannot mint or revoke keys.
        return [IsAuthenticated(), IsPersonWithOrganization(), member_with_role(MemberRole.OWNER)()]

    @extend_schema(
        summary="Create an API key; the secret is in this response only",
        description="Only the hash of the secret is kept. A retried request with the same Idempotency-Key "
        "replays the key's details with `key: null`: the secret is never stored, not even for replays.",
        request=ApiKeyInput,
        responses={201: ApiKeyCreatedOutput},
    )
    @idempotent(redact=("key",))
    def create(self, request, *args, **kwargs):
        data = ApiKeyInput(data=request.data)
        data.is_valid(raise_exception=True)
        api_key, secret = services.api_key_create(actor=actor_from_request(request), **data.validated_data)
        api_key.key = secret
        return Response(ApiKeyCreatedOutput(api_key).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Revoke an API key (cannot be undone)", request=None, responses={200: ApiKeyOutput, **problems(409)}
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, prefix=None):
        api_key = services.api_key_revoke(api_key=self.get_object(), actor=actor_from_request(request))
        return Response(ApiKeyOutput(api_key).data)
