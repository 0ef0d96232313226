"""Input (strict, shape only) and output serializers of the orders API."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from catalog.choices import CustomsStatus, DosageForm
from orders import cold_chain, receipt_rules
from orders.choices import (
    DiversionStatus,
    HoldStatus,
    HopOutcome,
    RecallLevel,
    RejectionReason,
    TemperatureFlag,
    TraceCodeKind,
)
from orders.models import (
    CodeFormat,
    Order,
    OrderEvent,
    OrderLine,
    Recall,
    RecallAcknowledgement,
    SecondLineDeclaration,
    Shipment,
    ShipmentLine,
    SuspectedDiversion,
    TemperatureRecord,
)
from orders.selectors import Trace
from orders.services.placement import Preview
from pharmex.api.serializers import (
    BusinessDateField,
    ModelOutputSerializer,
    MoneyField,
    OutputSerializer,
    ScannedCodeField,
    StrictInputSerializer,
    UTCDateTimeField,
)
from pharmex.money import CURRENCY, MAX_QUANTITY, money_sum

INVOICE_NUMBER_PATTERN = r"^\d{20}$"  # 数电发票 numbers are 20 digits (their structure is checked by the service)
CODE_HELP = (
    "药品追溯码 of any kind: 20 digits starting with 8 (码上放心); an enterprise code of a format declared for the "
    "drug; or GS1 — human-readable `(01)…(17)…(10)…(21)…` or the raw element string with GS separators."
)


def code_list(*, max_length: int, help_text: str = CODE_HELP, **kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=ScannedCodeField(max_length=100),
        max_length=max_length,
        help_text=help_text,
        **kwargs,
    )


class OrderLineInput(StrictInputSerializer):
    offer_id = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY, help_text="In sale units (e.g. 盒).")


class OrderPlaceInput(StrictInputSerializer):
    lines = OrderLineInput(many=True, allow_empty=False, max_length=settings.MAX_ORDER_LINES)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class OrderAmendInput(StrictInputSerializer):
    """The order's lines as they should be: matched to the current lines by offer; a line left out is removed."""

    lines = OrderLineInput(
        many=True,
        allow_empty=False,
        max_length=settings.MAX_ORDER_LINES,
        help_text="Every line the order should have: a new quantity changes a line, an offer of the same supplier "
        "not yet on the order adds a line, a line left out is removed (to drop them all, cancel the order).",
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class LineDecisionInput(StrictInputSerializer):
    line_no = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(
        min_value=0,
        max_value=MAX_QUANTITY,
        help_text="The quantity accepted: the line's in full, less, or 0 to reject.",
    )
    reason = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="Why the line is not accepted in full (required then; the buyer is told).",
    )


class OrderConfirmInput(StrictInputSerializer):
    """Confirm in full, or line by line (部分确认): lines not named are accepted in full."""

    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    lines = LineDecisionInput(many=True, required=False, default=list, max_length=settings.MAX_ORDER_LINES)


class LineProposalInput(StrictInputSerializer):
    line_no = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(
        min_value=1, max_value=MAX_QUANTITY, required=False, help_text="The quantity proposed (default: the line's)."
    )
    offer_id = serializers.IntegerField(
        min_value=1, required=False, help_text="A substitute offer of yours (default: the line's offer)."
    )
    reason = serializers.CharField(max_length=500, help_text="Why: the buyer reads it.")


class OrderProposeInput(StrictInputSerializer):
    """The supplier's proposal for some lines of a placed order; it replaces any open one."""

    lines = LineProposalInput(many=True, allow_empty=False, max_length=settings.MAX_ORDER_LINES)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class CaseInput(StrictInputSerializer):
    code = ScannedCodeField(max_length=100)
    units = code_list(
        max_length=10_000,
        required=False,
        default=list,
        help_text="The unit codes the case (箱码) holds; omit them when the platform already knows the case.",
    )


