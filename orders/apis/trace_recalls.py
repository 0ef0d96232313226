from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action

from api_docs.responses import problems
from orders import selectors, services
from orders.serializers import RecallAffectedOutput, RecallInput, RecallOutput, TraceOutput, trace_body
from pharmex.api.idempotency import idempotent
from pharmex.api.permissions import SignedIn, Staff
from pharmex.api.views import ApiView, ApiViewSet
from pharmex.choices import StaffRole


class TraceApi(ApiView):
    policies = {"get": SignedIn()}  # the selector: the shipment's parties and staff; anyone else gets 404

    @extend_schema(
        tags=["trace"],
        summary="Trace a code: drug, lot, expiry, supplier, order, buyer",
        description="For the supplier and buyer of the shipment that carried the code, and platform staff; "
        "anyone else gets 404.",
        responses={200: TraceOutput, **problems(404)},
    )
    def get(self, request, code: str):
        return self.respond(TraceOutput, trace_body(selectors.trace_get(actor=self.actor, code=code)))


@extend_schema_view(
    list=extend_schema(summary="List recalls"),
    retrieve=extend_schema(summary="Retrieve a recall"),
)
@extend_schema(tags=["recalls"])
class RecallViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = RecallOutput
    policies = {
        "list": SignedIn(),
        "retrieve": SignedIn(),
        "affected": SignedIn(),  # the selector: staff all shipments, others their own
        "create": Staff(StaffRole.ADMIN),
    }

    def get_queryset(self):
        return selectors.recall_list(actor=self.actor)

    @extend_schema(
        summary="Issue a recall (admin): those lots can no longer be shipped; buyers are notified",
        request=RecallInput,
        responses={201: RecallOutput, **problems(400)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = dict(self.parse(RecallInput))
        recall = services.recall_issue(actor=self.actor, drug_id=data.pop("drug"), **data)
        return self.respond(RecallOutput, recall, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Shipments affected by a recall (staff: all; organisations: their own)",
        responses={200: RecallAffectedOutput(many=True)},
    )
    @action(detail=True, methods=["get"])
    def affected(self, request, pk=None):
        return self.page_of(
            selectors.recall_affected_lines(recall=self.get_object(), actor=self.actor), RecallAffectedOutput
        )
