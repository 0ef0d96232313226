from __future__ import annotations

from datetime import date

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers

from api_docs.responses import problems
from orders.customs_report import HEADER, customs_report_rows
from pharmex.api.permissions import Staff
from pharmex.api.renderers import SPREADSHEET_RENDERERS
from pharmex.api.serializers import StrictInputSerializer
from pharmex.api.views import ApiView
from pharmex.choices import StaffRole
from pharmex.exports import CONTENT_TYPES, export_response


class CustomsReportQuery(StrictInputSerializer):
    month = serializers.RegexField(r"^\d{4}-(0[1-9]|1[0-2])$", help_text="The month, YYYY-MM.")
    file_format = serializers.ChoiceField(choices=list(CONTENT_TYPES), default="csv")


class CustomsReportApi(ApiView):
    policies = {"get": Staff(StaffRole.ADMIN)}
    query_parameters = {"get": ["month", "file_format"]}
    renderer_classes = SPREADSHEET_RENDERERS

    @extend_schema(
        tags=["customs"],
        summary="The monthly Hainan customs report (platform admins; CSV or XLSX)",
        description="Rows in three sections (`section`): `status_total`, per customs status and destination "
        "(`island`, `mainland`), the quantity and value sold in the month; `mainland_sale`, each order whose "
        "zero-tariff goods cross the second line (二线), with its declaration number and duty; `lecheng_approval`, "
        "each Boao Lecheng approval valid in the month with its approved quantity, the month's use, the use so far "
        "and what remains. Sold: lines of orders placed in the month, less those cancelled, rejected or expired.",
        parameters=[
            OpenApiParameter("month", str, required=True, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM."),
            OpenApiParameter(
                "file_format", str, enum=list(CONTENT_TYPES), default="csv", description="`csv` or `xlsx`."
            ),
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY, description=", ".join(HEADER)),
            (200, CONTENT_TYPES["xlsx"]): OpenApiResponse(OpenApiTypes.BINARY),
            **problems(400),
        },
    )
    def get(self, request):
        query = self.parse_query(CustomsReportQuery)
        year, month = (int(part) for part in query["month"].split("-"))
        return export_response(
            file_format=query["file_format"],
            header=HEADER,
            rows=customs_report_rows(month=date(year, month, 1)),
            filename=f"customs-report-{query['month']}",
            sheet_name="customs",
        )
