from __future__ import annotations

from django.http import StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action

from accounts.choices import MemberRole
from api_docs.responses import problems
from pharmex.api.idempotency import idempotent
from pharmex.api.pagination import PagePagination
from pharmex.api.permissions import Members, Staff
from pharmex.api.renderers import SPREADSHEET_RENDERERS
from pharmex.api.serializers import BusinessDateField
from pharmex.api.views import ApiViewSet
from pharmex.choices import StaffRole
from pharmex.exports import CONTENT_TYPES, export_response
from settlements import selectors, services
from settlements.apis.common import READS_MONEY
from settlements.choices import PeriodKind
from settlements.filters import StatementFilter
from settlements.models import Statement
from settlements.serializers import (
    DisputeInput,
    PayInput,
    ResolveInput,
    StatementDetailOutput,
    StatementGenerateInput,
    StatementOutput,
)
from settlements.services.exports import HEADER, SHEET_NAME, export_rows

FORMATS = list(CONTENT_TYPES)
FILE_FORMAT = OpenApiParameter(
    "file_format", str, enum=FORMATS, default="csv", description="`csv` (UTF-8 with BOM) or `xlsx`."
)
STAFF = Staff()
EXPORT_RESPONSES = {
    (200, "text/csv"): OpenApiResponse(
        OpenApiTypes.BINARY, description="One row per accepted order line, then one summary row per statement."
    ),
    (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiResponse(OpenApiTypes.BINARY),
    **problems(400, 404),
}


class ExportQuery(serializers.Serializer):
    file_format = serializers.ChoiceField(choices=FORMATS, default="csv")


class PeriodExportQuery(ExportQuery):
    period_kind = serializers.ChoiceField(choices=PeriodKind.choices, default=PeriodKind.MONTH)
    day = BusinessDateField(days_ahead=366)


def _stream(file_format: str, statements, name: str) -> StreamingHttpResponse:
    rows = export_rows(statements=statements)
    return export_response(file_format=file_format, header=HEADER, rows=rows, filename=name, sheet_name=SHEET_NAME)


@extend_schema_view(
    list=extend_schema(summary="List settlement statements (a supplier: its own; staff: all)"),
    retrieve=extend_schema(
        summary="Retrieve a statement with its lines, adjustments, history and payout",
        responses={200: StatementDetailOutput, **problems(404)},
    ),
)
@extend_schema(tags=["settlements"])
class StatementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = StatementOutput
    pagination_class = PagePagination
    filterset_class = StatementFilter
    policies = {
        "list": READS_MONEY,
        "retrieve": READS_MONEY,
        "export": READS_MONEY,
        "export_period": READS_MONEY,
        "generate": STAFF,
        "issue": STAFF,
        "approve": STAFF,
        "resolve": STAFF,
        "pay": Staff(StaffRole.FINANCE_ADMIN),
        "dispute": Members(MemberRole.OWNER, MemberRole.FINANCE),  # the service: the statement's supplier only
    }
    query_parameters = {"export": ["file_format"], "export_period": ["file_format", "period_kind", "day"]}
    replica_actions = frozenset({"export", "export_period"})
    suspended_may = frozenset({"dispute"})  # contesting a statement settles business already done

    def get_queryset(self):
        queryset = selectors.statement_list(actor=self.actor)
        if self.action == "retrieve":
            queryset = queryset.prefetch_related("adjustment_rows", "events")
        return queryset

    def retrieve(self, request, *args, **kwargs):
        return self.respond(StatementDetailOutput, self.get_object())

    def _detail(self, statement: Statement):
        return self.respond(StatementDetailOutput, self.get_queryset().get(pk=statement.pk))

    @extend_schema(
        summary="Generate the statements of a closed period (staff)",
        description="One statement per supplier with orders whose buyer payment completed in the period "
        "(Asia/Shanghai calendar month or ISO week). Idempotent: running it again returns the same statements.",
        request=StatementGenerateInput,
        responses={201: StatementOutput(many=True), **problems(400, 403, 409)},
    )
    @action(detail=False, methods=["post"], pagination_class=None)
    @idempotent
    def generate(self, request):
        statements = services.statement_generate(actor=self.actor, **self.parse(StatementGenerateInput))
        return self.respond(StatementOutput, statements, many=True, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Issue a draft statement to the supplier (staff)",
        request=None,
        responses={200: StatementDetailOutput, **problems(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def issue(self, request, pk=None):
        return self._detail(services.statement_issue(statement=self.get_object(), actor=self.actor))

    @extend_schema(
        summary="Approve an issued statement for payout (staff)",
        request=None,
        responses={200: StatementDetailOutput, **problems(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._detail(services.statement_approve(statement=self.get_object(), actor=self.actor))

    @extend_schema(
        summary="Dispute an issued statement (the supplier's owner or finance member)",
        request=DisputeInput,
        responses={200: StatementDetailOutput, **problems(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def dispute(self, request, pk=None):
        statement = services.statement_dispute(
            statement=self.get_object(), actor=self.actor, **self.parse(DisputeInput)
        )
        return self._detail(statement)

    @extend_schema(
        summary="Resolve a dispute with adjustments and re-issue (staff)",
        description="Each adjustment writes an entry between the supplier's payable and commission revenue "
        "(positive: the supplier gets more). The statement returns to `issued` with `revision` + 1.",
        request=ResolveInput,
        responses={200: StatementDetailOutput, **problems(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        data = self.parse(ResolveInput)
        adjustments = [services.AdjustmentRequest(**a) for a in data["adjustments"]]
        statement = services.statement_resolve(
            statement=self.get_object(), actor=self.actor, adjustments=adjustments, note=data["note"]
        )
        return self._detail(statement)

    @extend_schema(
        summary="Record the payout of an approved statement (finance admin)",
        description="The amount must equal the statement's net exactly (`payout_amount_mismatch` otherwise). "
        "Writes the payout entry: supplier payable Dr, platform bank Cr.",
        request=PayInput,
        responses={200: StatementDetailOutput, **problems(400, 403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def pay(self, request, pk=None):
        return self._detail(
            services.statement_pay(statement=self.get_object(), actor=self.actor, **self.parse(PayInput))
        )

    @extend_schema(
        summary="Export a statement's order lines (CSV or XLSX), streamed",
        parameters=[FILE_FORMAT],
        operation_id="settlements_export_statement",
        responses=EXPORT_RESPONSES,
    )
    @action(detail=True, methods=["get"], renderer_classes=SPREADSHEET_RENDERERS)
    def export(self, request, pk=None):
        statement = self.get_object()
        file_format = self.parse_query(ExportQuery)["file_format"]
        return _stream(file_format, Statement.objects.filter(pk=statement.pk), statement.number)

    @extend_schema(
        summary="Export every statement of a period you may see (CSV or XLSX), streamed",
        operation_id="settlements_export_period",
        parameters=[
            FILE_FORMAT,
            OpenApiParameter("period_kind", str, enum=PeriodKind.values, default="month"),
            OpenApiParameter("day", OpenApiTypes.DATE, required=True, description="Any day of the period."),
        ],
        responses=EXPORT_RESPONSES,
    )
    @action(detail=False, methods=["get"], url_path="export", renderer_classes=SPREADSHEET_RENDERERS)
    def export_period(self, request):
        query = self.parse_query(PeriodExportQuery)
        start, _ = services.period_bounds(query["period_kind"], query["day"])
        statements = self.get_queryset().filter(period_kind=query["period_kind"], period_start=start)
        return _stream(query["file_format"], statements, f"statements-{query['period_kind']}-{start}")
