from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action

from accounts import selectors, services
from accounts.choices import MemberRole
from accounts.filters import ReverificationFilter
from accounts.models import ReverificationStatusChange
from accounts.serializers import ReverificationOutput
from api_docs.responses import problems
from pharmex.api.pagination import NewestFirstCursorPagination
from pharmex.api.permissions import Members, Staff
from pharmex.api.serializers import NoteInput, RequiredNoteInput, transition_record_output
from pharmex.api.views import ApiViewSet
from pharmex.choices import StaffRole

ReverificationStatusChangeOutput = transition_record_output(ReverificationStatusChange)
REVIEWERS = Staff(StaffRole.ADMIN)
READING = Members(*MemberRole.values) | Staff()


@extend_schema_view(
    list=extend_schema(summary="List re-verifications: the review queue (staff: all; an organisation: its own)"),
    retrieve=extend_schema(summary="Retrieve a re-verification"),
)
@extend_schema(tags=["organizations"])
class ReverificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ReverificationOutput
    filterset_class = ReverificationFilter
    lookup_value_converter = "int"
    policies = {
        "list": READING,
        "retrieve": READING,
        "history": READING,
        "pass_review": REVIEWERS,
        "fail_review": REVIEWERS,
    }

    def get_queryset(self):
        return selectors.reverification_list(actor=self.actor)

    def _respond(self, reverification):
        return self.respond(ReverificationOutput, self.get_queryset().get(pk=reverification.pk))

    @extend_schema(
        summary="Pass a re-verification (admin): verified again; restored if the overdue review suspended it",
        request=NoteInput,
        responses={200: ReverificationOutput, **problems(409)},
    )
    @action(detail=True, methods=["post"], url_path="pass")
    def pass_review(self, request, pk=None):
        reverification = services.reverification_pass(
            reverification=self.get_object(), actor=self.actor, **self.parse(NoteInput)
        )
        return self._respond(reverification)

    @extend_schema(
        summary="Fail a re-verification (admin): the organisation is suspended with your reason",
        request=RequiredNoteInput,
        responses={200: ReverificationOutput, **problems(409)},
    )
    @action(detail=True, methods=["post"], url_path="fail")
    def fail_review(self, request, pk=None):
        reverification = services.reverification_fail(
            reverification=self.get_object(), actor=self.actor, **self.parse(RequiredNoteInput)
        )
        return self._respond(reverification)

    @extend_schema(
        summary="The re-verification's decisions with reviewer, time and note",
        responses={200: ReverificationStatusChangeOutput(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=NewestFirstCursorPagination)
    def history(self, request, pk=None):
        return self.page_of(
            selectors.reverification_history(reverification=self.get_object()), ReverificationStatusChangeOutput
        )
