"""Input serializers (strict, shape only) and output serializers of the procurement API."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from accounts.choices import PROVINCE_CODES
from orders.serializers import InvoiceChainOutput
from pharmex.api.serializers import BusinessDateField, ModelOutputSerializer, MoneyField, StrictInputSerializer
from pharmex.money import MAX_QUANTITY, MAX_UNIT_PRICE
from procurement.choices import SoleSellerKind
from procurement.models import (
    ContractPrice,
    ContractVolume,
    DeliveryDesignation,
    ProcurementContract,
    Quote,
    QuoteRequest,
    SoleSeller,
    UpstreamInvoice,
)


def _price(**kwargs) -> MoneyField:
    return MoneyField(min_value=Decimal("0.01"), max_value=MAX_UNIT_PRICE, **kwargs)


# --- delivery enterprises --------------------------------------------------------------------------------------
class DesignationCreateInput(StrictInputSerializer):
    drug_id = serializers.IntegerField(min_value=1, help_text="A drug your organisation holds (MAH).")
    distributor_id = serializers.IntegerField(min_value=1)
    buyer_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, max_length=500, help_text="Named institutions."
    )
    region_codes = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(PROVINCE_CODES)),
        required=False,
        max_length=40,
        help_text="Every institution of these regions (GB/T 2260 division codes).",
    )
    valid_from = BusinessDateField()
    valid_until = BusinessDateField(required=False, allow_null=True, default=None, help_text="Empty: open-ended.")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class DesignationRevokeInput(StrictInputSerializer):
    ends_on = BusinessDateField(help_text="The last day the designation covers orders.")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class DesignationOutput(ModelOutputSerializer):
    buyer_ids = serializers.PrimaryKeyRelatedField(source="buyers", many=True, read_only=True)

    class Meta:
        model = DeliveryDesignation
        fields = [
            "id",
            "manufacturer",
            "distributor",
            "drug",
            "buyer_ids",
            "region_codes",
            "valid_from",
            "valid_until",
            "status",
            "note",
            "created_at",
            "accepted_at",
            "revoked_at",
        ]


# --- negotiated prices ------------------------------------------------------------------------------------------
class ContractPriceCreateInput(StrictInputSerializer):
    buyer_id = serializers.IntegerField(min_value=1)
    drug_id = serializers.IntegerField(min_value=1)
    unit_price = _price(help_text="Tax-inclusive, per sale unit.")
    valid_from = BusinessDateField()
    valid_until = BusinessDateField()


class EndInput(StrictInputSerializer):
    ends_on = BusinessDateField(help_text="The last day it applies.")


class ContractPriceOutput(ModelOutputSerializer):
    unit_price = MoneyField(read_only=True)

    class Meta:
        model = ContractPrice
        fields = [
            "id",
            "supplier",
            "buyer",
            "drug",
            "unit_price",
            "currency",
            "valid_from",
            "valid_until",
            "created_at",
        ]


# --- 集采 contracts ------------------------------------------------------------------------------------------------
class VolumeInput(StrictInputSerializer):
    institution_id = serializers.IntegerField(min_value=1)
    annual_volume = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY * 100)


class ContractCreateInput(StrictInputSerializer):
    programme = serializers.CharField(max_length=200, help_text="e.g. 第九批国家组织药品集中采购.")
    drug_id = serializers.IntegerField(min_value=1)
    supplier_id = serializers.IntegerField(min_value=1, help_text="The winning supplier (中选企业).")
    agreed_price = _price(help_text="The agreed (中选) price per sale unit, tax-inclusive.")
    valid_from = BusinessDateField()
    valid_until = BusinessDateField()
    volumes = VolumeInput(many=True, allow_empty=False, max_length=5000)


class VolumeOutput(ModelOutputSerializer):
    class Meta:
        model = ContractVolume
        fields = ["institution", "annual_volume"]


class ContractOutput(ModelOutputSerializer):
    agreed_price = MoneyField(read_only=True)
    volumes = VolumeOutput(many=True, read_only=True)

    class Meta:
        model = ProcurementContract
        fields = [
            "id",
            "programme",
            "drug",
            "supplier",
            "agreed_price",
            "currency",
            "valid_from",
            "valid_until",
            "volumes",
            "created_at",
        ]


class ProgressOutput(serializers.Serializer):
    institution_id = serializers.IntegerField()
    institution_name = serializers.CharField()
    agreed_volume = serializers.IntegerField()
    ordered = serializers.IntegerField(help_text="Ordered in the period (orders not refused, cancelled or expired).")
    received = serializers.IntegerField(help_text="Accepted at receipt.")


# --- quotes -------------------------------------------------------------------------------------------------------
class QuoteRequestCreateInput(StrictInputSerializer):
    drug_id = serializers.IntegerField(min_value=1)
    quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)
    delivery_date = BusinessDateField()
    supplier_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=20, help_text="The suppliers asked."
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class QuoteAnswerInput(StrictInputSerializer):
    offer_id = serializers.IntegerField(min_value=1, help_text="Your offer of the drug the order will be placed on.")
    unit_price = _price(help_text="Tax-inclusive, per sale unit.")
    valid_until = BusinessDateField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class QuoteOutput(ModelOutputSerializer):
    unit_price = MoneyField(read_only=True, allow_null=True)
    buyer = serializers.IntegerField(source="request.buyer_id", read_only=True)
    drug = serializers.IntegerField(source="request.drug_id", read_only=True)
    quantity = serializers.IntegerField(source="request.quantity", read_only=True)
    delivery_date = serializers.DateField(source="request.delivery_date", read_only=True)

    class Meta:
        model = Quote
        fields = [
            "id",
            "request",
            "buyer",
            "supplier",
            "drug",
            "quantity",
            "delivery_date",
            "status",
            "offer",
            "unit_price",
            "currency",
            "valid_until",
            "order",
            "answered_at",
            "accepted_at",
            "created_at",
        ]


class QuoteRequestOutput(ModelOutputSerializer):
    quotes = QuoteOutput(many=True, read_only=True)

    class Meta:
        model = QuoteRequest
        fields = ["id", "buyer", "drug", "quantity", "delivery_date", "note", "quotes", "created_at"]


# --- procurement plans --------------------------------------------------------------------------------------------
class PlanUploadInput(StrictInputSerializer):
    json_types = False  # multipart/form-data: every value is text

    file = serializers.FileField(
        help_text="CSV (UTF-8 or GB18030) or XLSX; first row the headers `drug_id`, `quantity` and optionally "
        "`supplier_id` (药品ID, 数量, 供应商ID work too); at most 500 rows."
    )


class PlanReasonOutput(serializers.Serializer):
    field = serializers.CharField(help_text="The column (`drug_id`, `quantity`, `supplier_id`) or `buyer`.")
    code = serializers.CharField(help_text="A gate reason code, or `required`, `invalid`, `no_offer`.")
    message = serializers.CharField()


class PlanLineOutput(serializers.Serializer):
    row = serializers.IntegerField(help_text="Spreadsheet row number (the header is row 1).")
    drug_id = serializers.IntegerField(allow_null=True)
    quantity = serializers.IntegerField(allow_null=True)
    supplier_id = serializers.IntegerField(allow_null=True)
    offer_id = serializers.IntegerField(allow_null=True, help_text="The offer the line would be ordered from.")
    unit_price = MoneyField(read_only=True, allow_null=True, help_text="What you would pay: your own price if lower.")
    gross = MoneyField(read_only=True, allow_null=True)
    eligible = serializers.BooleanField()
    reasons = PlanReasonOutput(many=True)


# --- the two-invoice chain (两票制) --------------------------------------------------------------------------------
class SoleSellerCreateInput(StrictInputSerializer):
    kind = serializers.ChoiceField(choices=SoleSellerKind.choices)
    drug_id = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="A drug you hold (MAH). Required for a national agent (an imported drug); empty for a sole sales "
        "company of every drug you hold.",
    )
    seller_id = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, default=None, help_text="The seller, when on the platform."
    )
    seller_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    seller_uscc = serializers.CharField(
        max_length=18, required=False, allow_blank=True, default="", help_text="Its unified social credit code."
    )
    manufacturer_id = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="Platform admins only: the manufacturer/MAH registered for.",
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class SoleSellerOutput(ModelOutputSerializer):
    class Meta:
        model = SoleSeller
        fields = [
            "id",
            "manufacturer",
            "kind",
            "drug",
            "seller",
            "seller_name",
            "seller_uscc",
            "status",
            "note",
            "created_at",
            "verified_at",
            "revoked_at",
        ]


class UpstreamInvoiceInput(StrictInputSerializer):
    number = serializers.RegexField(r"^\d{20}$", max_length=20, help_text="The 数电发票 number (20 digits).")
    issue_date = BusinessDateField()
    amount = MoneyField(min_value=Decimal("0.01"), help_text="The invoice's total, tax included.")
    issuer_id = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, default=None, help_text="The issuer, when on the platform."
    )
    issuer_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    issuer_uscc = serializers.CharField(max_length=18, required=False, allow_blank=True, default="")
    recipient_id = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="Empty (with no recipient name and code): you, the shipper — the first invoice. A remote area's "
        "one more invoice names the distributor you bought from as the recipient of the invoice before yours.",
    )
    recipient_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    recipient_uscc = serializers.CharField(max_length=18, required=False, allow_blank=True, default="")
    shipment_line_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=False,
        max_length=1000,
        help_text="The shipment lines (lots) the invoice covers.",
    )


class UpstreamInvoiceOutput(ModelOutputSerializer):
    shipment_line_ids = serializers.PrimaryKeyRelatedField(source="lines", many=True, read_only=True)

    class Meta:
        model = UpstreamInvoice
        fields = [
            "id",
            "shipment",
            "number",
            "issue_date",
            "amount",
            "issuer",
            "issuer_name",
            "issuer_uscc",
            "recipient",
            "recipient_name",
            "recipient_uscc",
            "shipment_line_ids",
            "recorded_by",
            "created_at",
        ]


class ShipmentInvoiceChainOutput(InvoiceChainOutput):
    shipment = serializers.IntegerField()
