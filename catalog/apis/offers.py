from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action

from accounts.choices import MemberRole
from api_docs.responses import problems
from catalog import selectors, services
from catalog.customs import offer_customs_change, offer_customs_history
from catalog.filters import OfferFilter, offer_list_own
from catalog.models import CustomsStatusChange, Offer, OfferStatusChange
from catalog.serializers import (
    CustomsStatusChangeInput,
    OfferCreateInput,
    OfferOutput,
    OfferPriceChangeOutput,
    OfferUpdateInput,
    VatElectionInput,
    VatElectionOutput,
)
from pharmex.api.etag import IF_MATCH_PARAMETER
from pharmex.api.idempotency import idempotent
from pharmex.api.pagination import NewestFirstCursorPagination, PagePagination
from pharmex.api.permissions import Members, SignedIn, Staff
from pharmex.api.serializers import RequiredReasonInput, transition_record_output
from pharmex.api.views import ApiViewSet
from pharmex.choices import StaffRole

OfferStatusChangeOutput = transition_record_output(OfferStatusChange)
CustomsStatusChangeOutput = transition_record_output(CustomsStatusChange)
SELLERS = Members(MemberRole.OWNER, MemberRole.OPERATOR)
ADMIN = Staff(StaffRole.ADMIN)
OWN_PARAMETER = OpenApiParameter(
    "own",
    OpenApiTypes.BOOL,
    description="true: your organisation's offers in every status (admins: all offers); default: the market.",
)


