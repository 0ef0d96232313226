"""Input (strict, shape only) and output serializers of the orders API."""

from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from catalog.choices import DosageForm
from orders.choices import HoldStatus, RecallLevel, RejectionReason
from orders.models import Order, OrderEvent, OrderLine, Recall, TraceCode
from orders.services.placement import Preview
from pharmex.api.serializers import (
    BusinessDateField,
    ModelOutputSerializer,
    MoneyField,
    StrictInputSerializer,
    UTCDateTimeField,
)
from pharmex.money import CURRENCY, MAX_QUANTITY, money_sum

TRACE_CODE_PATTERN = r"^8\d{19}$"
INVOICE_NUMBER_PATTERN = r"^\d{20}$"  # 数电发票 numbers are 20 digits


class OrderLineInput(StrictInputSerializer):
    offer_id = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY, help_text="In sale units (e.g. 盒).")


class OrderPlaceInput(StrictInputSerializer):
    lines = OrderLineInput(many=True, allow_empty=False, max_length=settings.MAX_ORDER_LINES)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ShipLineInput(StrictInputSerializer):
    order_line_id = serializers.IntegerField(min_value=1)
    lot_number = serializers.CharField(max_length=40)
    expiry_date = BusinessDateField(days_ahead=366 * 30)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    trace_codes = serializers.ListField(
        child=serializers.RegexField(TRACE_CODE_PATTERN, max_length=20),
        required=False,
        default=list,
        max_length=10_000,
        help_text="药品追溯码: 20 digits starting with 8; each code ships once on the platform.",
    )


class ShipInput(StrictInputSerializer):
    carrier = serializers.CharField(max_length=100)
    tracking_number = serializers.CharField(max_length=64)
    invoice_numbers = serializers.ListField(
        child=serializers.RegexField(INVOICE_NUMBER_PATTERN, max_length=20), allow_empty=False, max_length=50
    )
    invoice_amount = MoneyField(min_value=0)
    lines = ShipLineInput(many=True, allow_empty=False, max_length=settings.MAX_ORDER_LINES * 10)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ReceiveLineInput(StrictInputSerializer):
    order_line_id = serializers.IntegerField(min_value=1)
    accepted_quantity = serializers.IntegerField(min_value=0, max_value=1_000_000)
    rejected_quantity = serializers.IntegerField(min_value=0, max_value=1_000_000, required=False, default=0)
    rejection_reason = serializers.ChoiceField(choices=RejectionReason.choices, required=False, allow_blank=True)


class ReceiveInput(StrictInputSerializer):
    lines = ReceiveLineInput(many=True, allow_empty=False, max_length=settings.MAX_ORDER_LINES)
    scanned_codes = serializers.ListField(
        child=serializers.RegexField(TRACE_CODE_PATTERN, max_length=20),
        required=False,
        allow_null=True,
        default=None,
        max_length=100_000,
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class RecallInput(StrictInputSerializer):
    drug = serializers.IntegerField(min_value=1)
    lots = serializers.ListField(child=serializers.CharField(max_length=40), allow_empty=False, max_length=500)
    level = serializers.ChoiceField(choices=RecallLevel.choices)
    reason = serializers.CharField(max_length=1000)


# --- outputs --------------------------------------------------------------------------------
class OrderLineOutput(ModelOutputSerializer):
    """A line with its GSP sales-record snapshot (as the drug was at placement)."""

    dosage_form = serializers.ChoiceField(choices=DosageForm.choices, allow_blank=True, read_only=True)

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
            "rejection_reason",
        ]


class PartyOutput(serializers.Serializer):
    id = serializers.IntegerField()
    legal_name = serializers.CharField()


class OrderPartyOutput(serializers.Serializer):
    """A party of an order as the order recorded it at placement (renames and licence renewals change nothing)."""

    id = serializers.IntegerField()
    legal_name = serializers.CharField()
    license_number = serializers.CharField(help_text="Its trading licence valid at placement.")


class OrderHoldOutput(serializers.Serializer):
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


class ScanDifferenceOutput(serializers.Serializer):
    missing = serializers.ListField(child=serializers.CharField(), help_text="Shipped but not scanned.")
    extra = serializers.ListField(child=serializers.CharField(), help_text="Scanned, but shipped to someone else.")
    unknown = serializers.ListField(child=serializers.CharField(), help_text="Never shipped on the platform.")


class ReceiveOutput(serializers.Serializer):
    order = OrderOutput()
    scan_difference = ScanDifferenceOutput(allow_null=True)


class CheckoutOutput(serializers.Serializer):
    checkout_id = serializers.UUIDField()
    orders = OrderOutput(many=True)


class ReasonOutput(serializers.Serializer):
    field = serializers.CharField()
    code = serializers.CharField()
    message = serializers.CharField()


class PreviewLineOutput(serializers.Serializer):
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


class PreviewGroupOutput(serializers.Serializer):
    supplier_id = serializers.IntegerField()
    total_gross = serializers.DecimalField(max_digits=18, decimal_places=2)
    total_tax = serializers.DecimalField(max_digits=18, decimal_places=2)


class PreviewOutput(serializers.Serializer):
    eligible = serializers.BooleanField()
    currency = serializers.CharField()
    total_gross = serializers.DecimalField(max_digits=18, decimal_places=2)
    total_tax = serializers.DecimalField(max_digits=18, decimal_places=2)
    reasons = ReasonOutput(many=True, help_text="Reasons that concern the whole order.")
    lines = PreviewLineOutput(many=True)
    orders = PreviewGroupOutput(many=True, help_text="The orders checkout would create, one per supplier.")


class TraceOutput(serializers.Serializer):
    code = serializers.CharField()
    drug_id = serializers.IntegerField()
    drug_name = serializers.CharField()
    specification = serializers.CharField()
    approval_number = serializers.CharField()
    lot_number = serializers.CharField()
    expiry_date = serializers.DateField()
    order_number = serializers.CharField()
    supplier = PartyOutput()
    buyer = PartyOutput()
    shipped_at = serializers.DateTimeField()


class RecallOutput(ModelOutputSerializer):
    drug_name = serializers.CharField(source="drug.generic_name")

    class Meta:
        model = Recall
        fields = ["id", "drug", "drug_name", "lots", "level", "reason", "issued_by", "created_at"]


class RecallAffectedOutput(serializers.Serializer):
    order_id = serializers.IntegerField(source="shipment.order_id")
    order_number = serializers.CharField(source="shipment.order.number")
    buyer = PartyOutput(source="shipment.order.buyer")
    supplier = PartyOutput(source="shipment.order.supplier")
    lot_number = serializers.CharField()
    quantity = serializers.IntegerField()


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
                "unit_price": v.offer.unit_price if v.offer else None,
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


def trace_body(trace: TraceCode) -> dict:
    """A traced code as the API answers it: the drug, the lot and the shipment that carried it."""
    line, order = trace.shipment_line, trace.shipment_line.shipment.order
    return {
        "code": trace.code,
        "drug_id": line.drug_id,
        "drug_name": line.drug.generic_name,
        "specification": line.drug.specification,
        "approval_number": line.drug.approval_number,
        "lot_number": line.lot_number,
        "expiry_date": line.expiry_date,
        "order_number": order.number,
        "supplier": order.supplier,
        "buyer": order.buyer,
        "shipped_at": order.shipped_at,
    }
