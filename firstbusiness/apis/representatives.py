from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.choices import MemberRole
from api_docs.responses import problems
from firstbusiness import selectors, services
from firstbusiness.filters import RepresentativeFilter
from firstbusiness.models import SalesRepresentative
from firstbusiness.serializers import RepresentativeCreateInput, RepresentativeOutput, RepresentativeUpdateInput
from pharmex.api.idempotency import idempotent
from pharmex.api.permissions import Members, SignedIn
from pharmex.api.serializers import NoteInput
from pharmex.api.views import ApiViewSet

KEEPERS = Members(MemberRole.OWNER, MemberRole.QUALITY)


@extend_schema_view(
    list=extend_schema(summary="List sales representatives: yours and those of organisations sharing with you"),
    retrieve=extend_schema(summary="Retrieve a sales representative"),
)
@extend_schema(tags=["first-business"])
class RepresentativeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = RepresentativeOutput
    filterset_class = RepresentativeFilter
    lookup_value_converter = "int"
    http_method_names = ["get", "post", "patch", "head", "options"]
    policies = {
        "list": SignedIn(),
        "retrieve": SignedIn(),
        "create": KEEPERS,
        "partial_update": KEEPERS,
        "revoke": KEEPERS,
    }
    suspended_may = frozenset({"revoke"})  # ending someone's authority is always allowed

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SalesRepresentative.objects.none()
        return selectors.representative_list(actor=self.actor)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "organization_id": self.actor.organization_id}

    def _out(self, representative: SalesRepresentative, **kwargs):
        context = {"organization_id": self.actor.organization_id}
        return Response(RepresentativeOutput(representative, context=context).data, **kwargs)

    @extend_schema(
        summary="Register a sales representative (owner or quality); upload the power of attorney next",
        request=RepresentativeCreateInput,
        responses={201: RepresentativeOutput, **problems(400)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        representative = services.representative_create(actor=self.actor, data=self.parse(RepresentativeCreateInput))
        return self._out(representative, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a representative's phone or linked account (owner or quality)",
        request=RepresentativeUpdateInput,
        responses={200: RepresentativeOutput, **problems(400, 403)},
    )
    def partial_update(self, request, *args, **kwargs):
        representative = services.representative_update(
            actor=self.actor, representative=self.get_object(), data=self.parse(RepresentativeUpdateInput)
        )
        return self._out(representative)

    @extend_schema(
        summary="Revoke a representative (owner or quality): its linked account may only read from now on",
        request=NoteInput,
        responses={200: RepresentativeOutput, **problems(403, 409)},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        representative = services.representative_revoke(
            actor=self.actor, representative=self.get_object(), **self.parse(NoteInput)
        )
        return self._out(representative)
