"""Invoices as records and red-letter forms (SPEC §5 "Invoices"): `/invoices/`, `/red-letter-forms/`, and an
order's invoice position."""

from __future__ import annotations

import json
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework import status as http
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser

from accounts.choices import MemberRole
from api_docs.responses import problems
from orders import selectors
from orders.apis.orders import READING
from orders.invoice_choices import InvoiceKind, RedLetterReason
from orders.invoice_selectors import invoice_list, red_letter_list
from orders.models import Invoice, InvoiceFile, InvoiceShipment, RedLetterEvent, RedLetterForm
from orders.services import invoicing
from pharmex.api.etag import IF_MATCH_PARAMETER
from pharmex.api.pagination import NewestFirstCursorPagination
from pharmex.api.permissions import Members
from pharmex.api.serializers import (
    TRANSITION_FIELDS,
    ModelOutputSerializer,
    MoneyField,
    NoteInput,
    OutputSerializer,
    StrictInputSerializer,
)
from pharmex.api.uploads import UploadViewMixin
from pharmex.api.views import ApiView, ApiViewSet
from pharmex.errors import NotFound

INVOICING = Members(MemberRole.OWNER, MemberRole.OPERATOR, MemberRole.FINANCE)


class CoverInput(StrictInputSerializer):
    shipment_id = serializers.IntegerField(min_value=1)
    amount = MoneyField(min_value=Decimal("0.01"))


class InvoiceInput(StrictInputSerializer):
    number = serializers.RegexField(r"^\d{20}$", help_text="The 20-digit 数电发票 number.")
    kind = serializers.ChoiceField(choices=InvoiceKind.choices)
    issue_date = serializers.DateField()
    amount_excl_tax = MoneyField(min_value=Decimal("0.01"))
    tax = MoneyField(min_value=Decimal("0.00"))
    total = MoneyField(min_value=Decimal("0.01"))
    shipments = CoverInput(many=True, allow_empty=False, max_length=500)


class DeductionInput(StrictInputSerializer):
    deducted = serializers.BooleanField(help_text="Whether you deducted this invoice's input tax (进项抵扣).")


class RedLetterInput(StrictInputSerializer):
    blue_invoice_id = serializers.IntegerField(min_value=1)
    shipment_id = serializers.IntegerField(min_value=1)
    reason = serializers.ChoiceField(choices=RedLetterReason.choices)
    return_id = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    amount = MoneyField(
        min_value=Decimal("0.01"), required=False, allow_null=True, default=None, help_text="Default: all still due."
    )


class RedIssueInput(StrictInputSerializer):
    number = serializers.RegexField(r"^\d{20}$", help_text="The red invoice's 20-digit number.")
    issue_date = serializers.DateField()


class CoverOutput(ModelOutputSerializer):
    amount = MoneyField(read_only=True)

    class Meta:
        model = InvoiceShipment
        fields = ["shipment", "amount"]


class InvoiceFileInput(StrictInputSerializer):
    file = serializers.FileField(help_text="The 数电发票 metadata file: the e-invoice XML, or the OFD.")


