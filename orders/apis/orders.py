from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action

from accounts.choices import MemberRole
from api_docs.responses import problems
from orders import selectors, services
from orders.choices import Side
from orders.compliance import LineRequest
from orders.filters import OrderFilter
from orders.models import Order
from orders.serializers import (
    OrderAmendInput,
    OrderConfirmInput,
    OrderEventOutput,
    OrderOutput,
    OrderPlaceInput,
    OrderProposeInput,
    ReceiveInput,
    ReceiveOutput,
    SecondLineDeclarationInput,
    SecondLineDeclarationOutput,
    ShipInput,
    ShipmentOutput,
)
from orders.services.customs import second_line_declaration_of, second_line_declare
from pharmex.api.etag import IF_MATCH_PARAMETER, IF_MATCH_REQUIRED_PARAMETER, with_etag
from pharmex.api.idempotency import idempotent
from pharmex.api.pagination import NewestFirstCursorPagination
from pharmex.api.permissions import Members, Regulator, Staff
from pharmex.api.serializers import NoteInput, RequiredNoteInput
from pharmex.api.views import ApiViewSet

# Owners and operators act on orders; every member, platform staff and regulators read them (the selector: parties
# only; a regulator its jurisdiction's).
ACTING = Members(MemberRole.OWNER, MemberRole.OPERATOR)
READING = Members(*MemberRole.values) | Staff() | Regulator()
# Receipt checks (入库验收) are quality staff's GSP duty as much as the operators'.
RECEIVING = Members(MemberRole.OWNER, MemberRole.OPERATOR, MemberRole.QUALITY)


def lines_from(data: dict) -> list[LineRequest]:
    return [LineRequest(offer_id=line["offer_id"], quantity=line["quantity"]) for line in data["lines"]]