class ShipLineInput(StrictInputSerializer):
    order_line_id = serializers.IntegerField(min_value=1)
    lot_number = serializers.CharField(max_length=40)
    expiry_date = BusinessDateField(days_ahead=366 * 30)
    place_of_origin = serializers.CharField(
        max_length=100,
        required=False,
        allow_blank=True,
        default="",
        help_text="产地 of the lot; required for 中药饮片 (drug type `tcm_decoction`), optional otherwise.",
    )
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    trace_codes = code_list(max_length=10_000, required=False, default=list)
    case_codes = CaseInput(many=True, required=False, default=list, max_length=1_000)


class TemperatureSummaryInput(StrictInputSerializer):
    logger_id = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    min_celsius = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=-100, max_value=100)
    max_celsius = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=-100, max_value=100)

    def validate(self, attrs):
        if attrs["min_celsius"] > attrs["max_celsius"]:
            raise serializers.ValidationError({"min_celsius": "The minimum is above the maximum."})
        return attrs


class ShipInput(StrictInputSerializer):
    carrier = serializers.CharField(max_length=100)
    tracking_number = serializers.CharField(max_length=64)
    invoice_numbers = serializers.ListField(
        child=serializers.RegexField(INVOICE_NUMBER_PATTERN, max_length=20), allow_empty=False, max_length=50
    )
    invoice_amount = MoneyField(min_value=0)
    lines = ShipLineInput(many=True, allow_empty=False, max_length=settings.MAX_ORDER_LINES * 10)
    temperature_record = TemperatureSummaryInput(
        required=False,
        allow_null=True,
        default=None,
        help_text="Cold-chain drugs: the logger's min/max (or upload its readings to the shipment afterwards).",
    )
    close_rest = serializers.BooleanField(
        default=False, help_text="Close what the order still has left to ship after this shipment (back to stock)."
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class _ReceiptLine(StrictInputSerializer):
    accepted_quantity = serializers.IntegerField(min_value=0, max_value=MAX_QUANTITY)
    rejected_quantity = serializers.IntegerField(min_value=0, max_value=MAX_QUANTITY, required=False, default=0)
    rejection_reason = serializers.ChoiceField(choices=RejectionReason.choices, required=False, allow_blank=True)
    rejected_codes = code_list(
        max_length=10_000,
        required=False,
        default=list,
        help_text="Codes of the rejected units (a case: all its units); they stay with the shipper.",
    )


class ReceiveLineInput(_ReceiptLine):
    order_line_id = serializers.IntegerField(min_value=1)


class ShipmentReceiveLineInput(_ReceiptLine):
    shipment_line_id = serializers.IntegerField(min_value=1)


class _Receipt(StrictInputSerializer):
    scanned_codes = code_list(
        max_length=100_000,
        required=False,
        allow_null=True,
        default=None,
        help_text="The codes scanned at goods-in: the answer lists the difference from what was shipped.",
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReceiveInput(_Receipt):
    lines = ReceiveLineInput(many=True, allow_empty=False, max_length=settings.MAX_ORDER_LINES)


class ShipmentReceiveInput(_Receipt):
    lines = ShipmentReceiveLineInput(many=True, allow_empty=False, max_length=settings.MAX_ORDER_LINES * 10)


class RecallAcknowledgeInput(StrictInputSerializer):
    quantity_held = serializers.IntegerField(min_value=0, max_value=MAX_QUANTITY)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class CodeFormatInput(StrictInputSerializer):
    drug = serializers.IntegerField(min_value=1)
    prefix = serializers.RegexField(r"^\d{1,20}$", max_length=20, help_text="The digits every code starts with.")
    length = serializers.IntegerField(min_value=8, max_value=40, help_text="The number of digits of a code.")


class CodesExportQuery(StrictInputSerializer):
    file_format = serializers.ChoiceField(choices=["csv", "xlsx"], default="csv")


class ReceivedCodesExportQuery(CodesExportQuery):
    received_from = BusinessDateField(days_ahead=1)
    received_to = BusinessDateField(days_ahead=1)

    def validate(self, attrs):
        if attrs["received_from"] > attrs["received_to"]:
            raise serializers.ValidationError({"received_to": "The range ends before it starts."})
        if (attrs["received_to"] - attrs["received_from"]).days > 366:
            raise serializers.ValidationError({"received_to": "At most a year at a time."})
        return attrs


class RecallInput(StrictInputSerializer):
    drug = serializers.IntegerField(min_value=1)
    lots = serializers.ListField(child=serializers.CharField(max_length=40), allow_empty=False, max_length=500)
    level = serializers.ChoiceField(choices=RecallLevel.choices)
    reason = serializers.CharField(max_length=1000)


# --- outputs --------------------------------------------------------------------------------
class OrderLineOutput(ModelOutputSerializer):
    """A line with its GSP sales-record snapshot (as the drug was at placement)."""

    dosage_form = serializers.ChoiceField(choices=DosageForm.choices, allow_blank=True, read_only=True)
    customs_status = serializers.ChoiceField(
        choices=CustomsStatus.choices,
        allow_blank=True,
        read_only=True,
        help_text="Hainan customs status of the goods at placement (empty on orders placed before it was kept).",
    )
    second_line = serializers.BooleanField(
        read_only=True,
        help_text="Zero-tariff goods leaving the island: the order ships only with its second-line declaration.",
    )
    payer_fund = serializers.PrimaryKeyRelatedField(
        read_only=True,
        help_text="The medical insurance fund that pays this line instead of the buyer (医保基金直接结算 under a 集采 "
        "contract, recorded at placement); null: the buyer pays.",
    )

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "line_no",
            "offer",
            "drug",
            "drug_name",
            "brand_name",
            "dosage_form",
            "specification",
            "package",
            "manufacturer_name",
            "mah_name",
            "approval_number",
            "sale_unit",
            "unit_price",
            "vat_rate",
            "quantity",
            "line_gross",
            "line_tax",
            "shipped_quantity",
            "accepted_quantity",
            "rejected_quantity",
            "closed_quantity",
            "rejection_reason",
            "customs_status",
            "second_line",
            "lecheng_approval",
            "requested_quantity",
            "confirmation",
            "confirmation_reason",
            "proposed_quantity",
            "proposed_offer",
            "proposal_reason",
            "payer_fund",
        ]


class PartyOutput(OutputSerializer):
    id = serializers.IntegerField()
    legal_name = serializers.CharField()


class OrderPartyOutput(OutputSerializer):
    """A party of an order as the order recorded it at placement (renames and licence renewals change nothing)."""

    id = serializers.IntegerField()
    legal_name = serializers.CharField()
    license_number = serializers.CharField(help_text="Its trading licence valid at placement.")


class OrderHoldOutput(OutputSerializer):
    status = serializers.ChoiceField(choices=HoldStatus.choices)
    reason = serializers.CharField(help_text="network_sale_banned or registration_expired; empty when never held.")
    note = serializers.CharField()
    held_at = UTCDateTimeField(allow_null=True)
    decided_at = UTCDateTimeField(allow_null=True)


class OrderOutput(ModelOutputSerializer):
    buyer = OrderPartyOutput(source="buyer_party")
    supplier = OrderPartyOutput(source="supplier_party")
    hold = OrderHoldOutput(
        source="hold_view",
        help_text="Held orders (a drug left the market) are not confirmed or shipped until an admin decides.",
    )
    lines = OrderLineOutput(many=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "status",
            "hold",
            "buyer",
            "supplier",
            "checkout_id",
            "placed_by",
            "note",
            "currency",
            "total_gross",
            "total_tax",
            "accepted_gross",
            "placed_at",
            "expires_at",
            "confirmed_at",
            "ship_by",
            "overdue_at",
            "shipped_at",
            "received_at",
            "closed_at",
            "updated_at",
            "lines",
        ]


class OrderEventOutput(ModelOutputSerializer):
    class Meta:
        model = OrderEvent
        fields = ["id", "action", "from_status", "to_status", "actor", "note", "data", "created_at"]


class ScanDifferenceOutput(OutputSerializer):
    missing = serializers.ListField(child=serializers.CharField(), help_text="Shipped but not scanned.")
    extra = serializers.ListField(child=serializers.CharField(), help_text="Scanned, but shipped to someone else.")
    unknown = serializers.ListField(child=serializers.CharField(), help_text="Never shipped on the platform.")


class ReceiveOutput(OutputSerializer):
    order = OrderOutput()
    scan_difference = ScanDifferenceOutput(allow_null=True)


class CheckoutOutput(OutputSerializer):
    checkout_id = serializers.UUIDField()
    orders = OrderOutput(many=True)


class ReasonOutput(OutputSerializer):
    field = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()


class PreviewLineOutput(OutputSerializer):
    index = serializers.IntegerField()
    offer_id = serializers.IntegerField()
    quantity = serializers.IntegerField()
    supplier_id = serializers.IntegerField(allow_null=True)
    unit_price = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    vat_rate = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    gross = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    tax = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    eligible = serializers.BooleanField()
    reasons = ReasonOutput(many=True)


class PreviewGroupOutput(OutputSerializer):
    supplier_id = serializers.IntegerField()
    total_gross = serializers.DecimalField(max_digits=18, decimal_places=2)
    total_tax = serializers.DecimalField(max_digits=18, decimal_places=2)


class PreviewOutput(OutputSerializer):
    eligible = serializers.BooleanField()
    currency = serializers.CharField()
    total_gross = serializers.DecimalField(max_digits=18, decimal_places=2)
    total_tax = serializers.DecimalField(max_digits=18, decimal_places=2)
    reasons = ReasonOutput(many=True, help_text="Reasons that concern the whole order.")
    lines = PreviewLineOutput(many=True)
    orders = PreviewGroupOutput(many=True, help_text="The orders checkout would create, one per supplier.")


class HopOutput(OutputSerializer):
    from_organization = PartyOutput()
    to_organization = PartyOutput()
    order_id = serializers.IntegerField()
    order_number = serializers.CharField()
    shipment_id = serializers.IntegerField(allow_null=True, help_text="The shipment that carried it (a sale's leg).")
    return_id = serializers.IntegerField(
        source="return_request_id", allow_null=True, help_text="The return (退货) that carried it back."
    )
    return_number = serializers.CharField(allow_null=True, read_only=True)
    outcome = serializers.ChoiceField(choices=HopOutcome.choices)
    shipped_at = UTCDateTimeField()
    settled_at = UTCDateTimeField(allow_null=True, help_text="When the receiving side's receipt settled the hop.")


class TraceOutput(OutputSerializer):
    code = serializers.CharField(help_text="The canonical form (GS1: `(01)<GTIN>(21)<serial>`).")
    kind = serializers.ChoiceField(choices=TraceCodeKind.choices)
    is_case = serializers.BooleanField(help_text="A case code (箱码) whose units travel with it.")
    case = serializers.CharField(allow_null=True, help_text="The case the unit is packed in, if any.")
    drug_id = serializers.IntegerField()
    drug_name = serializers.CharField()
    specification = serializers.CharField()
    approval_number = serializers.CharField()
    lot_number = serializers.CharField()
    expiry_date = serializers.DateField(allow_null=True)
    order_number = serializers.CharField(help_text="The latest hop you may see: its order.")
    supplier = PartyOutput(help_text="The latest hop you may see: who shipped.")
    buyer = PartyOutput(help_text="The latest hop you may see: who it was shipped to.")
    shipped_at = UTCDateTimeField(help_text="The latest hop you may see: when.")
    in_transit = serializers.BooleanField()
    holder = PartyOutput(allow_null=True, help_text="The current holder: for platform staff and the holder itself.")
    hops = HopOutput(many=True, help_text="The custody chain: staff see every hop, a party the hops it took part in.")


def trace_body(trace: Trace) -> dict:
    """A traced code as the API answers it: the code, its drug and lot, and the hops the caller may see."""
    code, latest = trace.code, trace.hops[-1] if trace.hops else None
    return {
        "code": code.code,
        "kind": code.kind,
        "is_case": code.is_case,
        "case": code.case_code,
        "drug_id": code.drug_id,
        "drug_name": code.drug_name,
        "specification": code.drug_specification,
        "approval_number": code.drug_approval_number,
        "lot_number": code.lot_number,
        "expiry_date": code.expiry_date,
        "order_number": latest.order_number if latest else "",
        "supplier": latest.from_organization if latest else None,
        "buyer": latest.to_organization if latest else None,
        "shipped_at": latest.shipped_at if latest else None,
        "in_transit": code.shipment_id is not None
        or (latest is not None and latest.return_request_id is not None and latest.outcome == HopOutcome.IN_TRANSIT),
        "holder": code.holder if trace.show_holder else None,
        "hops": trace.hops,
    }


class RecallOutput(ModelOutputSerializer):
    drug_name = serializers.CharField(source="drug.generic_name")

    class Meta:
        model = Recall
        fields = [
            "id",
            "drug",
            "drug_name",
            "lots",
            "level",
            "reason",
            "issued_by",
            "issuing_organization",
            "created_at",
        ]


class RecallAffectedOutput(OutputSerializer):
    shipment_id = serializers.IntegerField()
    order_id = serializers.IntegerField(source="shipment.order_id")
    order_number = serializers.CharField(source="shipment.order.number")
    buyer = PartyOutput(source="shipment.order.buyer")
    supplier = PartyOutput(source="shipment.order.supplier")
    lot_number = serializers.CharField()
    quantity = serializers.IntegerField()


class RecallAcknowledgementOutput(ModelOutputSerializer):
    class Meta:
        model = RecallAcknowledgement
        fields = ["id", "recall", "organization", "quantity_held", "note", "acknowledged_by", "created_at"]


class RecallBuyerOutput(OutputSerializer):
    organization = PartyOutput()
    shipped_quantity = serializers.IntegerField(help_text="Units of the recalled lots shipped to it.")
    acknowledgement = RecallAcknowledgementOutput(allow_null=True, help_text="Null: not acknowledged yet.")


class CodeFormatOutput(ModelOutputSerializer):
    class Meta:
        model = CodeFormat
        fields = ["id", "drug", "organization", "prefix", "length", "declared_by", "created_at"]


class ShipmentCodeOutput(OutputSerializer):
    code = serializers.CharField(source="code.code")
    kind = serializers.ChoiceField(source="code.kind", choices=TraceCodeKind.choices)
    is_case = serializers.BooleanField(source="code.is_case")
    case = serializers.CharField(source="code.case.code", allow_null=True, default=None)
    outcome = serializers.ChoiceField(choices=HopOutcome.choices)


class ShipmentLineOutput(ModelOutputSerializer):
    drug_name = serializers.CharField(source="order_line.drug_name")
    specification = serializers.CharField(source="order_line.specification")
    sale_unit = serializers.CharField(source="order_line.sale_unit")
    code_count = serializers.IntegerField(
        help_text="How many traceability codes (units and cases) the line carried; the shipment's detail lists them."
    )

    class Meta:
        model = ShipmentLine
        fields = [
            "id",
            "order_line",
            "drug",
            "drug_name",
            "specification",
            "sale_unit",
            "lot_number",
            "expiry_date",
            "place_of_origin",
            "quantity",
            "accepted_quantity",
            "rejected_quantity",
            "rejection_reason",
            "code_count",
        ]


class ShipmentLineDetailOutput(ShipmentLineOutput):
    codes = ShipmentCodeOutput(source="hops", many=True)

    class Meta(ShipmentLineOutput.Meta):
        fields = [*ShipmentLineOutput.Meta.fields, "codes"]


class TemperatureRecordOutput(ModelOutputSerializer):
    readings_count = serializers.SerializerMethodField(help_text="How many logger readings are kept.")

    class Meta:
        model = TemperatureRecord
        fields = ["logger_id", "min_celsius", "max_celsius", "source", "readings_count", "recorded_by", "created_at"]

    def get_readings_count(self, record: TemperatureRecord) -> int:
        return len(record.readings)


class ColdChainOutput(OutputSerializer):
    """The shipment's cold chain: whether it carries cold-chain drugs, its flag and the logger's record."""

    required = serializers.BooleanField(help_text="The shipment carries 冷藏 or 冷冻 drugs.")
    flag = serializers.ChoiceField(
        choices=TemperatureFlag.choices, allow_blank=True, help_text="Blank: the record shows every drug in range."
    )
    rejectable_lines = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Flagged shipments: the cold-chain lines the buyer may reject as `temperature_excursion`.",
    )
    record = TemperatureRecordOutput(allow_null=True)

    # Declared on the shipment with source="*", it is built once for a page: built per shipment (a method field's
    # serializer), it cost a quarter of a page of fifty.
    def to_representation(self, shipment: Shipment) -> dict:
        cold = [line.pk for line in shipment.lines.all() if line.drug.storage in cold_chain.RANGES]
        summary = {
            "required": bool(cold),
            "flag": shipment.temperature_flag,
            "rejectable_lines": cold if shipment.temperature_flag else [],
            "record": getattr(shipment, "temperature_record", None) if cold else None,
        }
        return super().to_representation(summary)


