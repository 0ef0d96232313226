"""The procurement API (SPEC §5a): thin views over procurement.services and procurement.selectors."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser

from accounts.choices import MemberRole
from api_docs.responses import problems
from orders import selectors as order_selectors
from orders.serializers import OrderOutput
from pharmex.api.idempotency import idempotent
from pharmex.api.pagination import NewestFirstCursorPagination, PagePagination
from pharmex.api.permissions import Members, SignedIn, Staff
from pharmex.api.renderers import SPREADSHEET_RENDERERS
from pharmex.api.serializers import NoteInput, transition_record_output
from pharmex.api.uploads import UploadViewMixin
from pharmex.api.views import ApiViewSet
from pharmex.choices import StaffRole
from pharmex.exports import CONTENT_TYPES, export_response
from procurement import selectors, services
from procurement.models import (
    ContractPrice,
    DeliveryDesignation,
    DeliveryDesignationChange,
    ProcurementContract,
    ProcurementPlan,
    Quote,
    QuoteChange,
    QuoteRequest,
)
from procurement.serializers import (
    ContractCreateInput,
    ContractOutput,
    ContractPriceCreateInput,
    ContractPriceOutput,
    DesignationCreateInput,
    DesignationOutput,
    DesignationRevokeInput,
    EndInput,
    PlanLineOutput,
    PlanOutput,
    PlanPlaceInput,
    PlanPlaceOutput,
    PlanSummaryOutput,
    PlanUploadInput,
    ProgressOutput,
    ProgressReportQuery,
    QuoteAnswerInput,
    QuoteOutput,
    QuoteRequestCreateInput,
    QuoteRequestOutput,
    ResultUploadInput,
    ResultUploadOutput,
)

MANAGERS = Members(MemberRole.OWNER, MemberRole.OPERATOR)
DeliveryDesignationChangeOutput = transition_record_output(DeliveryDesignationChange)
QuoteChangeOutput = transition_record_output(QuoteChange)


@extend_schema_view(
    list=extend_schema(summary="List the delivery designations (配送企业) you made or received"),
    retrieve=extend_schema(summary="Retrieve a delivery designation"),
)
@extend_schema(tags=["procurement"])
class DesignationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = DesignationOutput
    lookup_value_converter = "int"
    http_method_names = ["get", "post", "head", "options"]
    policies = {
        "list": SignedIn(),
        "retrieve": SignedIn(),
        "history": SignedIn(),
        "create": MANAGERS,
        "accept": MANAGERS,
        "decline": MANAGERS,
        "revoke": MANAGERS,
    }
    suspended_may = frozenset({"revoke", "decline"})  # ending a designation is always allowed

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return DeliveryDesignation.objects.none()
        return selectors.designation_list(actor=self.actor)

    def _out(self, designation, **kwargs):
        return self.respond(DesignationOutput, self.get_queryset().get(pk=designation.pk), **kwargs)

    @extend_schema(
        summary="Designate a distributor as delivery enterprise for a drug you hold (MAH), to named public "
        "institutions or regions, for a period; it counts once the distributor accepts",
        request=DesignationCreateInput,
        responses={201: DesignationOutput, **problems(400)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        designation = services.designation_create(actor=self.actor, **self.parse(DesignationCreateInput))
        return self._out(designation, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Accept a designation (the distributor)",
        request=NoteInput,
        responses={200: DesignationOutput, **problems(403, 409)},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._out(
            services.designation_accept(actor=self.actor, designation=self.get_object(), **self.parse(NoteInput))
        )

    @extend_schema(
        summary="Decline a designation (the distributor)",
        request=NoteInput,
        responses={200: DesignationOutput, **problems(403, 409)},
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        return self._out(
            services.designation_decline(actor=self.actor, designation=self.get_object(), **self.parse(NoteInput))
        )

    @extend_schema(
        summary="Revoke a designation with an end date (the manufacturer/MAH)",
        request=DesignationRevokeInput,
        responses={200: DesignationOutput, **problems(400, 403, 409)},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        designation = services.designation_revoke(
            actor=self.actor, designation=self.get_object(), **self.parse(DesignationRevokeInput)
        )
        return self._out(designation)

    @extend_schema(
        summary="The designation's history: proposal answers and revocation with who, when and note",
        responses={200: DeliveryDesignationChangeOutput(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=NewestFirstCursorPagination)
    def history(self, request, pk=None):
        return self.page_of(self.get_object().status_changes.order_by("-id"), DeliveryDesignationChangeOutput)


@extend_schema_view(
    list=extend_schema(summary="List the negotiated prices (协议价) you set or were given"),
    retrieve=extend_schema(summary="Retrieve a negotiated price"),
)
@extend_schema(tags=["procurement"])
class ContractPriceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ContractPriceOutput
    lookup_value_converter = "int"
    http_method_names = ["get", "post", "head", "options"]
    policies = {"list": SignedIn(), "retrieve": SignedIn(), "create": MANAGERS, "end": MANAGERS}
    suspended_may = frozenset({"end"})

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ContractPrice.objects.none()
        return selectors.contract_price_list(actor=self.actor)

    @extend_schema(
        summary="Set a negotiated price for one buyer and drug over a period (the supplier); the gate applies it "
        "to that buyer's orders of your offers of the drug when lower than the offer's price",
        request=ContractPriceCreateInput,
        responses={201: ContractPriceOutput, **problems(400)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        price = services.contract_price_create(actor=self.actor, **self.parse(ContractPriceCreateInput))
        return self.respond(ContractPriceOutput, price, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="End a negotiated price early (the supplier)",
        request=EndInput,
        responses={200: ContractPriceOutput, **problems(400, 403)},
    )
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        price = services.contract_price_end(actor=self.actor, price=self.get_object(), **self.parse(EndInput))
        return self.respond(ContractPriceOutput, price)


@extend_schema_view(
    list=extend_schema(summary="List volume-based procurement contracts (集采) you won or have a volume in"),
    retrieve=extend_schema(summary="Retrieve a volume-based procurement contract"),
)
@extend_schema(tags=["procurement"])
class ContractViewSet(UploadViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Volume-based procurement contracts (集采): loaded by admins one by one or from a result file; the winner and
    the institutions with a volume read them and their progress."""

    serializer_class = ContractOutput
    lookup_value_converter = "int"
    http_method_names = ["get", "post", "head", "options"]
    policies = {
        "list": SignedIn(),
        "retrieve": SignedIn(),
        "progress": SignedIn(),
        "progress_report": SignedIn(),
        "create": Staff(StaffRole.ADMIN),
        "upload": Staff(StaffRole.ADMIN),
    }
    query_parameters = {"progress_report": ["file_format", "contract"]}
    upload_limits = {"upload": "CATALOG_IMPORT_MAX_BYTES"}  # larger uploads: 413 before they are read

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ProcurementContract.objects.none()
        return selectors.contract_list(actor=self.actor)

    @extend_schema(
        summary="Load a procurement result (admins): programme, drug, winner, agreed price, period and each public "
        "institution's agreed annual volume",
        request=ContractCreateInput,
        responses={201: ContractOutput, **problems(400)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        contract = services.contract_create(actor=self.actor, **self.parse(ContractCreateInput))
        return self.respond(ContractOutput, contract, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Each institution's purchases of the drug in the period against its agreed volume (an institution "
        "sees its own row)",
        responses={200: ProgressOutput(many=True)},
    )
    @action(detail=True, methods=["get"], pagination_class=PagePagination)
    def progress(self, request, pk=None):
        contract = self.get_object()
        return self.page_of(
            selectors.contract_volumes(actor=self.actor, contract=contract),
            ProgressOutput,
            complete=lambda volumes: selectors.volumes_progress(contract=contract, volumes=volumes),
        )

    @extend_schema(
        summary="Export the agreed-volume progress of every contract you see (CSV or XLSX): one row per contract "
        "and institution, ordered and received against the agreed volume",
        description="The same figures as `/procurement-contracts/{id}/progress/`: an institution sees its own rows, "
        "the winner its contracts' rows, admins every row.",
        parameters=[
            OpenApiParameter("file_format", str, enum=["csv", "xlsx"], default="csv", description="`csv` or `xlsx`."),
            OpenApiParameter("contract", {"type": "integer", "minimum": 1}, description="One contract only."),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.BINARY, description="One row per contract and institution."
            ),
            (200, CONTENT_TYPES["xlsx"]): OpenApiResponse(OpenApiTypes.BINARY),
            **problems(400),
        },
    )
    @action(detail=False, methods=["get"], url_path="progress-report", renderer_classes=SPREADSHEET_RENDERERS)
    def progress_report(self, request):
        query = self.parse_query(ProgressReportQuery)
        return export_response(
            file_format=query["file_format"],
            header=selectors.PROGRESS_REPORT_HEADER,
            rows=selectors.progress_report_rows(actor=self.actor, contract_id=query.get("contract")),
            filename="procurement-progress",
            sheet_name=str(_("progress")),
        )

    @extend_schema(
        summary="Upload a 集采 result file (admins, CSV or XLSX, one row per institution): every contract and agreed "
        "volume it gives, or nothing",
        description="Validated whole: every problem of every row is listed (`rows[N].column`, N the spreadsheet row) "
        "and nothing is loaded. Re-uploading a result updates the agreed volumes of its contracts (same programme, "
        "drug, period, winner, price and settling fund); another winner, price or fund for a loaded contract is "
        "`contract_conflict`. The optional `settlement_fund_id` column names the medical insurance fund that pays "
        "the winner directly (医保基金直接结算).",
        request={"multipart/form-data": ResultUploadInput},
        responses={201: ResultUploadOutput, **problems(400, 413)},
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser])
    @idempotent
    def upload(self, request):
        upload = self.parse(ResultUploadInput)["file"]
        result = services.contract_results_upload(actor=self.actor, upload=upload, name=upload.name)
        return self.respond(ResultUploadOutput, result, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List your requests for quotation (询价) with their quotes"),
    retrieve=extend_schema(summary="Retrieve a request for quotation"),
)
@extend_schema(tags=["procurement"])
class QuoteRequestViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = QuoteRequestOutput
    lookup_value_converter = "int"
    http_method_names = ["get", "post", "head", "options"]
    policies = {"list": SignedIn(), "retrieve": SignedIn(), "create": MANAGERS}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return QuoteRequest.objects.none()
        return selectors.quote_request_list(actor=self.actor)

    @extend_schema(
        summary="Ask one or several suppliers for a quote: drug, quantity, delivery date",
        request=QuoteRequestCreateInput,
        responses={201: QuoteRequestOutput, **problems(400)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        quote_request = services.quote_request_create(actor=self.actor, **self.parse(QuoteRequestCreateInput))
        return self.respond(QuoteRequestOutput, quote_request, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List quotes you asked for or were asked for (报价)"),
    retrieve=extend_schema(summary="Retrieve a quote"),
)
@extend_schema(tags=["procurement"])
class QuoteViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = QuoteOutput
    lookup_value_converter = "int"
    http_method_names = ["get", "post", "head", "options"]
    policies = {
        "list": SignedIn(),
        "retrieve": SignedIn(),
        "history": SignedIn(),
        "answer": MANAGERS,
        "decline": MANAGERS,
        "accept": MANAGERS,
    }
    suspended_may = frozenset({"decline"})

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Quote.objects.none()
        return selectors.quote_list(actor=self.actor)

    @extend_schema(
        summary="Answer a quote with a price, its validity and the offer it is from (the supplier)",
        request=QuoteAnswerInput,
        responses={200: QuoteOutput, **problems(400, 403, 409)},
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        quote = services.quote_answer(actor=self.actor, quote=self.get_object(), **self.parse(QuoteAnswerInput))
        return self.respond(QuoteOutput, self.get_queryset().get(pk=quote.pk))

    @extend_schema(
        summary="Decline to quote (the supplier)", request=NoteInput, responses={200: QuoteOutput, **problems(403, 409)}
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        quote = services.quote_decline(actor=self.actor, quote=self.get_object(), **self.parse(NoteInput))
        return self.respond(QuoteOutput, self.get_queryset().get(pk=quote.pk))

    @extend_schema(
        summary="Turn an answered quote into an order at the quoted price (the buyer); once — accepting again "
        "answers the same order (200 instead of 201)",
        description="The order goes through the compliance gate like any other (409 `order-not-allowed` with "
        "every reason).",
        request=NoteInput,
        responses={201: OrderOutput, 200: OrderOutput, **problems(403, 409)},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        order, created = services.quote_accept(actor=self.actor, quote=self.get_object(), **self.parse(NoteInput))
        order = order_selectors.order_list(actor=self.actor).get(pk=order.pk)
        return self.respond(OrderOutput, order, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(summary="The quote's history", responses={200: QuoteChangeOutput(many=True)})
    @action(detail=True, methods=["get"], pagination_class=NewestFirstCursorPagination)
    def history(self, request, pk=None):
        return self.page_of(self.get_object().status_changes.order_by("-id"), QuoteChangeOutput)


@extend_schema_view(
    list=extend_schema(
        summary="List your stored procurement plans (checked or placed), newest first; their lines: retrieve one",
        responses={200: PlanSummaryOutput(many=True)},
    ),
    retrieve=extend_schema(summary="Retrieve a stored procurement plan with every line as checked and placed"),
)
@extend_schema(tags=["procurement"])
class PlanViewSet(UploadViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """A buyer's monthly procurement plans (采购计划): checked line by line by the gate, kept as checked, placed as
    one checkout."""

    serializer_class = PlanOutput
    lookup_value_converter = "int"
    policies = {"list": SignedIn(), "retrieve": SignedIn(), "check": MANAGERS, "create": MANAGERS, "place": MANAGERS}
    upload_limits = {"check": "CATALOG_IMPORT_MAX_BYTES", "create": "CATALOG_IMPORT_MAX_BYTES"}  # larger: 413
    http_method_names = ["get", "post", "head", "options"]
    parser_classes = [MultiPartParser]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ProcurementPlan.objects.none()
        plans = selectors.plan_list(actor=self.actor)
        return plans.prefetch_related(None) if self.action == "list" else plans

    def get_serializer_class(self):
        return PlanSummaryOutput if self.action == "list" else PlanOutput

    @extend_schema(
        summary="Check a monthly procurement plan (CSV or XLSX): every line priced and checked by the gate, with "
        "every reason; places nothing and keeps nothing",
        description="Each line is the named supplier's cheapest active offer of the drug (the market's cheapest "
        "when `supplier_id` is empty), priced as you would pay it (negotiated, 集采 prices).",
        request={"multipart/form-data": PlanUploadInput},
        responses={200: PlanLineOutput(many=True), **problems(400, 413)},
    )
    @action(detail=False, methods=["post"])
    def check(self, request):
        upload = self.parse(PlanUploadInput)["file"]
        lines = services.plan_check(actor=self.actor, upload=upload, name=upload.name)
        return self.respond(PlanLineOutput, lines, many=True)

    @extend_schema(
        summary="Upload a monthly procurement plan and keep it as checked (status `checked`), to place it later "
        "as one checkout",
        description="The same check as `/procurement-plans/check/`; the plan and every line as checked are kept.",
        request={"multipart/form-data": PlanUploadInput},
        responses={201: PlanOutput, **problems(400, 413)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        upload = self.parse(PlanUploadInput)["file"]
        plan = services.plan_create(actor=self.actor, upload=upload, name=upload.name)
        return self.respond(PlanOutput, self.get_queryset().get(pk=plan.pk), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Place a checked plan as one checkout (an order per supplier), all or nothing; once — placing "
        "again answers the same orders (200 instead of 201)",
        description="Refused whole (409 `order-not-allowed`, every reason named `rows[N].field`) when a row was "
        "ineligible at the check, unless `eligible_only`; the gate checks again at placement and a row it refuses "
        "now refuses the placement. A price that moved since the check: the price at placement applies, and the "
        "line says so (`placed_unit_price`, `price_changed`).",
        request=PlanPlaceInput,
        responses={201: PlanPlaceOutput, 200: PlanPlaceOutput, **problems(403, 409)},
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    @idempotent
    def place(self, request, pk=None):
        plan, orders, created = services.plan_place(
            actor=self.actor, plan=self.get_object(), **self.parse(PlanPlaceInput)
        )
        body = {
            "plan": self.get_queryset().get(pk=plan.pk),
            "orders": order_selectors.order_list(actor=self.actor).filter(pk__in=[order.pk for order in orders]),
        }
        return self.respond(PlanPlaceOutput, body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)