@extend_schema_view(
    list=extend_schema(
        summary="List offers: the market (buyers) or your own (`?own=true`)", parameters=[OWN_PARAMETER]
    ),
    retrieve=extend_schema(summary="Retrieve an offer (with its ETag)"),
    destroy=extend_schema(
        summary="Delete your offer",
        description="Only an offer nobody ordered can be deleted. An offer with order lines stays for the record "
        "and answers 409 `offer-has-orders` (pause it instead); a suspended one answers 409 `offer-suspended`.",
        parameters=[IF_MATCH_PARAMETER],
        responses={204: None, **problems(409, 412)},
    ),
)
@extend_schema(tags=["offers"])
class OfferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ApiViewSet):
    serializer_class = OfferOutput
    filterset_class = OfferFilter
    lookup_value_converter = "int"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    policies = {
        "list": SignedIn(),
        "retrieve": SignedIn(),
        "price_history": SignedIn(),
        "history": SignedIn(),  # the selector: the offer's supplier and staff only
        "create": SELLERS,
        "partial_update": SELLERS,
        "destroy": SELLERS,
        "suspend": ADMIN,
        "reinstate": ADMIN,
        "simplified_vat": SELLERS,
        "simplified_vat_end": SELLERS,
        "customs_status": SELLERS,
        "customs_history": SignedIn(),  # the selector: the offer's supplier and staff only
    }
    query_parameters = {"list": ["own"]}
    replica_actions = frozenset({"list"})  # the market, and a supplier's own offers (read-your-writes)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, maybe no tables
            return Offer.objects.none()
        if self.action == "list":
            return selectors.offer_list(actor=self.actor, own=offer_list_own(self.request.query_params)).order_by("id")
        if self.action in ("partial_update", "destroy", "simplified_vat", "simplified_vat_end", "customs_status"):
            return selectors.offer_list(actor=self.actor, own=True)
        return selectors.offer_visible(actor=self.actor)

    def retrieve(self, request, *args, **kwargs):
        return self.respond(OfferOutput, self.get_object(), etag=True)

    @extend_schema(
        summary="List a drug (supplier owner or operator)",
        description="Refused with `network-sale-banned` for vaccines, blood products and narcotic, psychotropic, "
        "toxic, radioactive and precursor drugs; biologic and cold-chain drugs need the matching licence scope.",
        request=OfferCreateInput,
        responses={201: OfferOutput, **problems(400, 403, 409)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        offer = services.offer_create(actor=self.actor, data=self.parse(OfferCreateInput))
        return self.respond(OfferOutput, offer, status=status.HTTP_201_CREATED, etag=True)

    @extend_schema(
        summary="Change your offer (send If-Match); price changes go to its history",
        request=OfferUpdateInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: OfferOutput, **problems(400, 409, 412)},
    )
    def partial_update(self, request, *args, **kwargs):
        offer = self.if_match(self.get_object())
        offer = services.offer_update(offer=offer, actor=self.actor, data=self.parse(OfferUpdateInput, partial=True))
        return self.respond(OfferOutput, offer, etag=True)

    def destroy(self, request, *args, **kwargs):
        services.offer_delete(offer=self.if_match(self.get_object()), actor=self.actor)
        return self.no_content()

    @extend_schema(
        summary="Price history of an offer, newest first", responses={200: OfferPriceChangeOutput(many=True)}
    )
    @action(detail=True, methods=["get"], url_path="price-history", pagination_class=PagePagination)
    def price_history(self, request, pk=None):
        return self.page_of(
            selectors.offer_price_history(actor=self.actor, offer=self.get_object()), OfferPriceChangeOutput
        )

    @extend_schema(
        summary="Status history of your offer: pauses, activations, suspensions (supplier and staff)",
        responses={200: OfferStatusChangeOutput(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=NewestFirstCursorPagination)
    def history(self, request, pk=None):
        return self.page_of(selectors.offer_history(actor=self.actor, offer=self.get_object()), OfferStatusChangeOutput)

    @extend_schema(
        summary="Suspend an offer (admin)", request=RequiredReasonInput, responses={200: OfferOutput, **problems(409)}
    )
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        offer = services.offer_suspend(offer=self.get_object(), actor=self.actor, **self.parse(RequiredReasonInput))
        return self.respond(OfferOutput, offer)

    @extend_schema(
        summary="Lift an offer's suspension (admin); it returns paused",
        request=RequiredReasonInput,
        responses={200: OfferOutput, **problems(409)},
    )
    @action(detail=True, methods=["post"])
    def reinstate(self, request, pk=None):
        offer = services.offer_reinstate(offer=self.get_object(), actor=self.actor, **self.parse(RequiredReasonInput))
        return self.respond(OfferOutput, offer)

    @extend_schema(
        summary="Elect 3% simplified VAT for your offer's drug",
        description="For drugs eligible by `simplified_vat_class` (biological, anticancer 财税〔2018〕47号, "
        "rare-disease 财税〔2019〕24号). The offer's `vat_rate` becomes 0.03 and stays so: the election is locked "
        "for 36 months from `started_on` (`locked_until`).",
        request=VatElectionInput,
        responses={201: VatElectionOutput, **problems(400, 409)},
    )
    @action(detail=True, methods=["post"], url_path="simplified-vat")
    def simplified_vat(self, request, pk=None):
        data = self.parse(VatElectionInput)
        election = services.vat_election_start(offer=self.get_object(), actor=self.actor, **data)
        return self.respond(VatElectionOutput, election, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="End your simplified-VAT election once its 36 months are over",
        description="Before `locked_until` this answers 409 `vat-election-locked`. The offer goes back to its "
        "drug's usual rate (13%, or 9% for decoction pieces).",
        request=None,
        responses={200: OfferOutput, **problems(404, 409)},
    )
    @simplified_vat.mapping.delete
    def simplified_vat_end(self, request, pk=None):
        offer = services.vat_election_end(offer=self.get_object(), actor=self.actor)
        return self.respond(OfferOutput, self.get_queryset().get(pk=offer.pk), etag=True)

    @extend_schema(
        summary="Record your offer's goods moving forward at Hainan customs, with the declaration number",
        description="bonded → zero_tariff or duty_paid (entered from the bonded warehouse); zero_tariff → duty_paid. "
        "Any other step answers 409 `invalid-transition`: the status never moves back. Each step is kept in "
        "/offers/{id}/customs-history/.",
        request=CustomsStatusChangeInput,
        responses={200: OfferOutput, **problems(400, 409)},
    )
    @action(detail=True, methods=["post"], url_path="customs-status")
    def customs_status(self, request, pk=None):
        offer = offer_customs_change(offer=self.get_object(), actor=self.actor, **self.parse(CustomsStatusChangeInput))
        return self.respond(OfferOutput, self.get_queryset().get(pk=offer.pk), etag=True)

    @extend_schema(
        summary="Customs status history of your offer: listed as, then each declaration (supplier and staff)",
        responses={200: CustomsStatusChangeOutput(many=True)},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="customs-history",
        pagination_class=NewestFirstCursorPagination,
    )
    def customs_history(self, request, pk=None):
        history = offer_customs_history(actor=self.actor, offer=self.get_object())
        return self.page_of(history, CustomsStatusChangeOutput)