@extend_schema_view(
    list=extend_schema(summary="List orders (as buyer or supplier; staff: all), newest first"),
    retrieve=extend_schema(summary="Retrieve an order with its lines"),
)
@extend_schema(tags=["orders"])
class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = OrderOutput
    pagination_class = NewestFirstCursorPagination
    filterset_class = OrderFilter
    party_fields = ("buyer", "supplier")
    lookup_value_regex = r"\d+"  # a non-integer id is a 404 from the router
    suspended_may = frozenset({"cancel", "receive"})  # ending business already under way
    policies = {
        "list": READING,
        "retrieve": READING,
        "events": READING,
        "create": ACTING,
        "confirm": ACTING,
        "amend": ACTING,
        "propose": ACTING,
        "accept_proposal": ACTING,
        "decline_proposal": ACTING,
        "reject": ACTING,
        "cancel": ACTING,
        "ship": ACTING,
        "close": ACTING,
        "receive": RECEIVING,
        "shipments": READING,
        "second_line_declaration": ACTING,
        "second_line_declaration_read": READING,
    }

    def get_queryset(self):
        return selectors.order_list(actor=self.actor)

    def retrieve(self, request, *args, **kwargs):
        return self.respond(OrderOutput, self.get_object(), etag=True)

    def _order_for(self, side: str, *, if_match_required: bool = False) -> Order:
        """The addressed order, if the caller is its `side` (404 / 403 otherwise), at the version If-Match names."""
        order = selectors.order_for_party(actor=self.actor, order_id=self.kwargs["pk"], side=side)
        return self.if_match(order, required=if_match_required)

    def _respond(self, order: Order):
        return self.respond(OrderOutput, self.get_queryset().get(pk=order.pk), etag=True)

    @extend_schema(
        summary="Place an order with one supplier",
        description="Every line passes the compliance gate (all failing reasons are reported at once, "
        "each with a code) and stock is reserved in the same transaction. Send an Idempotency-Key.",
        request=OrderPlaceInput,
        responses={201: OrderOutput, **problems(409)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = self.parse(OrderPlaceInput)
        order = services.order_place(actor=self.actor, lines=lines_from(data), note=data["note"])
        return self.respond(OrderOutput, order, status=status.HTTP_201_CREATED, etag=True)

    @extend_schema(
        summary="Amend a placed order (buyer): change quantities, remove lines, add lines of the same supplier",
        description="Send every line the order should have. The amended order passes the compliance gate again "
        "(every failing reason at once); only the difference in stock is taken or given back, atomically. Lines "
        "kept keep the price they were placed at. `If-Match` is required (428 without it, 412 when stale); send "
        "an Idempotency-Key to retry safely. The confirm deadline restarts from the amendment "
        "(`expires_at` = now + ORDER_CONFIRM_TIMEOUT). The order event `amend` and the `order.amended` webhook "
        "carry each changed line's quantity before and after. Once confirmed (or ended): 409.",
        request=OrderAmendInput,
        parameters=[IF_MATCH_REQUIRED_PARAMETER],
        responses={200: OrderOutput, **problems(409, 412, 428)},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def amend(self, request, pk=None):
        order = self._order_for(Side.BUYER, if_match_required=True)
        data = self.parse(OrderAmendInput)
        return self._respond(
            services.order_amend(order=order, actor=self.actor, lines=lines_from(data), note=data["note"])
        )

    @extend_schema(
        summary="Propose another quantity or a substitute offer for lines of a placed order (supplier)",
        description="Each named line gets a proposal: a `quantity` and/or an `offer_id` of yours, with a `reason`. "
        "Nothing changes until the buyer accepts (the order is amended to it) or declines; a new proposal replaces "
        "the open one, and confirming the order ends it. Announced as `order.proposal_made`.",
        request=OrderProposeInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: OrderOutput, **problems(409, 412)},
    )
    @action(detail=True, methods=["post"])
    def propose(self, request, pk=None):
        order = self._order_for(Side.SUPPLIER)
        data = self.parse(OrderProposeInput)
        proposals = [services.LineProposal(**line) for line in data["lines"]]
        return self._respond(
            services.order_propose(order=order, actor=self.actor, proposals=proposals, note=data["note"])
        )

    @extend_schema(
        summary="Accept the supplier's open proposal (buyer): the order is amended to it",
        description="An amendment like `amend/`: re-gated, stock moved by the difference, the confirm deadline "
        "restarted, announced as `order.amended`. `If-Match` is required (428 without it). 409 when there is no "
        "open proposal.",
        request=NoteInput,
        parameters=[IF_MATCH_REQUIRED_PARAMETER],
        responses={200: OrderOutput, **problems(409, 412, 428)},
    )
    @action(detail=True, methods=["post"], url_path="accept-proposal")
    @idempotent
    def accept_proposal(self, request, pk=None):
        order = self._order_for(Side.BUYER, if_match_required=True)
        return self._respond(
            services.order_answer_proposal(order=order, actor=self.actor, accept=True, **self.parse(NoteInput))
        )

    @extend_schema(
        summary="Decline the supplier's open proposal (buyer): the order stays as it is",
        request=NoteInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: OrderOutput, **problems(409, 412)},
    )
    @action(detail=True, methods=["post"], url_path="decline-proposal")
    def decline_proposal(self, request, pk=None):
        order = self._order_for(Side.BUYER)
        return self._respond(
            services.order_answer_proposal(order=order, actor=self.actor, accept=False, **self.parse(NoteInput))
        )

    @extend_schema(
        summary="Confirm a placed order (supplier), in full or line by line",
        description="Without `lines` every line is accepted in full. With `lines` (部分确认) each named line is "
        "accepted in full, in part (a lower `quantity`) or rejected (`quantity` 0), with a `reason` whenever less "
        "than ordered; lines not named are accepted in full. What is not accepted goes back to stock; the line's "
        "`quantity`, gross and tax become the accepted ones (`requested_quantity` keeps the order's) and the "
        "totals follow. Every line rejected rejects the order. The buyer is told which lines changed and why "
        "(the order event's `data.lines` and the webhook's `changed_lines`).",
        request=OrderConfirmInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: OrderOutput, **problems(409, 412)},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        order = self._order_for(Side.SUPPLIER)
        data = self.parse(OrderConfirmInput)
        decisions = [services.LineDecision(**line) for line in data["lines"]]
        return self._respond(
            services.order_confirm(order=order, actor=self.actor, note=data["note"], lines=decisions or None)
        )

    @extend_schema(
        summary="Reject a placed order with a reason (supplier)",
        request=RequiredNoteInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: OrderOutput, **problems(409, 412)},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        order = self._order_for(Side.SUPPLIER)
        return self._respond(services.order_reject(order=order, actor=self.actor, **self.parse(RequiredNoteInput)))

    @extend_schema(
        summary="Cancel a placed order (buyer)",
        request=NoteInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: OrderOutput, **problems(409, 412)},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        order = self._order_for(Side.BUYER)
        return self._respond(services.order_cancel(order=order, actor=self.actor, **self.parse(NoteInput)))

    @extend_schema(
        summary="Ship some or all of a confirmed order (supplier): one shipment",
        description="Lots, expiry dates (at least the buyer's minimum remaining shelf life), quantities, invoices "
        "(numbers and a total equal to the shipped goods' value), traceability codes of any kind (cases with "
        "their units) and, for cold-chain drugs, the logger's min/max. What is left ships later (the order is "
        "`partially_shipped`) or is closed with `close_rest`. A code the supplier does not hold, already in "
        "transit, or twice in the shipment refuses the shipment and is flagged as suspected diversion.",
        request=ShipInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: OrderOutput, **problems(409, 412)},
    )
    @action(detail=True, methods=["post"])
    def ship(self, request, pk=None):
        order = self._order_for(Side.SUPPLIER)
        return self._respond(services.order_ship(order=order, actor=self.actor, data=self.parse(ShipInput)))

    @extend_schema(
        summary="Close what a partially shipped order has left to ship (supplier): back to stock",
        request=NoteInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: OrderOutput, **problems(409, 412)},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        order = self._order_for(Side.SUPPLIER)
        return self._respond(services.order_close_rest(order=order, actor=self.actor, **self.parse(NoteInput)))

    @extend_schema(
        summary="The order's shipments, with lines, lots, code counts and receipt results",
        description="Each line gives its `code_count`; a shipment's detail lists the codes.",
        responses={200: ShipmentOutput(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=NewestFirstCursorPagination)
    def shipments(self, request, pk=None):
        order = self.get_object()
        return self.page_of(selectors.shipment_list(actor=self.actor).filter(order=order), ShipmentOutput)

    @extend_schema(
        summary="Receive the order's shipment in transit (buyer): accepted and rejected per order line",
        description="For an order with one shipment in transit (v1); with several, receive each at "
        "`POST /shipments/{id}/receive/`. Accepted + rejected must equal the shipped quantity of each line, with "
        "a reason for any rejection. Send the traceability codes you scanned to get the difference back.",
        request=ReceiveInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: ReceiveOutput, **problems(409, 412)},
    )
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        order = self._order_for(Side.BUYER)
        data = self.parse(ReceiveInput)
        order, difference = services.order_receive(
            order=order,
            actor=self.actor,
            lines=data["lines"],
            scanned_codes=data["scanned_codes"],
            note=data["note"],
        )
        order = self.get_queryset().get(pk=order.pk)
        return with_etag(self.respond(ReceiveOutput, {"order": order, "scan_difference": difference}), order)

    @extend_schema(
        summary="The order's history: every transition with actor, time and note",
        responses={200: OrderEventOutput(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=NewestFirstCursorPagination)
    def events(self, request, pk=None):
        return self.page_of(selectors.order_events(order=self.get_object()), OrderEventOutput)

    @extend_schema(
        summary="Record the second-line declaration of zero-tariff goods for the mainland (supplier)",
        description="Zero-tariff goods sold to a buyer outside Hainan (allowed with the offer's 30% value-added "
        "exemption or when the supplier clears the second line) ship only once their import declaration (二线申报) "
        "number and the duty paid are recorded; until then shipping answers 409 `second_line_declaration_missing`. "
        "Recorded once per order; 409 `second-line-not-needed` for an order without such goods.",
        request=SecondLineDeclarationInput,
        responses={201: SecondLineDeclarationOutput, **problems(400, 409)},
    )
    @action(detail=True, methods=["post"], url_path="second-line-declaration")
    def second_line_declaration(self, request, pk=None):
        order = selectors.order_for_party(actor=self.actor, order_id=self.kwargs["pk"], side=Side.SUPPLIER)
        declaration = second_line_declare(order=order, actor=self.actor, **self.parse(SecondLineDeclarationInput))
        return self.respond(SecondLineDeclarationOutput, declaration, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The order's second-line declaration (parties and staff)",
        responses={200: SecondLineDeclarationOutput, **problems(404)},
    )
    @second_line_declaration.mapping.get
    def second_line_declaration_read(self, request, pk=None):
        return self.respond(SecondLineDeclarationOutput, second_line_declaration_of(order=self.get_object()))
