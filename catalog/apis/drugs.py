from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action

from accounts.choices import MemberRole
from api_docs.responses import problems
from catalog import selectors, services
from catalog.apis.pagination import DrugSearchPagination
from catalog.filters import DrugFilter, OfferFilter
from catalog.models import Drug, DrugStatusChange
from catalog.serializers import (
    CeilingPriceInput,
    CeilingPriceOutput,
    DrugOutput,
    DrugProposeInput,
    DrugUpdateInput,
    MarketOfferOutput,
)
from pharmex.api.etag import IF_MATCH_PARAMETER
from pharmex.api.idempotency import idempotent
from pharmex.api.pagination import NewestFirstCursorPagination, PagePagination
from pharmex.api.permissions import Members, SignedIn, Staff
from pharmex.api.serializers import NoteInput, RequiredNoteInput, transition_record_output
from pharmex.api.views import ApiViewSet
from pharmex.choices import StaffRole

DrugStatusChangeOutput = transition_record_output(DrugStatusChange)
ADMIN = Staff(StaffRole.ADMIN)

PROVINCE_PARAMETER = OpenApiParameter(
    "province", OpenApiTypes.STR, description="Only offers that ship to this GB/T 2260 province code."
)
PROPOSE_EXAMPLE = OpenApiExample(
    "Amoxicillin capsules",
    value={
        "approval_number": "国药准字H20003263",
        "generic_name": "阿莫西林胶囊",
        "brand_name": "阿莫仙",
        "dosage_form": "capsule",
        "specification": "0.25g",
        "package": "24粒/盒",
        "sale_unit": "盒",
        "min_unit": "粒",
        "units_per_pack": 24,
        "mah_name": "珠海联邦制药股份有限公司",
        "manufacturer_name": "珠海联邦制药股份有限公司",
        "drug_type": "chemical",
        "category": "rx",
        "storage": "cool",
        "atc_code": "J01CA04",
    },
    request_only=True,
)


