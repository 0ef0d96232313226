"""Returns (退货, SPEC §5): `/returns/` — the buyer asks and ships back, the supplier decides and checks in."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework import status as http
from rest_framework.decorators import action

from accounts.choices import MemberRole
from api_docs.responses import problems
from orders import selectors
from orders.apis.orders import READING, RECEIVING
from orders.choices import Side
from orders.models import Return, ReturnEvent, ReturnLine
from orders.return_choices import ReturnReason, ReturnRejectionReason
from orders.return_selectors import return_for_party, return_list
from orders.serializers import code_list
from orders.services import returns as services
from pharmex.api.etag import IF_MATCH_PARAMETER
from pharmex.api.pagination import NewestFirstCursorPagination
from pharmex.api.permissions import Members
from pharmex.api.serializers import TRANSITION_FIELDS, ModelOutputSerializer, NoteInput, StrictInputSerializer
from pharmex.api.views import ApiViewSet
from pharmex.money import MAX_QUANTITY

SUPPLYING = Members(MemberRole.OWNER, MemberRole.OPERATOR)
MAX_LINES = settings.MAX_ORDER_LINES * 10


class ReturnLineInput(StrictInputSerializer):
    shipment_line_id = serializers.IntegerField(min_value=1, help_text="The received lot (shipment line).")
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    codes = code_list(max_length=MAX_QUANTITY, required=False, default=list, help_text="Codes of the units to return.")


class ReturnRequestInput(StrictInputSerializer):
    order_id = serializers.IntegerField(min_value=1)
    reason = serializers.ChoiceField(choices=ReturnReason.choices)
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    recall_id = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, default=None, help_text="For `recall`: the recall (optional)."
    )
    lines = ReturnLineInput(many=True, allow_empty=False, max_length=MAX_LINES)


class ApproveLineInput(StrictInputSerializer):
    return_line_id = serializers.IntegerField(min_value=1)
    approved_quantity = serializers.IntegerField(min_value=0, max_value=MAX_QUANTITY)


class ReturnApproveInput(StrictInputSerializer):
    lines = ApproveLineInput(
        many=True,
        required=False,
        allow_null=True,
        default=None,
        max_length=MAX_LINES,
        help_text="Leave out to approve everything asked for; else the quantity per line (lines not named: 0).",
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReturnRefuseInput(StrictInputSerializer):
    reason = serializers.CharField(max_length=1000)


class ShipBackLineInput(StrictInputSerializer):
    return_line_id = serializers.IntegerField(min_value=1)
    codes = code_list(max_length=MAX_QUANTITY, help_text="Codes of the units sent back.")


class ReturnShipBackInput(StrictInputSerializer):
    carrier = serializers.CharField(max_length=100)
    tracking_number = serializers.CharField(max_length=64)
    lines = ShipBackLineInput(
        many=True,
        required=False,
        default=list,
        max_length=MAX_LINES,
        help_text="Codes per line; a line not named sends the codes named in the request.",
    )


class ReturnReceiveLineInput(StrictInputSerializer):
    return_line_id = serializers.IntegerField(min_value=1)
    accepted_quantity = serializers.IntegerField(min_value=0, max_value=MAX_QUANTITY)
    rejected_quantity = serializers.IntegerField(min_value=0, max_value=MAX_QUANTITY)
    rejection_reason = serializers.ChoiceField(
        choices=ReturnRejectionReason.choices, required=False, allow_blank=True, default=""
    )
    rejected_codes = code_list(max_length=MAX_QUANTITY, required=False, default=list)


class ReturnReceiveInput(StrictInputSerializer):
    lines = ReturnReceiveLineInput(many=True, allow_empty=False, max_length=MAX_LINES)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReturnLineOutput(ModelOutputSerializer):
    lot_number = serializers.CharField(source="shipment_line.lot_number", read_only=True)

    class Meta:
        model = ReturnLine
        fields = [
            "id",
            "shipment_line",
            "order_line",
            "lot_number",
            "requested_quantity",
            "approved_quantity",
            "accepted_quantity",
            "rejected_quantity",
            "rejection_reason",
            "claimed_quantity",
            "codes",
            "shipped_codes",
            "gross",
            "tax",
        ]


class ReturnOutput(ModelOutputSerializer):
    order_number = serializers.CharField(source="order.number", read_only=True)
    lines = ReturnLineOutput(many=True, read_only=True)

    class Meta:
        model = Return
        fields = [
            "id",
            "number",
            "order",
            "order_number",
            "buyer",
            "supplier",
            "recall",
            "status",
            "reason",
            "note",
            "refusal_reason",
            "carrier",
            "tracking_number",
            "currency",
            "gross",
            "tax",
            "requested_by",
            "created_at",
            "decided_at",
            "shipped_at",
            "received_at",
            "credited_at",
            "closed_at",
            "lines",
        ]


class ReturnEventOutput(ModelOutputSerializer):
    class Meta:
        model = ReturnEvent
        fields = TRANSITION_FIELDS


STEP_PROBLEMS = problems(400, 403, 404, 409, 412)


@extend_schema_view(
    list=extend_schema(summary="List returns you asked for or received (staff: all), newest first"),
    retrieve=extend_schema(summary="Retrieve a return: reason, lines by lot, codes, decisions, the way back"),
)
@extend_schema(tags=["returns"])
class ReturnViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ReturnOutput
    pagination_class = NewestFirstCursorPagination
    party_fields = ("buyer", "supplier")
    lookup_value_regex = r"\d+"
    suspended_may = frozenset({"ship_back", "receive", "refuse", "cancel"})  # ends business under way
    policies = {
        "list": READING,
        "retrieve": READING,
        "events": READING,
        "create": RECEIVING,
        "cancel": RECEIVING,
        "ship_back": RECEIVING,
        "approve": SUPPLYING,
        "refuse": SUPPLYING,
        "receive": SUPPLYING,
    }

    def get_queryset(self):
        return return_list(actor=self.actor)

    def retrieve(self, request, *args, **kwargs):
        return self.respond(ReturnOutput, self.get_object(), etag=True)

    def _respond(self, ret: Return, status: int = http.HTTP_200_OK):
        return self.respond(ReturnOutput, self.get_queryset().get(pk=ret.pk), etag=True, status=status)

    def _return(self, side: str) -> Return:
        return self.if_match(return_for_party(actor=self.actor, return_id=self.kwargs["pk"], side=side))

    @extend_schema(
        summary="Ask to return received goods (buyer): lots, quantities, codes, a reason",
        description="Within RETURN_WINDOW_DAYS of receipt (recall returns: any time); never more than accepted "
        "minus what other returns hold of the lot.",
        request=ReturnRequestInput,
        responses={201: ReturnOutput, **problems(400, 403, 404, 409)},
    )
    def create(self, request, *args, **kwargs):
        data = self.parse(ReturnRequestInput)
        order = selectors.order_for_party(actor=self.actor, order_id=data.pop("order_id"), side=Side.BUYER)
        ret = services.return_request(order=order, actor=self.actor, **data)
        return self._respond(ret, status=http.HTTP_201_CREATED)

    @extend_schema(
        summary="The return's history: every step, who, when, note", responses={200: ReturnEventOutput(many=True)}
    )
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        ret = self.get_object()
        return self.respond(ReturnEventOutput, ret.events.order_by("id"), many=True)

    @extend_schema(
        summary="Approve a return (supplier): all asked for, or a quantity per line",
        request=ReturnApproveInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: ReturnOutput, **STEP_PROBLEMS},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        ret = self._return("supplier")
        return self._respond(services.return_approve(ret=ret, actor=self.actor, **self.parse(ReturnApproveInput)))

    @extend_schema(
        summary="Refuse a return (supplier), with a reason",
        request=ReturnRefuseInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: ReturnOutput, **STEP_PROBLEMS},
    )
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        ret = self._return("supplier")
        return self._respond(services.return_refuse(ret=ret, actor=self.actor, **self.parse(ReturnRefuseInput)))

    @extend_schema(
        summary="Withdraw a return request (buyer) before the supplier decides",
        request=NoteInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: ReturnOutput, **STEP_PROBLEMS},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        ret = self._return("buyer")
        return self._respond(services.return_cancel(ret=ret, actor=self.actor, **self.parse(NoteInput)))

    @extend_schema(
        summary="Send the approved goods back (buyer): carrier, tracking, codes",
        request=ReturnShipBackInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: ReturnOutput, **STEP_PROBLEMS},
    )
    @action(detail=True, methods=["post"], url_path="ship-back")
    def ship_back(self, request, pk=None):
        ret = self._return("buyer")
        data = self.parse(ReturnShipBackInput)
        codes = {line["return_line_id"]: line["codes"] for line in data["lines"]}
        ret = services.return_ship_back(
            ret=ret, actor=self.actor, carrier=data["carrier"], tracking_number=data["tracking_number"], codes=codes
        )
        return self._respond(ret)

    @extend_schema(
        summary="Check a return in (supplier): accepted and rejected per line; the credit note follows",
        request=ReturnReceiveInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: ReturnOutput, **STEP_PROBLEMS},
    )
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        ret = self._return("supplier")
        return self._respond(services.return_receive(ret=ret, actor=self.actor, **self.parse(ReturnReceiveInput)))
