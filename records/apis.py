"""GSP purchase and sales records over the API (SPEC §7a): paged JSON and streamed CSV/XLSX."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError

from accounts.choices import MemberRole
from accounts.selectors import organization_in_view
from api_docs.fields import business_date_schema
from api_docs.responses import problems
from orders.models import ShipmentLine
from pharmex.api.pagination import PagePagination
from pharmex.api.permissions import Members, Regulator, Staff
from pharmex.api.renderers import SPREADSHEET_RENDERERS
from pharmex.api.views import ApiView, ApiViewSet
from pharmex.calendar import local_days
from pharmex.exports import CONTENT_TYPES, export_response
from records import selectors
from records.reports import REPORTS
from records.serializers import FORMATS, RecordExportQuery, RecordOutput, RecordQuery

# Every member reads its organisation's records (quality staff keep them, finance reconciles); platform staff and
# regulators read any organisation's they may see (`?organization=`).
READING = Members(*MemberRole.values) | Staff() | Regulator()
_DATES = RecordQuery()
PARAMETERS = [
    OpenApiParameter(
        "date_from", business_date_schema(_DATES.fields["date_from"]), required=True, description="First day, local."
    ),
    OpenApiParameter(
        "date_to", business_date_schema(_DATES.fields["date_to"]), required=True, description="Last day, local."
    ),
    OpenApiParameter(
        "organization",
        OpenApiTypes.INT64,
        description="The organisation whose records to read: your own by default; required for platform staff "
        "and regulators (an organisation outside a regulator's jurisdiction is a 404).",
    ),
]
EXPORT_RESPONSES = {
    (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="One row per record, oldest first."),
    (200, CONTENT_TYPES["xlsx"]): OpenApiResponse(OpenApiTypes.BINARY),
    **problems(400, 404),
}
FILE_FORMAT = OpenApiParameter(
    "file_format", str, enum=FORMATS, default="csv", description="`csv` (UTF-8 with BOM) or `xlsx`."
)


class RecordViewSet(ApiViewSet):
    """One kind of record (`kind`): the subclasses below are the two routes, `list` and `export` each."""

    kind: str = selectors.PURCHASE
    pagination_class = PagePagination
    serializer_class = RecordOutput
    queryset = ShipmentLine.objects.none()  # the records are read by the selector; this names the model for docs
    policies = {"list": READING, "export": READING}
    query_parameters = {
        "list": ["date_from", "date_to", "organization"],
        "export": ["date_from", "date_to", "organization", "file_format"],
    }
    replica_actions = frozenset({"list", "export"})

    def _organization(self, query: dict):
        if query.get("organization") is None and (self.actor.organization is None or self.actor.is_regulator):
            message = _("Name the organisation whose records you read (?organization=).")
            raise ValidationError({"organization": [ErrorDetail(message, code="required")]})
        return organization_in_view(actor=self.actor, organization_id=query.get("organization"))

    def record_list(self):
        # The page is read in SQL from the union of every source's keys (received lines and returns), in the order
        # the export merges them; then the page's rows are read by id.
        query = self.parse_query(RecordQuery)
        organization = self._organization(query)
        start, end = local_days(query["date_from"], query["date_to"])
        where = {"organization": organization, "kind": self.kind, "start": start, "end": end}
        keys = self.paginate_queryset(selectors.record_keys(**where))
        page = selectors.record_page(**where, keys=keys)
        return self.get_paginated_response(RecordOutput(page, many=True).data)

    def record_export(self):
        query = self.parse_query(RecordExportQuery)
        organization = self._organization(query)
        rows = selectors.record_rows(
            selectors.records(
                organization=organization, kind=self.kind, first_day=query["date_from"], last_day=query["date_to"]
            )
        )
        name = f"{self.kind}-records-{organization.pk}-{query['date_from']}-{query['date_to']}"
        return export_response(
            file_format=query["file_format"],
            header=selectors.RECORD_FIELDS,
            rows=rows,
            filename=name,
            sheet_name=str(_("records")),
        )


def _export_schema(kind: str, label: str):
    return extend_schema(
        summary=f"Export an organisation's GSP {label} records of a date range (CSV or XLSX), streamed",
        operation_id=f"records_{kind}_export",
        parameters=[*PARAMETERS, FILE_FORMAT],
        responses=EXPORT_RESPONSES,
    )


def _list_schema(label: str):
    return extend_schema(
        summary=f"List an organisation's GSP {label} records of a date range, oldest first",
        description="Every received shipment line with accepted units, from the order's snapshots: the drug and "
        "party facts as they were at the sale, whatever changed since. Every return line the supplier accepted "
        "back is a negative record (quantity and amount) dated at the supplier's receipt of the return, with the "
        "return's reason.",
        parameters=PARAMETERS,
        responses={200: RecordOutput(many=True), **problems(400, 404)},
    )


@extend_schema(tags=["records"])
class PurchaseRecordViewSet(RecordViewSet):
    kind = selectors.PURCHASE

    @_list_schema("purchase (购进)")
    def list(self, request):
        return self.record_list()

    @_export_schema("purchases", "purchase (购进)")
    @action(detail=False, methods=["get"], renderer_classes=SPREADSHEET_RENDERERS)
    def export(self, request):
        return self.record_export()


@extend_schema(tags=["records"])
class SalesRecordViewSet(RecordViewSet):
    kind = selectors.SALES

    @_list_schema("sales (销售)")
    def list(self, request):
        return self.record_list()

    @_export_schema("sales", "sales (销售)")
    @action(detail=False, methods=["get"], renderer_classes=SPREADSHEET_RENDERERS)
    def export(self, request):
        return self.record_export()


class DutyReportQuery(serializers.Serializer):
    file_format = serializers.ChoiceField(choices=FORMATS, default="csv")


class DutyReportApi(ApiView):
    """One platform duty report (`report`, set per route in records.urls), streamed as CSV or XLSX: platform staff
    see every organisation, a regulator those of its jurisdiction."""

    report: str = ""
    policies = {"get": Staff() | Regulator()}
    query_parameters = {"get": ["file_format"]}
    replica_actions = frozenset({"get"})
    renderer_classes = SPREADSHEET_RENDERERS

    @extend_schema(
        tags=["reports"],
        summary="A platform duty report (CSV or XLSX), streamed: staff and regulators",
        description="`merchants`: every trading organisation with its status, trading licence and re-verification "
        "dates; `suspensions`: every suspension with its reason; `diversions`: suspected diversions and their "
        "outcomes; `recalls`: recalls with their acknowledgement progress. A regulator sees its jurisdiction's.",
        parameters=[FILE_FORMAT],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description="A header row, then one row each."),
            (200, CONTENT_TYPES["xlsx"]): OpenApiResponse(OpenApiTypes.BINARY),
            **problems(400),
        },
    )
    def get(self, request):
        file_format = self.parse_query(DutyReportQuery)["file_format"]
        report = REPORTS[self.report]
        return export_response(
            file_format=file_format,
            header=report.header,
            rows=report.rows(self.actor),
            filename=f"{report.name}-{timezone.localdate()}",
            sheet_name=report.name,
        )
