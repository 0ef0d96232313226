from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser

from accounts.choices import MemberRole
from api_docs.responses import problems
from orders import selectors, services
from orders.apis.orders import READING, RECEIVING
from orders.choices import Side
from orders.cold_chain import readings_from_csv
from orders.delivery_note import delivery_note, delivery_note_pdf
from orders.exports import CODES_HEADER, code_rows
from orders.filters import ShipmentFilter
from orders.serializers import (
    CodesExportQuery,
    DeliveryNoteOutput,
    ReceivedCodesExportQuery,
    ShipmentDetailOutput,
    ShipmentOutput,
    ShipmentReceiveInput,
    ShipmentReceiveOutput,
)
from pharmex.api.etag import IF_MATCH_PARAMETER, with_etag
from pharmex.api.pagination import NewestFirstCursorPagination
from pharmex.api.permissions import Members
from pharmex.api.renderers import PDF_RENDERERS, SPREADSHEET_RENDERERS
from pharmex.api.serializers import StrictInputSerializer
from pharmex.api.uploads import UploadViewMixin
from pharmex.api.views import ApiViewSet
from pharmex.exports import CONTENT_TYPES, export_response

SHIPPING = Members(MemberRole.OWNER, MemberRole.OPERATOR)
FILE_FORMAT = OpenApiParameter(
    "file_format", str, enum=list(CONTENT_TYPES), default="csv", description="`csv` (UTF-8 with BOM) or `xlsx`."
)
CODES_RESPONSES = {
    (200, "text/csv"): OpenApiResponse(
        OpenApiTypes.BINARY,
        description="One row per code: shipment, order, code, kind, case, drug, 本位码, GTIN, lot, expiry, outcome.",
    ),
    (200, CONTENT_TYPES["xlsx"]): OpenApiResponse(OpenApiTypes.BINARY),
    **problems(400, 404),
}


class TemperatureReadingsInput(StrictInputSerializer):
    file = serializers.FileField(
        help_text="The logger's export as CSV: one `time,celsius` row per reading (ISO 8601 time with its offset)."
    )


