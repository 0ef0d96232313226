from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action

from accounts import selectors, services
from accounts.choices import MemberRole
from accounts.filters import LicenseFilter
from accounts.models import LicenseStatusChange
from accounts.serializers import LicenseInput, LicenseOutput
from api_docs.responses import problems
from pharmex.api.etag import IF_MATCH_PARAMETER
from pharmex.api.idempotency import idempotent
from pharmex.api.pagination import NewestFirstCursorPagination
from pharmex.api.permissions import Members, SignedIn, Staff
from pharmex.api.serializers import NoteInput, RequiredNoteInput, transition_record_output
from pharmex.api.views import ApiViewSet
from pharmex.choices import StaffRole

LicenseStatusChangeOutput = transition_record_output(LicenseStatusChange)
OWNER = Members(MemberRole.OWNER)
REVIEWERS = Staff(StaffRole.ADMIN)


@extend_schema_view(
    list=extend_schema(summary="List licences (your own; admins: all)"),
    retrieve=extend_schema(summary="Retrieve a licence"),
    destroy=extend_schema(
        summary="Delete a licence that is not approved (owner)", responses={204: None, **problems(409)}
    ),
)
@extend_schema(tags=["licenses"])
class LicenseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ApiViewSet):
    serializer_class = LicenseOutput
    filterset_class = LicenseFilter
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    policies = {
        "list": SignedIn(),  # the selector decides whose: your organisation's, or every one for staff
        "retrieve": SignedIn(),
        "history": SignedIn(),
        "create": OWNER,
        "partial_update": OWNER,
        "destroy": OWNER,
        "approve": REVIEWERS,
        "reject": REVIEWERS,
    }
    suspended_may = frozenset({"create", "partial_update", "destroy"})  # documents to be reinstated on

    def get_queryset(self):
        return selectors.license_list(actor=self.actor)

    def retrieve(self, request, *args, **kwargs):
        return self.respond(LicenseOutput, self.get_object(), etag=True)

    @extend_schema(
        summary="Submit a licence for review (owner)",
        request=LicenseInput,
        responses={201: LicenseOutput, **problems(400)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        license = services.license_create(actor=self.actor, data=self.parse(LicenseInput))
        return self.respond(LicenseOutput, license, status=status.HTTP_201_CREATED, etag=True)

    @extend_schema(
        summary="Correct a licence under review or rejected (owner); it returns to review",
        request=LicenseInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: LicenseOutput, **problems(409, 412)},
    )
    def partial_update(self, request, *args, **kwargs):
        license = self.if_match(self.get_object())
        data = self.parse(LicenseInput, instance=license, partial=True)
        license = services.license_update(license=license, actor=self.actor, data=data)
        return self.respond(LicenseOutput, license, etag=True)

    def destroy(self, request, *args, **kwargs):
        services.license_delete(license=self.get_object(), actor=self.actor)
        return self.no_content()

    @extend_schema(
        summary="Approve a licence (admin)", request=NoteInput, responses={200: LicenseOutput, **problems(409)}
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        license = services.license_approve(license=self.get_object(), actor=self.actor, **self.parse(NoteInput))
        return self.respond(LicenseOutput, license)

    @extend_schema(
        summary="Reject a licence with a reason (admin)",
        request=RequiredNoteInput,
        responses={200: LicenseOutput, **problems(409)},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        license = services.license_reject(license=self.get_object(), actor=self.actor, **self.parse(RequiredNoteInput))
        return self.respond(LicenseOutput, license)

    @extend_schema(
        summary="The licence's review history: every submission outcome with reviewer, time and note",
        responses={200: LicenseStatusChangeOutput(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=NewestFirstCursorPagination)
    def history(self, request, pk=None):
        return self.page_of(selectors.license_history(license=self.get_object()), LicenseStatusChangeOutput)
