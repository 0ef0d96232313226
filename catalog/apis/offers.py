from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from accounts.actor import actor_from_request
from accounts.choices import MemberRole
from accounts.permissions import IsPlatformAdmin, member_with_role
from api_docs.responses import problems
from catalog import selectors, services
from catalog.filters import OfferFilter, offer_list_own
from catalog.models import Offer
from catalog.serializers import (
    OfferCreateInput,
    OfferOutput,
    OfferPriceChangeOutput,
    OfferUpdateInput,
)
from pharmex.api.etag import IF_MATCH_PARAMETER, check_if_match, with_etag
from pharmex.api.idempotency import idempotent
from pharmex.api.serializers import RequiredReasonInput as ReasonInput

SELLERS = (MemberRole.OWNER, MemberRole.OPERATOR)
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
        summary="Delete your offer", parameters=[IF_MATCH_PARAMETER], responses={204: None, **problems(409, 412)}
    ),
)
@extend_schema(tags=["offers"])
class OfferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    serializer_class = OfferOutput
    filterset_class = OfferFilter
    lookup_value_converter = "int"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, maybe no tables
            return Offer.objects.none()
        actor = actor_from_request(self.request)
        if self.action == "list":
            own = offer_list_own(self.request.query_params)
            return selectors.offer_list(actor=actor, own=own).order_by("id")
        if self.action in ("partial_update", "destroy"):
            return selectors.offer_list(actor=actor, own=True)
        return selectors.offer_visible(actor=actor)

    def get_permissions(self):
        if self.action in ("suspend", "reinstate"):
            return [IsAuthenticated(), IsPlatformAdmin()]
        if self.action in ("create", "partial_update", "destroy"):
            return [IsAuthenticated(), member_with_role(*SELLERS)()]
        return [IsAuthenticated()]

    def retrieve(self, request, *args, **kwargs):
        offer = self.get_object()
        return with_etag(Response(OfferOutput(offer).data), offer)

    @extend_schema(
        summary="List a drug (supplier owner or operator)",
        description="Refused with `network-sale-banned` for vaccines, blood products and narcotic, psychotropic, "
        "toxic, radioactive and precursor drugs; biologic and cold-chain drugs need the matching licence scope.",
        request=OfferCreateInput,
        responses={201: OfferOutput, **problems(400, 403, 409)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = OfferCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        actor = actor_from_request(request)
        drug = selectors.drug_list(actor=actor).filter(pk=values.pop("drug")).first()
        if drug is None:  # a field of the body, not the addressed resource: 400 on `drug`, as orders do
            raise ValidationError({"drug": [ErrorDetail(_("No such drug."), code="does_not_exist")]})
        offer = services.offer_create(actor=actor, drug=drug, data=values)
        return with_etag(Response(OfferOutput(offer).data, status=status.HTTP_201_CREATED), offer)

    @extend_schema(
        summary="Change your offer (send If-Match); price changes go to its history",
        request=OfferUpdateInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: OfferOutput, **problems(400, 409, 412)},
    )
    def partial_update(self, request, *args, **kwargs):
        offer = self.get_object()
        check_if_match(request, offer)
        data = OfferUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        offer = services.offer_update(offer=offer, actor=actor_from_request(request), data=data.validated_data)
        return with_etag(Response(OfferOutput(offer).data), offer)

    def destroy(self, request, *args, **kwargs):
        offer = self.get_object()
        check_if_match(request, offer)
        services.offer_delete(offer=offer, actor=actor_from_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Price history of an offer, newest first", responses={200: OfferPriceChangeOutput(many=True)}
    )
    @action(detail=True, methods=["get"], url_path="price-history", filterset_class=None)
    def price_history(self, request, pk=None):
        offer = self.get_object()
        page = self.paginate_queryset(offer.price_changes.order_by("-changed_at", "-id"))
        return self.get_paginated_response(OfferPriceChangeOutput(page, many=True).data)

    @extend_schema(
        summary="Suspend an offer (admin)", request=ReasonInput, responses={200: OfferOutput, **problems(409)}
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def suspend(self, request, pk=None):
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        offer = services.offer_suspend(
            offer=self.get_object(), actor=actor_from_request(request), reason=data.validated_data["reason"]
        )
        return Response(OfferOutput(offer).data)

    @extend_schema(
        summary="Lift an offer's suspension (admin); it returns paused",
        request=ReasonInput,
        responses={200: OfferOutput, **problems(409)},
    )
    @action(detail=True, methods=["post"], filterset_class=None)
    def reinstate(self, request, pk=None):
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        offer = services.offer_reinstate(
            offer=self.get_object(), actor=actor_from_request(request), reason=data.validated_data["reason"]
        )
        return Response(OfferOutput(offer).data)
