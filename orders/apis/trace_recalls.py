from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action

from accounts.choices import MemberRole
from api_docs.responses import problems
from orders import selectors, services
from orders.serializers import (
    CodeFormatInput,
    CodeFormatOutput,
    RecallAcknowledgeInput,
    RecallAcknowledgementOutput,
    RecallAffectedOutput,
    RecallBuyerOutput,
    RecallInput,
    RecallOutput,
    TraceOutput,
    trace_body,
)
from pharmex.api.idempotency import idempotent
from pharmex.api.pagination import PagePagination
from pharmex.api.permissions import Members, SignedIn, Staff
from pharmex.api.views import ApiView, ApiViewSet
from pharmex.choices import StaffRole

# Recalls are issued by platform admins or by the drug's MAH (the service checks which drug is whose).
RECALLING = Members(MemberRole.OWNER, MemberRole.OPERATOR) | Staff(StaffRole.ADMIN)
ACKNOWLEDGING = Members(MemberRole.OWNER, MemberRole.OPERATOR, MemberRole.QUALITY)  # recalls: quality's GSP duty


class TraceApi(ApiView):
    policies = {"get": SignedIn()}  # the selector: staff every hop, a party its own hops, anyone else 404

    @extend_schema(
        tags=["trace"],
        summary="Trace a code: drug, lot, expiry and its custody chain",
        description="Any kind of code, as typed or scanned (GS1 is matched by GTIN and serial). Platform staff "
        "see every hop (from, to, order, shipment, time) and the current holder; an organisation sees the hops "
        "it took part in (and the holder when it is the holder); anyone else gets 404.",
        responses={200: TraceOutput, **problems(404)},
    )
    def get(self, request, code: str):
        return self.respond(TraceOutput, trace_body(selectors.trace_get(actor=self.actor, code=code)))


@extend_schema_view(
    list=extend_schema(summary="List enterprise code formats declared for drugs"),
    retrieve=extend_schema(summary="Retrieve an enterprise code format"),
)
@extend_schema(tags=["trace"])
class CodeFormatViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Enterprise-defined codes (企业自定义码): the digits, length and prefix a supplier declares per drug."""

    serializer_class = CodeFormatOutput
    pagination_class = PagePagination
    lookup_value_regex = r"\d+"
    policies = {
        "list": SignedIn(),
        "retrieve": SignedIn(),
        "create": Members(MemberRole.OWNER, MemberRole.OPERATOR),
    }

    def get_queryset(self):
        return selectors.code_formats(actor=self.actor)

    @extend_schema(
        summary="Declare an enterprise code format for a drug you supply",
        request=CodeFormatInput,
        responses={201: CodeFormatOutput, **problems(400, 409)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = self.parse(CodeFormatInput)
        code_format = services.code_format_declare(
            actor=self.actor, drug_id=data["drug"], prefix=data["prefix"], length=data["length"]
        )
        return self.respond(CodeFormatOutput, code_format, status=status.HTTP_201_CREATED)


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
        "affected": SignedIn(),  # the selector: staff and the drug's MAH all shipments, others their own
        "buyers": SignedIn(),  # the same scoping
        "create": RECALLING,
        "acknowledge": ACKNOWLEDGING,
    }
    suspended_may = frozenset({"acknowledge"})  # answering a recall is never business to stop

    def get_queryset(self):
        return selectors.recall_list(actor=self.actor)

    @extend_schema(
        summary="Issue a recall (admins, or the drug's marketing-authorisation holder)",
        description="Those lots (matched ignoring case, full-width characters and spaces) can no longer be "
        "shipped; every buyer that received them gets a `recall.issued` webhook.",
        request=RecallInput,
        responses={201: RecallOutput, **problems(400, 403)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = dict(self.parse(RecallInput))
        recall = services.recall_issue(actor=self.actor, drug_id=data.pop("drug"), **data)
        return self.respond(RecallOutput, recall, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Shipments affected by a recall (staff and the drug's MAH: all; others: their own)",
        responses={200: RecallAffectedOutput(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=PagePagination)
    def affected(self, request, pk=None):
        return self.page_of(
            selectors.recall_affected_lines(recall=self.get_object(), actor=self.actor), RecallAffectedOutput
        )

    @extend_schema(
        summary="Affected buyers and their acknowledgements: who has not answered yet",
        responses={200: RecallBuyerOutput(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=PagePagination)
    def buyers(self, request, pk=None):
        recall = self.get_object()
        return self.page_of(
            selectors.recall_buyers(recall=recall, actor=self.actor),
            RecallBuyerOutput,
            complete=lambda rows: selectors.recall_buyer_rows(recall=recall, rows=rows),
        )

    @extend_schema(
        summary="Acknowledge a recall (an affected buyer), with the quantity you still hold",
        request=RecallAcknowledgeInput,
        responses={201: RecallAcknowledgementOutput, **problems(409)},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def acknowledge(self, request, pk=None):
        data = self.parse(RecallAcknowledgeInput)
        acknowledgement = services.recall_acknowledge(recall=self.get_object(), actor=self.actor, **data)
        return self.respond(RecallAcknowledgementOutput, acknowledgement, status=status.HTTP_201_CREATED)
