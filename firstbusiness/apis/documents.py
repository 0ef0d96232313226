from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.reverse import reverse

from accounts.choices import MemberRole
from api_docs.responses import problems
from firstbusiness import selectors, services
from firstbusiness.content import MEDIA_TYPES
from firstbusiness.filters import DocumentFilter
from firstbusiness.models import Document, DocumentStatusChange
from firstbusiness.serializers import DocumentAccessOutput, DocumentLinkOutput, DocumentOutput, DocumentUploadInput
from firstbusiness.storage import document_open_file
from pharmex.api.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from pharmex.api.pagination import NewestFirstCursorPagination
from pharmex.api.permissions import Members, SignedIn, Staff
from pharmex.api.serializers import NoteInput, RequiredNoteInput, transition_record_output
from pharmex.api.uploads import UploadViewMixin
from pharmex.api.views import ApiView, ApiViewSet
from pharmex.choices import StaffRole

DocumentStatusChangeOutput = transition_record_output(DocumentStatusChange)
KEEPERS = Members(MemberRole.OWNER, MemberRole.QUALITY)  # who looks after an organisation's GSP files
ADMIN = Staff(StaffRole.ADMIN)
UPLOAD_RULES = (
    "Multipart form, the file in `file`. Accepted only as a whole PDF, PNG or JPEG by its **content** (a renamed "
    "file answers 415 `document-content-not-accepted`), then scanned (400 `document-scan-refused`); larger than "
    "`DOCUMENT_MAX_BYTES` answers 413 before it is read. Uploading is submitting: the document is immutable from "
    "now on and awaits platform verification; correct it with a new version (`replaces`), which supersedes this one "
    "(kept). The subject fields depend on `type` (API guide, first business)."
)


@extend_schema_view(
    list=extend_schema(
        summary="List documents: yours (every version) and those of organisations sharing theirs with you"
    ),
    retrieve=extend_schema(summary="Retrieve a document version"),
)
@extend_schema(tags=["first-business"])
class DocumentViewSet(UploadViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = DocumentOutput
    filterset_class = DocumentFilter
    lookup_value_converter = "int"
    upload_limits = {"create": "DOCUMENT_MAX_BYTES"}  # larger uploads: 413 before they are read
    http_method_names = ["get", "post", "head", "options"]
    policies = {
        "list": SignedIn(),  # the selector decides whose
        "retrieve": SignedIn(),
        "history": SignedIn(),
        "accesses": SignedIn(),
        "link": SignedIn(),
        "create": KEEPERS,
        "verify": ADMIN,
        "reject": ADMIN,
    }
    # A link is a read sent as POST; documents are what a suspended organisation is reinstated on.
    suspended_may = frozenset({"link", "create"})

    def get_parsers(self):
        # Asked before the action is known: a POST to the collection is the upload; the actions read JSON.
        if getattr(self, "action", None) == "create" or (
            self.request is not None and self.request.method == "POST" and "pk" not in self.kwargs
        ):
            return [MultiPartParser()]
        return super().get_parsers()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, maybe no tables
            return Document.objects.none()
        return selectors.document_list(actor=self.actor).prefetch_related("scope_drugs")

    @extend_schema(
        summary="Upload (submit) a document (owner or quality)",
        description=UPLOAD_RULES,
        request={"multipart/form-data": DocumentUploadInput},
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={201: DocumentOutput, **problems(400, 409, 413, 415)},
    )
    def create(self, request, *args, **kwargs):
        data = self.parse(DocumentUploadInput)
        upload = data["file"]
        # Checked, scanned and stored before the request's transaction opens: the store may be remote.
        stored = services.document_file_accept(actor=self.actor, file=upload, original_name=upload.name or "")
        return self._submit(request, data=data, stored=stored)

    @idempotent
    def _submit(self, request, *, data: dict, stored: services.StoredFile):
        document = services.document_submit(actor=self.actor, data=data, stored=stored)
        return self.respond(DocumentOutput, self.get_queryset().get(pk=document.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="A short-lived signed download link (recorded)",
        description="The link works for you alone — the same person or API key, acting for the same organisation — "
        "for `DOCUMENT_LINK_MAX_AGE_SECONDS` (default 300). Every link issued and every download is recorded.",
        request=None,
        responses={200: DocumentLinkOutput},
    )
    @action(detail=True, methods=["post"])
    def link(self, request, pk=None):
        link = services.document_link(actor=self.actor, document=self.get_object())
        url = reverse("document-file", kwargs={"token": link.token}, request=request)
        return self.respond(DocumentLinkOutput, {"url": url, "expires_at": link.expires_at})

    @extend_schema(
        summary="Who obtained links to and downloaded this document (its owner: everyone; others: their own)",
        responses={200: DocumentAccessOutput(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=NewestFirstCursorPagination)
    def accesses(self, request, pk=None):
        accesses = selectors.document_access_list(actor=self.actor, document=self.get_object())
        return self.page_of(accesses, DocumentAccessOutput)

    @extend_schema(
        summary="The document's verification history",
        responses={200: DocumentStatusChangeOutput(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=NewestFirstCursorPagination)
    def history(self, request, pk=None):
        return self.page_of(selectors.document_history(document=self.get_object()), DocumentStatusChangeOutput)

    @extend_schema(
        summary="Verify a document against what it claims (admin)",
        request=NoteInput,
        responses={200: DocumentOutput, **problems(409)},
    )
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        document = services.document_verify(actor=self.actor, document=self.get_object(), **self.parse(NoteInput))
        return self.respond(DocumentOutput, self.get_queryset().get(pk=document.pk))

    @extend_schema(
        summary="Reject a document with a reason (admin); its owner uploads a new version",
        request=RequiredNoteInput,
        responses={200: DocumentOutput, **problems(409)},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        document = services.document_reject(
            actor=self.actor, document=self.get_object(), **self.parse(RequiredNoteInput)
        )
        return self.respond(DocumentOutput, self.get_queryset().get(pk=document.pk))


@extend_schema(tags=["first-business"])
class DocumentFileApi(ApiView):
    """The file behind a signed link, streamed from the store through the API."""

    policies = {"get": SignedIn()}

    def perform_content_negotiation(self, request, force=False):
        # Clients ask for the file's own type (Accept: application/pdf); errors are still problem+json.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        summary="Download a document through a signed link (the caller it was issued to, before it expires)",
        description="A forged or altered link, one issued to someone else, or one for a document no longer shared "
        "with you answers 404; your own expired link 410 `download-link-expired`. The download is recorded.",
        responses={
            **{(200, media_type): OpenApiResponse(OpenApiTypes.BINARY) for media_type in MEDIA_TYPES},
            **problems(404, 410),
        },
    )
    def get(self, request, token: str):
        document = services.document_open(actor=self.actor, token=token)
        extension = document.file.name.rsplit(".", 1)[-1]
        response = FileResponse(
            document_open_file(document.file.name),
            content_type=document.content_type,
            as_attachment=True,
            filename=f"document-{document.pk}-v{document.version}.{extension}",
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox"
        return response
