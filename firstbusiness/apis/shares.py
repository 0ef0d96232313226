from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action

from accounts.choices import MemberRole
from api_docs.responses import problems
from firstbusiness import selectors, services
from firstbusiness.filters import ShareFilter
from firstbusiness.models import DocumentShare, DocumentShareChange
from firstbusiness.serializers import ShareOutput, ShareRequestInput, ShareSendInput
from pharmex.api.idempotency import idempotent
from pharmex.api.pagination import NewestFirstCursorPagination
from pharmex.api.permissions import Members, SignedIn
from pharmex.api.serializers import NoteInput, transition_record_output
from pharmex.api.views import ApiViewSet

DocumentShareChangeOutput = transition_record_output(DocumentShareChange)
KEEPERS = Members(MemberRole.OWNER, MemberRole.QUALITY)


@extend_schema_view(
    list=extend_schema(summary="List the document shares you provide or receive"),
    retrieve=extend_schema(summary="Retrieve a document share"),
)
@extend_schema(tags=["first-business"])
class DocumentShareViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ShareOutput
    filterset_class = ShareFilter
    lookup_value_converter = "int"
    http_method_names = ["get", "post", "head", "options"]
    policies = {
        "list": SignedIn(),
        "retrieve": SignedIn(),
        "history": SignedIn(),
        "request_documents": KEEPERS,
        "send": KEEPERS,
        "accept": KEEPERS,
        "decline": KEEPERS,
        "revoke": KEEPERS,
    }
    suspended_may = frozenset({"revoke", "decline"})  # withholding documents is always allowed

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DocumentShare.objects.none()
        return selectors.share_list(actor=self.actor)

    def _detail(self, share: DocumentShare, **kwargs):
        return self.respond(ShareOutput, self.get_queryset().get(pk=share.pk), **kwargs)

    @extend_schema(
        summary="Ask an organisation for its documents, e.g. a supplier's first-business package (owner or quality)",
        request=ShareRequestInput,
        responses={201: ShareOutput, **problems(400, 404)},
    )
    @action(detail=False, methods=["post"], url_path="request", url_name="request")
    @idempotent
    def request_documents(self, request):
        share = services.share_request(actor=self.actor, **self.parse(ShareRequestInput))
        return self._detail(share, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Share your documents with an organisation (owner or quality)",
        request=ShareSendInput,
        responses={201: ShareOutput, **problems(400, 404)},
    )
    @action(detail=False, methods=["post"])
    @idempotent
    def send(self, request):
        share = services.share_send(actor=self.actor, **self.parse(ShareSendInput))
        return self._detail(share, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Grant a request for your documents (owner or quality)",
        request=NoteInput,
        responses={200: ShareOutput, **problems(403, 409)},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._detail(services.share_accept(actor=self.actor, share=self.get_object(), **self.parse(NoteInput)))

    @extend_schema(
        summary="Decline a request for your documents (owner or quality)",
        request=NoteInput,
        responses={200: ShareOutput, **problems(403, 409)},
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._detail(services.share_decline(actor=self.actor, share=self.get_object(), **self.parse(NoteInput)))

    @extend_schema(
        summary="Stop sharing your documents (owner or quality): the recipient's access and links end at once",
        request=NoteInput,
        responses={200: ShareOutput, **problems(403, 409)},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        return self._detail(services.share_revoke(actor=self.actor, share=self.get_object(), **self.parse(NoteInput)))

    @extend_schema(
        summary="The share's history: requests, grants, refusals, revocations",
        responses={200: DocumentShareChangeOutput(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=NewestFirstCursorPagination)
    def history(self, request, pk=None):
        return self.page_of(selectors.share_history(share=self.get_object()), DocumentShareChangeOutput)