@extend_schema_view(
    list=extend_schema(
        summary="List shipments you sent or received (staff: all), newest first",
        description="Each line gives its `code_count`; the shipment's detail lists the codes.",
    ),
    retrieve=extend_schema(
        summary="Retrieve a shipment: carrier, invoices, lines, lots, codes, cold chain, receipt, two-invoice chain",
        responses={200: ShipmentDetailOutput},
    ),
)
@extend_schema(tags=["shipments"])
class ShipmentViewSet(UploadViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ShipmentOutput
    pagination_class = NewestFirstCursorPagination
    filterset_class = ShipmentFilter
    party_fields = ("buyer", "supplier")
    lookup_value_regex = r"\d+"
    suspended_may = frozenset({"receive"})  # receiving goods already shipped ends business under way
    policies = {
        "list": READING,
        "retrieve": READING,
        "receive": RECEIVING,
        "delivery_note": READING,
        "delivery_note_pdf": READING,
        "codes": READING,
        "received_codes": READING,
        "temperature_record": SHIPPING,
    }
    query_parameters = {
        "codes": ["file_format"],
        "received_codes": ["file_format", "received_from", "received_to"],
    }
    upload_limits = {"temperature_record": "TEMPERATURE_RECORD_MAX_BYTES"}

    def get_queryset(self):
        shipments = selectors.shipment_list(actor=self.actor)
        return shipments.with_hops() if self.action == "retrieve" else shipments

    def retrieve(self, request, *args, **kwargs):
        return self.respond(ShipmentDetailOutput, self.get_object(), etag=True)

    @extend_schema(
        summary="Receive a shipment (buyer): per line accepted and rejected, which codes were rejected",
        description="Every line of the shipment, accepted + rejected = shipped, a reason for rejections; where a "
        "line carried codes, name the rejected ones (units without codes absorb rejections first). Accepted codes "
        "pass into your custody; rejected ones stay with the supplier. The order is received with its last "
        "shipment. Send the codes you scanned to get the difference back.",
        request=ShipmentReceiveInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: ShipmentReceiveOutput, **problems(409, 412)},
    )
    @action(detail=True, methods=["post"])
    def receive(self, request, pk=None):
        shipment = self.if_match(selectors.shipment_for_party(actor=self.actor, shipment_id=pk, side=Side.BUYER))
        data = self.parse(ShipmentReceiveInput)
        shipment, order, difference = services.shipment_receive(
            shipment=shipment,
            actor=self.actor,
            lines=data["lines"],
            scanned_codes=data["scanned_codes"],
            note=data["note"],
        )
        shipment = self.get_queryset().get(pk=shipment.pk)
        order = selectors.order_list(actor=self.actor).get(pk=order.pk)
        body = {"shipment": shipment, "order": order, "scan_difference": difference}
        return with_etag(self.respond(ShipmentReceiveOutput, body), shipment)

    @extend_schema(
        summary="The delivery note (随货同行单) with the GSP fields, as JSON",
        responses={200: DeliveryNoteOutput},
    )
    @action(detail=True, methods=["get"], url_path="delivery-note")
    def delivery_note(self, request, pk=None):
        return self.respond(DeliveryNoteOutput, delivery_note(self.get_object()))

    @extend_schema(
        summary="The delivery note (随货同行单) as a PDF, ready to print and stamp",
        operation_id="shipments_delivery_note_pdf",  # not derived from the path: a dot is no name
        responses={(200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY), **problems(404)},
    )
    @action(detail=True, methods=["get"], url_path=r"delivery-note\.pdf", renderer_classes=PDF_RENDERERS)
    def delivery_note_pdf(self, request, pk=None):
        shipment = self.get_object()
        response = HttpResponse(delivery_note_pdf(delivery_note(shipment)), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{shipment.order.number}-{shipment.sequence}.pdf"'
        return response

    @extend_schema(
        summary="The shipment's traceability codes with drug, 本位码/GTIN, lot and expiry (CSV or XLSX)",
        description="The file hospitals and pharmacies upload to 医保 and 码上放心.",
        operation_id="shipments_export_codes",  # the path is the range export's too: one id each
        parameters=[FILE_FORMAT],
        responses=CODES_RESPONSES,
    )
    @action(detail=True, methods=["get"], url_path=r"codes\.csv", renderer_classes=SPREADSHEET_RENDERERS)
    def codes(self, request, pk=None):
        shipment = self.get_object()
        file_format = self.parse_query(CodesExportQuery)["file_format"]
        rows = code_rows(selectors.shipment_codes(shipments=self.get_queryset().filter(pk=shipment.pk)))
        return export_response(
            file_format=file_format, header=CODES_HEADER, rows=rows, filename=f"codes-{shipment.order.number}"
        )

    @extend_schema(
        summary="The codes of every shipment you received in a date range (CSV or XLSX)",
        operation_id="shipments_export_received_codes",
        parameters=[
            FILE_FORMAT,
            OpenApiParameter("received_from", OpenApiTypes.DATE, required=True, description="First day, local."),
            OpenApiParameter("received_to", OpenApiTypes.DATE, required=True, description="Last day, local."),
        ],
        responses=CODES_RESPONSES,
    )
    @action(detail=False, methods=["get"], url_path=r"codes\.csv", renderer_classes=SPREADSHEET_RENDERERS)
    def received_codes(self, request):
        query = self.parse_query(ReceivedCodesExportQuery)
        received = selectors.shipments_received(
            actor=self.actor, first_day=query["received_from"], last_day=query["received_to"]
        )
        return export_response(
            file_format=query["file_format"],
            header=CODES_HEADER,
            rows=code_rows(selectors.shipment_codes(shipments=received)),
            filename=f"codes-received-{query['received_from']}-{query['received_to']}",
        )

    @extend_schema(
        summary="Attach the logger's temperature readings to a shipment in transit (supplier), once",
        description="A CSV of `time,celsius` rows, ISO 8601 times with their offset, an optional header row; a row "
        "of more than two cells is refused (a decimal comma splits a reading). Over `TEMPERATURE_RECORD_MAX_BYTES`: "
        "413. The shipment is flagged when a reading leaves a cold-chain drug's storage range (冷藏 2–8 °C, 冷冻 "
        "−25 to −15 °C).",
        request={"multipart/form-data": TemperatureReadingsInput},
        responses={200: ShipmentOutput, **problems(400, 409, 413)},
    )
    # The parsers are the route's own: DRF picks them before it knows the action (get_parsers cannot ask it).
    @action(detail=True, methods=["post"], url_path="temperature-record", parser_classes=[MultiPartParser])
    def temperature_record(self, request, pk=None):
        shipment = selectors.shipment_for_party(actor=self.actor, shipment_id=pk, side=Side.SUPPLIER)
        readings = readings_from_csv(self.parse(TemperatureReadingsInput)["file"].read())
        shipment = services.shipment_record_temperatures(shipment=shipment, actor=self.actor, readings=readings)
        return self.respond(ShipmentOutput, self.get_queryset().get(pk=shipment.pk))