class ShipmentOutput(ModelOutputSerializer):
    order_number = serializers.CharField(source="order.number")
    buyer = PartyOutput()
    supplier = PartyOutput()
    shipped_at = UTCDateTimeField(source="created_at")
    cold_chain = ColdChainOutput(source="*")
    lines = ShipmentLineOutput(many=True)

    class Meta:
        model = Shipment
        fields = [
            "id",
            "order",
            "order_number",
            "sequence",
            "status",
            "buyer",
            "supplier",
            "carrier",
            "tracking_number",
            "invoice_numbers",
            "invoice_amount",
            "gross",
            "accepted_gross",
            "shipped_by",
            "shipped_at",
            "received_by",
            "received_at",
            "cold_chain",
            "lines",
        ]


class FirstInvoiceOutput(OutputSerializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    issue_date = serializers.DateField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, help_text="Its total, tax included.")
    issuer = serializers.IntegerField(allow_null=True, help_text="The issuer's organisation, when on the platform.")
    issuer_name = serializers.CharField()
    issuer_uscc = serializers.CharField()
    recipient = serializers.IntegerField(allow_null=True)
    recipient_name = serializers.CharField()
    recipient_uscc = serializers.CharField()
    shipment_line_ids = serializers.ListField(child=serializers.IntegerField(), help_text="The lots it covers.")