@extend_schema_field(
    {
        "type": "string",
        "maxLength": 100000,
        "description": "JSON: the shipments the invoice covers, as the JSON create takes them: "
        '`[{"shipment_id": 1, "amount": "100.00"}]`.',
    }
)
class CoversJsonField(serializers.Field):
    """A multipart form's JSON text part holding the covered shipments, validated as `CoverInput(many=True)`."""

    default_error_messages = {
        "invalid_json": _("Give the covered shipments as a JSON array of objects with shipment_id and amount."),
        "too_long": _("Give at most 100,000 characters."),
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_json")
        if len(data) > 100_000:
            self.fail("too_long")
        try:
            value = json.loads(data)
        except ValueError:
            self.fail("invalid_json")
        if not isinstance(value, list):
            self.fail("invalid_json")
        covers = CoverInput(many=True, allow_empty=False, max_length=500, data=value)
        covers.is_valid(raise_exception=True)
        return covers.validated_data

    def to_representation(self, value):  # pragma: no cover - input only
        return json.dumps(value)


class InvoiceFromFileInput(StrictInputSerializer):
    json_types = False  # multipart/form-data: every value is text

    file = serializers.FileField(help_text="The 数电发票 metadata file: the e-invoice XML, or the OFD.")
    kind = serializers.ChoiceField(choices=InvoiceKind.choices)
    shipments = CoversJsonField()
    number = serializers.RegexField(
        r"^\d{20}$", required=False, help_text="Only when the file does not carry it; else it must agree."
    )
    issue_date = serializers.DateField(required=False, help_text="Only when the file does not carry it.")
    amount_excl_tax = MoneyField(
        min_value=Decimal("0.01"), required=False, help_text="Only when the file does not carry it."
    )
    tax = MoneyField(min_value=Decimal("0.00"), required=False, help_text="Only when the file does not carry it.")
    total = MoneyField(min_value=Decimal("0.01"), required=False, help_text="Only when the file does not carry it.")


class InvoiceFileFieldsOutput(OutputSerializer):
    number = serializers.CharField(required=False)
    issue_date = serializers.CharField(required=False)
    amount_excl_tax = serializers.CharField(required=False)
    tax = serializers.CharField(required=False)
    total = serializers.CharField(required=False)
    seller_name = serializers.CharField(required=False)
    seller_tax_id = serializers.CharField(required=False)
    buyer_name = serializers.CharField(required=False)
    buyer_tax_id = serializers.CharField(required=False)


class InvoiceFileOutput(ModelOutputSerializer):
    carried_fields = InvoiceFileFieldsOutput(
        read_only=True, help_text="What the file carries (an OFD: possibly nothing)."
    )

    class Meta:
        model = InvoiceFile
        fields = ["id", "format", "original_name", "size", "sha256", "carried_fields", "uploaded_by", "created_at"]


class InvoiceOutput(ModelOutputSerializer):
    amount_excl_tax = MoneyField(read_only=True)
    tax = MoneyField(read_only=True)
    total = MoneyField(read_only=True)
    covers = CoverOutput(many=True, read_only=True)
    files = InvoiceFileOutput(many=True, read_only=True, help_text="The XML/OFD files kept for this invoice.")

    class Meta:
        model = Invoice
        fields = [
            "id",
            "supplier",
            "buyer",
            "number",
            "kind",
            "issue_date",
            "amount_excl_tax",
            "tax",
            "total",
            "red",
            "buyer_deducted",
            "covers",
            "files",
            "recorded_by",
            "created_at",
        ]


class RedLetterOutput(ModelOutputSerializer):
    amount = MoneyField(read_only=True)
    tax = MoneyField(read_only=True)
    blue_invoice_number = serializers.CharField(source="blue_invoice.number", read_only=True)
    red_invoice_number = serializers.CharField(source="red_invoice.number", read_only=True, allow_null=True)

    class Meta:
        model = RedLetterForm
        fields = [
            "id",
            "number",
            "supplier",
            "buyer",
            "blue_invoice",
            "blue_invoice_number",
            "shipment",
            "reason",
            "return_request",
            "amount",
            "tax",
            "status",
            "red_invoice",
            "red_invoice_number",
            "raised_by",
            "created_at",
            "confirmed_at",
            "red_issued_at",
        ]


class RedLetterEventOutput(ModelOutputSerializer):
    class Meta:
        model = RedLetterEvent
        fields = TRANSITION_FIELDS


class OpenItemOutput(OutputSerializer):
    kind = serializers.ChoiceField(
        choices=["to_invoice", "rejection_to_red_letter", "return_to_red_letter", "red_invoice_pending"]
    )
    shipment = serializers.IntegerField(allow_null=True)
    return_request = serializers.IntegerField(allow_null=True)
    amount = MoneyField()


class InvoicePositionOutput(OutputSerializer):
    order = serializers.IntegerField()
    invoiced = MoneyField(help_text="Blue invoices covering the order's shipments.")
    red_lettered = MoneyField(help_text="Red invoices (positive here).")
    net_invoiced = MoneyField()
    accepted_gross = MoneyField()
    in_transit_gross = MoneyField(help_text="Shipped, not received yet: invoiced at its shipped gross.")
    credited_returns = MoneyField()
    expected = MoneyField(help_text="Accepted gross (and gross in transit) less credited returns.")
    difference = MoneyField(help_text="net_invoiced − expected: zero when goods, invoices and money agree.")
    open_items = OpenItemOutput(many=True)


@extend_schema_view(
    list=extend_schema(summary="List invoices you issued or received (staff: all), newest first"),
    retrieve=extend_schema(summary="Retrieve an invoice and the shipments it covers"),
)
@extend_schema(tags=["invoices"])
class InvoiceViewSet(UploadViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = InvoiceOutput
    pagination_class = NewestFirstCursorPagination
    party_fields = ("buyer", "supplier")
    lookup_value_regex = r"\d+"
    policies = {
        "list": READING,
        "retrieve": READING,
        "create": INVOICING,
        "deduction": INVOICING,
        "file": INVOICING,
        "from_file": INVOICING,
    }
    upload_limits = {
        "file": "INVOICE_FILE_MAX_BYTES",
        "from_file": "INVOICE_FILE_MAX_BYTES",
    }  # larger uploads: 413 before they are read

    def get_queryset(self):
        return invoice_list(actor=self.actor)

    @extend_schema(
        summary="Record a 数电发票 you issued (supplier), with the shipments it covers",
        description="One invoice covers shipments of one buyer; a shipment's blue invoices never total more than its "
        "shipped gross (票货一致).",
        request=InvoiceInput,
        responses={201: InvoiceOutput, **problems(400, 403)},
    )
    def create(self, request, *args, **kwargs):
        invoice = invoicing.invoice_record(actor=self.actor, **self.parse(InvoiceInput))
        return self.respond(InvoiceOutput, self.get_queryset().get(pk=invoice.pk), status=http.HTTP_201_CREATED)

    @extend_schema(
        summary="Say whether you deducted the invoice's input tax (buyer)",
        description="A red-letter form against an invoice you did not deduct is confirmed without you.",
        request=DeductionInput,
        responses={200: InvoiceOutput, **problems(400, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def deduction(self, request, pk=None):
        invoice = self.get_object()
        invoicing.invoice_declare_deduction(invoice=invoice, actor=self.actor, **self.parse(DeductionInput))
        return self.respond(InvoiceOutput, self.get_queryset().get(pk=invoice.pk))

    @extend_schema(
        summary="Upload the invoice's 数电发票 XML or OFD file (supplier); its fields are checked against the record",
        description="The file's type is told by its content. The XML's invoice number, issue date, amounts and the "
        "seller's and buyer's tax ids must agree with the record; a DTD or entity declaration is refused. An OFD is "
        "kept, its fields read when an XML part carries them. One file per format. Over `INVOICE_FILE_MAX_BYTES`: 413.",
        request={"multipart/form-data": InvoiceFileInput},
        responses={201: InvoiceOutput, **problems(400, 403, 404, 413)},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def file(self, request, pk=None):
        invoice = self.get_object()
        upload = self.parse(InvoiceFileInput)["file"]
        invoicing.invoice_attach_file(invoice=invoice, actor=self.actor, file=upload, original_name=upload.name or "")
        return self.respond(InvoiceOutput, self.get_queryset().get(pk=invoice.pk), status=http.HTTP_201_CREATED)

    @extend_schema(
        summary="Record a 数电发票 you issued (supplier) from its XML or OFD file, with the shipments it covers",
        description="The number, issue date and amounts the file carries fill the record; give in the form what "
        "it does not carry (a field given that the file also carries must agree). Then the same checks as "
        "`POST /invoices/` (票货一致, one buyer, the number used once) and those of the file upload (the seller's and "
        "buyer's tax ids) run, and the file is kept, all or nothing. The kind (专票/普票) is always given. "
        "Over `INVOICE_FILE_MAX_BYTES`: 413.",
        request={"multipart/form-data": InvoiceFromFileInput},
        responses={201: InvoiceOutput, **problems(400, 403, 413)},
    )
    @action(detail=False, methods=["post"], url_path="from-file", parser_classes=[MultiPartParser])
    def from_file(self, request):
        data = self.parse(InvoiceFromFileInput)
        upload = data.pop("file")
        invoice = invoicing.invoice_record_from_file(
            actor=self.actor, file=upload, original_name=upload.name or "", **data
        )
        return self.respond(InvoiceOutput, self.get_queryset().get(pk=invoice.pk), status=http.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="List red-letter confirmation forms (红字发票信息确认单) you are party to"),
    retrieve=extend_schema(summary="Retrieve a red-letter confirmation form"),
)
@extend_schema(tags=["invoices"])
class RedLetterFormViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = RedLetterOutput
    pagination_class = NewestFirstCursorPagination
    party_fields = ("buyer", "supplier")
    lookup_value_regex = r"\d+"
    policies = {
        "list": READING,
        "retrieve": READING,
        "events": READING,
        "create": INVOICING,
        "confirm": INVOICING,
        "issue_red": INVOICING,
    }

    def get_queryset(self):
        return red_letter_list(actor=self.actor)

    def _respond(self, form, status=http.HTTP_200_OK):
        return self.respond(RedLetterOutput, self.get_queryset().get(pk=form.pk), status=status, etag=True)

    def retrieve(self, request, *args, **kwargs):
        return self.respond(RedLetterOutput, self.get_object(), etag=True)

    @extend_schema(
        summary="Raise a red-letter confirmation form (supplier) for a rejection or a credited return",
        request=RedLetterInput,
        responses={201: RedLetterOutput, **problems(400, 403, 404)},
    )
    def create(self, request, *args, **kwargs):
        data = self.parse(RedLetterInput)
        blue = invoice_list(actor=self.actor).filter(pk=data.pop("blue_invoice_id")).first()
        if blue is None:
            raise NotFound()
        form = invoicing.red_letter_raise(actor=self.actor, blue_invoice=blue, **data)
        return self._respond(form, status=http.HTTP_201_CREATED)

    @extend_schema(
        summary="Confirm a red-letter form (buyer)",
        request=NoteInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: RedLetterOutput, **problems(400, 403, 404, 409, 412)},
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        form = self.if_match(self.get_object())
        return self._respond(invoicing.red_letter_confirm(form=form, actor=self.actor, **self.parse(NoteInput)))

    @extend_schema(
        summary="Record the red invoice issued on a confirmed form (supplier)",
        request=RedIssueInput,
        parameters=[IF_MATCH_PARAMETER],
        responses={200: RedLetterOutput, **problems(400, 403, 404, 409, 412)},
    )
    @action(detail=True, methods=["post"], url_path="issue-red")
    def issue_red(self, request, pk=None):
        form = self.if_match(self.get_object())
        return self._respond(invoicing.red_letter_issue(form=form, actor=self.actor, **self.parse(RedIssueInput)))

    @extend_schema(summary="The form's history", responses={200: RedLetterEventOutput(many=True)})
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        return self.respond(RedLetterEventOutput, self.get_object().events.order_by("id"), many=True)


@extend_schema(tags=["invoices"])
class OrderInvoicePositionApi(ApiView):
    policies = {"get": READING}

    @extend_schema(
        summary="An order's invoice position: invoiced, red-lettered, net against accepted gross less credited "
        "returns, and what makes up any difference",
        responses={200: InvoicePositionOutput, **problems(404)},
    )
    def get(self, request, pk: int):
        order = selectors.order_list(actor=self.actor).filter(pk=pk).first()
        if order is None:
            raise NotFound()
        return self.respond(InvoicePositionOutput, invoicing.order_invoice_position(order))