@extend_schema_view(
    list=extend_schema(
        summary="List, search and filter drugs",
        description="`?search=` ranks exact code hits first (approval number, 本位码, GTIN, NRDL code), then "
        "generic/brand name and pinyin-initial prefixes (`amxl` → 阿莫西林), then substring matches by similarity. "
        "When nothing matches exactly, fuzzy (pg_trgm) matches are returned instead, so a typo still finds the "
        "drug. 1-2-character Chinese queries work. Search results count exactly up to 1,000 matches; past that "
        "`count` is null and `count_capped` true (API guide, pagination).",
    ),
    retrieve=extend_schema(summary="Retrieve a drug"),
)
@extend_schema(tags=["drugs"])
class DrugViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = DrugOutput
    filterset_class = DrugFilter
    pagination_class = DrugSearchPagination
    lookup_value_converter = "int"  # a non-integer id is a 404 from the router, never a 500 from the database
    http_method_names = ["get", "post", "patch", "head", "options"]
    policies = {
        "list": SignedIn(),
        "retrieve": SignedIn(),
        "offers": SignedIn(),
        "history": SignedIn(),
        "create": Members(MemberRole.OWNER, MemberRole.OPERATOR) | ADMIN,
        "partial_update": ADMIN,
        "approve": ADMIN,
        "withdraw": ADMIN,
        "ceiling_prices": SignedIn(),
        "ceiling_price_set": ADMIN,
    }
    query_parameters = {"offers": list(OfferFilter.base_filters)}
    replica_actions = frozenset({"list", "offers"})  # search and the market view

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request, maybe no tables
            return Drug.objects.none()
        return selectors.with_ceilings(selectors.drug_list(actor=self.actor), path="")

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is not None and self.action == "list":  # a search page is fetched by id: its ceilings come after
            selectors.load_ceilings(page)
        return page

    def retrieve(self, request, *args, **kwargs):
        return self.respond(DrugOutput, self.get_object(), etag=True)

    @extend_schema(
        summary="Propose a drug (suppliers; it waits for review) — admins' drugs are active at once",
        request=DrugProposeInput,
        examples=[PROPOSE_EXAMPLE],
        responses={201: DrugOutput, **problems(400, 409)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        drug = services.drug_propose(actor=self.actor, data=self.parse(DrugProposeInput))
        return self.respond(DrugOutput, drug, status=status.HTTP_201_CREATED, etag=True)

    @extend_schema(
        summary="Correct a drug's master data (admin)",
        description="A drug reclassified into a banned class, or whose registration (`registration_valid_until`) "
        "has passed, leaves the market in the same transaction: its active offers are paused and its open orders "
        "held for an admin's decision. `ceiling_price` with `ceiling_effective_from` starts a new ceiling period.",
        request=DrugUpdateInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: DrugOutput, **problems(400, 409, 412)},
    )
    def partial_update(self, request, *args, **kwargs):
        drug = self.if_match(self.get_object())
        drug = services.drug_update(drug=drug, actor=self.actor, data=self.parse(DrugUpdateInput, partial=True))
        return self.respond(DrugOutput, drug, etag=True)

    @extend_schema(summary="Approve a drug (admin)", request=NoteInput, responses={200: DrugOutput, **problems(409)})
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        drug = services.drug_approve(drug=self.get_object(), actor=self.actor, **self.parse(NoteInput))
        return self.respond(DrugOutput, drug)

    @extend_schema(
        summary="Withdraw a drug (admin); its offers leave the market",
        request=RequiredNoteInput,
        responses={200: DrugOutput, **problems(409)},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        drug = services.drug_withdraw(drug=self.get_object(), actor=self.actor, **self.parse(RequiredNoteInput))
        return self.respond(DrugOutput, drug)

    @extend_schema(
        summary="The drug's ceiling prices, each with its period, newest first",
        responses={200: CeilingPriceOutput(many=True)},
    )
    # The view's paginator, as before detail actions declared theirs: its page envelope (count_capped) is public.
    @action(detail=True, methods=["get"], url_path="ceiling-prices", pagination_class=DrugSearchPagination)
    def ceiling_prices(self, request, pk=None):
        return self.page_of(selectors.ceiling_history(drug=self.get_object()), CeilingPriceOutput)

    @extend_schema(
        summary="Set the drug's ceiling price from a day on (admin)",
        description="The period in force until then ends the day before and stays in the history. A period in the "
        "future does not apply before it starts; the compliance gate uses the one in force on the order date.",
        request=CeilingPriceInput,
        responses={201: CeilingPriceOutput, **problems(400, 409)},
    )
    @ceiling_prices.mapping.post
    def ceiling_price_set(self, request, pk=None):
        period = services.ceiling_set(drug=self.get_object(), actor=self.actor, **self.parse(CeilingPriceInput))
        return self.respond(CeilingPriceOutput, period, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Market view: the drug's offers buyers can order, cheapest first",
        description="Each offer's `marks` say what the caller must still do before ordering it, e.g. its quality "
        "staff's first-business review of the supplier or the drug (`first_business_review_required`).",
        parameters=[PROVINCE_PARAMETER],
        responses={200: MarketOfferOutput(many=True)},
    )
    @action(
        detail=True,
        methods=["get"],
        serializer_class=MarketOfferOutput,
        pagination_class=PagePagination,
    )
    def offers(self, request, pk=None):
        offers = selectors.offer_market_for_drug(actor=self.actor, drug_id=self.get_object().pk)
        page = self.paginate_queryset(self.filtered(OfferFilter, offers).order_by("unit_price", "id"))
        marks = selectors.market_marks(actor=self.actor, offers=page)
        prices = selectors.market_prices(actor=self.actor, offers=page)
        context = {"marks": marks, "prices": prices}
        return self.get_paginated_response(MarketOfferOutput(page, many=True, context=context).data)

    @extend_schema(
        summary="The drug's review history: approvals and withdrawals with reviewer, time and note",
        responses={200: DrugStatusChangeOutput(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=NewestFirstCursorPagination)
    def history(self, request, pk=None):
        return self.page_of(selectors.drug_history(drug=self.get_object()), DrugStatusChangeOutput)