class ChainProblemOutput(OutputSerializer):
    field = serializers.CharField(help_text="`lines[<shipment line id>]`, or `invoice_numbers` for the second invoice.")
    code = serializers.ChoiceField(
        choices=["first_invoice_missing", "first_invoice_issuer_invalid", "third_seller", "second_invoice_missing"]
    )
    message = serializers.CharField()


class InvoiceChainOutput(OutputSerializer):
    """The two-invoice chain (两票制, SPEC §5a) of a shipment, as the procurement app checks it at receipt."""

    applies = serializers.BooleanField(
        help_text="A public institution buys from a distributor: the lots need their first invoice."
    )
    remote_area = serializers.BooleanField(help_text="The buyer lies in a remote area: one more invoice allowed.")
    complete = serializers.BooleanField(help_text="Receipt would pass the chain: no problems.")
    lines_needing_first_invoice = serializers.ListField(child=serializers.IntegerField())
    first_invoices = FirstInvoiceOutput(many=True, help_text="The invoices up the chain the shipper recorded.")
    second_invoice_numbers = serializers.ListField(
        child=serializers.CharField(), help_text="The platform sale's invoices (shipper → buyer)."
    )
    problems = ChainProblemOutput(many=True, help_text="What a public institution's receipt would refuse.")


class ShipmentDetailOutput(ShipmentOutput):
    """One shipment in full: its lines' codes and its two-invoice chain (a list leaves them out: a page of shipments
    would carry every code of each, and the chain is read per shipment)."""

    lines = ShipmentLineDetailOutput(many=True)
    invoice_chain = serializers.SerializerMethodField()

    class Meta(ShipmentOutput.Meta):
        fields = [*ShipmentOutput.Meta.fields, "invoice_chain"]

    @extend_schema_field(InvoiceChainOutput(allow_null=True))
    def get_invoice_chain(self, shipment: Shipment) -> dict | None:
        chain = receipt_rules.description("two_invoice_chain", shipment)
        return InvoiceChainOutput(chain).data if chain is not None else None


