"""Input serializers (strict, shape only) and output serializers of the procurement API."""

from __future__ import annotations

from decimal import Decimal

from rest_framework import serializers

from accounts.choices import PROVINCE_CODES
from orders.serializers import InvoiceChainOutput, OrderOutput
from pharmex.api.serializers import (
    BusinessDateField,
    ModelOutputSerializer,
    MoneyField,
    OutputSerializer,
    StrictInputSerializer,
)
from pharmex.divisions import CITY_COUNTY_CODES
from pharmex.money import MAX_QUANTITY, MAX_UNIT_PRICE
from procurement.choices import SoleSellerKind
from procurement.models import (
    ContractPrice,
    ContractVolume,
    DeliveryDesignation,
    ProcurementContract,
    ProcurementPlan,
    ProcurementPlanLine,
    Quote,
    QuoteRequest,
    SoleSeller,
    UpstreamInvoice,
)

REGION_CODES = sorted({*PROVINCE_CODES, *CITY_COUNTY_CODES})


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
        child=serializers.ChoiceField(choices=REGION_CODES),
        required=False,
        max_length=40,
        help_text="Every institution of these regions: GB/T 2260 province codes (460000) or Hainan city/county "
        "codes (460100 海口市: its districts too).",
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
    settlement_fund_id = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text="Direct settlement (医保基金直接结算): the medical insurance fund that pays the winner for the "
        "institutions' orders under the contract. Omit for none.",
    )


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
            "settlement_fund",
            "volumes",
            "created_at",
        ]


class ProgressOutput(OutputSerializer):
    institution_id = serializers.IntegerField()
    institution_name = serializers.CharField()
    agreed_volume = serializers.IntegerField()
    ordered = serializers.IntegerField(help_text="Ordered in the period (orders not refused, cancelled or expired).")
    received = serializers.IntegerField(help_text="Accepted at receipt.")


class ResultUploadInput(StrictInputSerializer):
    json_types = False  # multipart/form-data: every value is text

    file = serializers.FileField(
        help_text="CSV (UTF-8 or GB18030) or XLSX, one row per institution; first row the headers `programme`, "
        "`drug_id` or `approval_number`, `supplier_id` or `supplier_uscc`, `agreed_price`, `valid_from`, "
        "`valid_until`, `institution_id` or `institution_uscc`, `annual_volume` (Chinese headers such as 集采项目, "
        "批准文号, 中选企业统一社会信用代码, 中选价格, 执行开始日期, 执行结束日期, 医疗机构统一社会信用代码, "
        "约定采购量 work too); at most 20,000 rows."
    )


class ContractUploadOutput(OutputSerializer):
    contract_id = serializers.IntegerField(source="contract.pk")
    programme = serializers.CharField(source="contract.programme")
    drug = serializers.IntegerField(source="contract.drug_id")
    supplier = serializers.IntegerField(source="contract.supplier_id")
    valid_from = serializers.DateField(source="contract.valid_from")
    valid_until = serializers.DateField(source="contract.valid_until")
    created = serializers.BooleanField(help_text="A new contract; false: one loaded before, its volumes updated.")
    volumes_created = serializers.IntegerField()
    volumes_updated = serializers.IntegerField()
    volumes_unchanged = serializers.IntegerField()


class ResultUploadOutput(OutputSerializer):
    rows = serializers.IntegerField(help_text="Rows read under the header.")
    contracts = ContractUploadOutput(many=True)


class ProgressReportQuery(serializers.Serializer):
    file_format = serializers.ChoiceField(choices=["csv", "xlsx"], default="csv")
    contract = serializers.IntegerField(min_value=1, required=False, help_text="One contract only.")


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


class PlanReasonOutput(OutputSerializer):
    field = serializers.CharField(help_text="The column (`drug_id`, `quantity`, `supplier_id`) or `buyer`.")
    code = serializers.CharField(help_text="A gate reason code, or `required`, `invalid`, `no_offer`.")
    message = serializers.CharField()


class PlanLineOutput(OutputSerializer):
    row = serializers.IntegerField(help_text="Spreadsheet row number (the header is row 1).")
    drug_id = serializers.IntegerField(allow_null=True)
    quantity = serializers.IntegerField(allow_null=True)
    supplier_id = serializers.IntegerField(allow_null=True)
    offer_id = serializers.IntegerField(allow_null=True, help_text="The offer the line would be ordered from.")
    unit_price = MoneyField(read_only=True, allow_null=True, help_text="What you would pay: your own price if lower.")
    gross = MoneyField(read_only=True, allow_null=True)
    eligible = serializers.BooleanField()
    reasons = PlanReasonOutput(many=True)


class PlanStoredLineOutput(ModelOutputSerializer):
    drug_id = serializers.IntegerField(source="drug_ref", allow_null=True, read_only=True)
    supplier_id = serializers.IntegerField(source="supplier_ref", allow_null=True, read_only=True)
    unit_price = MoneyField(read_only=True, allow_null=True, help_text="As checked: what you would pay then.")
    gross = MoneyField(read_only=True, allow_null=True)
    eligible = serializers.BooleanField(read_only=True)
    reasons = PlanReasonOutput(many=True, read_only=True)
    placed_unit_price = MoneyField(
        read_only=True, allow_null=True, help_text="The gate's price at placement (null until placed or skipped)."
    )
    price_changed = serializers.BooleanField(
        read_only=True, help_text="Placed at another price than checked: the price at placement applies."
    )

    class Meta:
        model = ProcurementPlanLine
        fields = [
            "row",
            "drug_id",
            "supplier_id",
            "quantity",
            "offer",
            "unit_price",
            "gross",
            "eligible",
            "reasons",
            "order_line",
            "placed_unit_price",
            "price_changed",
        ]


class PlanSummaryOutput(ModelOutputSerializer):
    class Meta:
        model = ProcurementPlan
        fields = ["id", "buyer", "file_name", "status", "checkout_id", "created_by", "created_at", "placed_at"]


class PlanOutput(PlanSummaryOutput):
    lines = PlanStoredLineOutput(many=True, read_only=True)

    class Meta(PlanSummaryOutput.Meta):
        fields = [*PlanSummaryOutput.Meta.fields, "lines"]


class PlanPlaceInput(StrictInputSerializer):
    eligible_only = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Order the eligible rows and leave the others out; without it a plan with an ineligible row is "
        "refused whole.",
    )
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PlanPlaceOutput(OutputSerializer):
    plan = PlanOutput()
    orders = OrderOutput(many=True, help_text="One order per supplier, sharing the plan's checkout_id.")


# --- the two-invoice chain (两票制) --------------------------------------------------------------------------------
class SoleSellerCreateInput(StrictInputSerializer):
    kind = serializers.ChoiceField(choices=SoleSellerKind.choices)
    drug_id = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="A drug you hold (MAH). Required for a national agent (an imported drug); empty for a sole sales "
        "company of every drug you hold. Platform admins: an imported drug whose holder is not on the platform.",
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
