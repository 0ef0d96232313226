from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action

from accounts import selectors, services
from accounts.choices import MemberRole
from accounts.serializers import ApiKeyCreatedOutput, ApiKeyInput, ApiKeyOutput
from api_docs.responses import problems
from pharmex.api.idempotency import idempotent
from pharmex.api.permissions import Members
from pharmex.api.views import ApiViewSet

# Keys are managed by people: an API key cannot mint or revoke keys.
KEY_OWNERS = Members(MemberRole.OWNER, people_only=True)


@extend_schema_view(
    list=extend_schema(summary="List your organisation's API keys (owner)"),
    retrieve=extend_schema(summary="Retrieve an API key (never its secret)"),
)
@extend_schema(tags=["api-keys"])
class ApiKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ApiKeyOutput
    # Keys are addressed by their public prefix: the primary key embeds the hash ("<prefix>.<hasher>$$<hash>"),
    # which must not leave the server (and the router's "[^/.]+" could not match it anyway).
    lookup_field = "prefix"
    lookup_value_regex = r"[A-Za-z0-9]+"
    policies = {"list": KEY_OWNERS, "retrieve": KEY_OWNERS, "create": KEY_OWNERS, "revoke": KEY_OWNERS}
    suspended_may = frozenset({"revoke"})  # shutting access is always allowed

    def get_queryset(self):
        return selectors.api_key_list(actor=self.actor)

    @extend_schema(
        summary="Create an API key; the secret is in this response only",
        description="Only the hash of the secret is kept. A retried request with the same Idempotency-Key "
        "replays the key's details with `key: null`: the secret is never stored, not even for replays.",
        request=ApiKeyInput,
        responses={201: ApiKeyCreatedOutput},
    )
    @idempotent(redact=("key",))
    def create(self, request, *args, **kwargs):
        api_key, secret = services.api_key_create(actor=self.actor, **self.parse(ApiKeyInput))
        api_key.key = secret
        return self.respond(ApiKeyCreatedOutput, api_key, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Revoke an API key (cannot be undone)", request=None, responses={200: ApiKeyOutput, **problems(409)}
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, prefix=None):
        return self.respond(ApiKeyOutput, services.api_key_revoke(api_key=self.get_object(), actor=self.actor))