class ShipmentReceiveOutput(OutputSerializer):
    shipment = ShipmentOutput()
    order = OrderOutput()
    scan_difference = ScanDifferenceOutput(allow_null=True)


class PartyNoteOutput(OutputSerializer):
    name = serializers.CharField()
    license_number = serializers.CharField()


class DeliveryNoteLineOutput(OutputSerializer):
    generic_name = serializers.CharField()
    brand_name = serializers.CharField()
    dosage_form = serializers.CharField()
    specification = serializers.CharField()
    package = serializers.CharField()
    manufacturer = serializers.CharField()
    marketing_authorization_holder = serializers.CharField()
    approval_number = serializers.CharField()
    lot_number = serializers.CharField()
    expiry_date = serializers.DateField()
    quantity = serializers.IntegerField()
    unit = serializers.CharField()
    unit_price = serializers.DecimalField(max_digits=18, decimal_places=2)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    storage = serializers.CharField()


class DeliveryNoteOutput(OutputSerializer):
    number = serializers.CharField()
    order_number = serializers.CharField()
    shipped_on = serializers.DateField()
    supplier = PartyNoteOutput()
    buyer = PartyNoteOutput()
    carrier = serializers.CharField()
    tracking_number = serializers.CharField()
    invoice_numbers = serializers.ListField(child=serializers.CharField())
    lines = DeliveryNoteLineOutput(many=True)
    total_amount = serializers.DecimalField(max_digits=18, decimal_places=2)
    quality_stamp = serializers.CharField(help_text="Where the supplier's quality stamp goes on the printed note.")


