from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action

from accounts.choices import MemberRole
from api_docs.responses import problems
from firstbusiness import selectors, services
from firstbusiness.filters import ReviewFilter
from firstbusiness.models import FirstBusinessReview, FirstBusinessReviewChange
from firstbusiness.serializers import ReviewApproveInput, ReviewOutput, ReviewRejectInput
from pharmex.api.idempotency import idempotent
from pharmex.api.pagination import NewestFirstCursorPagination
from pharmex.api.permissions import Members, SignedIn
from pharmex.api.serializers import transition_record_output
from pharmex.api.views import ApiViewSet

FirstBusinessReviewChangeOutput = transition_record_output(FirstBusinessReviewChange)
# A quality decision is a person's signature on the buyer's GSP file, never a machine's.
REVIEWERS = Members(MemberRole.QUALITY, people_only=True)


@extend_schema_view(
    list=extend_schema(summary="List your organisation's first-business decisions (首营企业, 首营品种)"),
    retrieve=extend_schema(summary="Retrieve a first-business decision"),
)
@extend_schema(tags=["first-business"])
class ReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ReviewOutput
    filterset_class = ReviewFilter
    lookup_value_converter = "int"
    http_method_names = ["get", "post", "head", "options"]
    policies = {
        "list": SignedIn(),
        "retrieve": SignedIn(),
        "history": SignedIn(),
        "approve": REVIEWERS,
        "reject": REVIEWERS,
    }

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return FirstBusinessReview.objects.none()
        return selectors.review_list(actor=self.actor)

    @extend_schema(
        summary="Approve a supplier, or with `drug_id` one of its drugs (quality, a person)",
        description="Needs the supplier's documents shared with you (409 `first-business-package-not-shared`). The "
        "approval rests on the supplier's current licence copies and quality agreement (a drug: its registration "
        "certificate and quality standard) and is valid until the earliest of their expiry dates; approving again "
        "after renewed documents extends it. Announced to both parties (`first_business.approved`).",
        request=ReviewApproveInput,
        responses={201: ReviewOutput, **problems(400, 404, 409)},
    )
    @action(detail=False, methods=["post"])
    @idempotent
    def approve(self, request):
        review = services.review_decide(actor=self.actor, approve=True, **self.parse(ReviewApproveInput))
        return self.respond(ReviewOutput, self.get_queryset().get(pk=review.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Reject a supplier, or with `drug_id` one of its drugs, with a reason (quality, a person)",
        request=ReviewRejectInput,
        responses={201: ReviewOutput, **problems(400, 404)},
    )
    @action(detail=False, methods=["post"])
    @idempotent
    def reject(self, request):
        review = services.review_decide(actor=self.actor, approve=False, **self.parse(ReviewRejectInput))
        return self.respond(ReviewOutput, self.get_queryset().get(pk=review.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The decision's history: every approval, rejection and expiry with who, when and note",
        responses={200: FirstBusinessReviewChangeOutput(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=NewestFirstCursorPagination)
    def history(self, request, pk=None):
        return self.page_of(selectors.review_history(review=self.get_object()), FirstBusinessReviewChangeOutput)