def preview_body(preview: Preview) -> dict:
    """A preview as the API answers it: every line's verdict, totals overall and per supplier's order."""
    result = preview.result
    return {
        "eligible": result.eligible,
        "currency": CURRENCY,
        "total_gross": money_sum(v.gross for v in result.lines if v.gross is not None),
        "total_tax": money_sum(v.tax for v in result.lines if v.tax is not None),
        "reasons": [r.as_error() for r in result.order_reasons],
        "lines": [
            {
                "index": v.index,
                "offer_id": v.request.offer_id,
                "quantity": v.request.quantity,
                "supplier_id": v.offer.supplier_id if v.offer else None,
                "unit_price": v.unit_price,
                "vat_rate": v.offer.vat_rate if v.offer else None,
                "gross": v.gross,
                "tax": v.tax,
                "eligible": v.eligible,
                "reasons": [r.as_error() for r in v.reasons],
            }
            for v in result.lines
        ],
        "orders": [
            {
                "supplier_id": supplier_id,
                "total_gross": money_sum(v.gross for v in verdicts),
                "total_tax": money_sum(v.tax for v in verdicts),
            }
            for supplier_id, verdicts in sorted(preview.groups.items())
        ],
    }


class DiversionOutput(ModelOutputSerializer):
    attempted_order_number = serializers.CharField(source="attempted_order.number")
    attempted_by_organization = PartyOutput()
    expected_holder = PartyOutput(allow_null=True)

    class Meta:
        model = SuspectedDiversion
        fields = [
            "id",
            "code",
            "kind",
            "attempted_order",
            "attempted_order_number",
            "attempted_by_organization",
            "attempted_by",
            "expected_holder",
            "in_transit_shipment",
            "status",
            "resolution_note",
            "resolved_by",
            "resolved_at",
            "created_at",
        ]


class DiversionResolveInput(StrictInputSerializer):
    outcome = serializers.ChoiceField(
        choices=[(DiversionStatus.CONFIRMED.value, "confirmed"), (DiversionStatus.DISMISSED.value, "dismissed")]
    )
    note = serializers.CharField(max_length=1000)


class SecondLineDeclarationInput(StrictInputSerializer):
    declaration_number = serializers.RegexField(
        r"^[0-9A-Za-z-]{6,64}$", help_text="The second-line (二线) import declaration (报关单) number."
    )
    duty_amount = MoneyField(
        min_value=Decimal("0.00"), help_text="The duty paid (CNY); 0.00 with the 30% value-added exemption."
    )


class SecondLineDeclarationOutput(ModelOutputSerializer):
    duty_amount = MoneyField(read_only=True)

    class Meta:
        model = SecondLineDeclaration
        fields = ["id", "order", "declaration_number", "duty_amount", "currency", "declared_by", "created_at"]
