"""Input serializers (strict, shape only) and output serializers of the catalogue API."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.choices import PROVINCE_CODES
from catalog.choices import (
    VAT_RATES,
    ApprovalFormat,
    CustomsStatus,
    DosageForm,
    DrugCategory,
    DrugType,
    NrdlClass,
    OfferStatus,
    RestrictedClass,
    SimplifiedVatClass,
    SpecialClass,
    Storage,
)
from catalog.models import CeilingPrice, Drug, ImportJob, Offer, OfferPriceChange, SimplifiedVatElection
from catalog.validators import (
    normalize_code,
    validate_approval_number,
    validate_atc_code,
    validate_gtin,
    validate_national_drug_code,
    validate_nrdl_code,
)
from pharmex.api.serializers import (
    BusinessDateField,
    ModelOutputSerializer,
    MoneyField,
    OutputSerializer,
    StrictInputSerializer,
)
from pharmex.money import MAX_UNIT_PRICE


def _django_validator(validator):
    def run(value):
        try:
            validator(normalize_code(value))
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages, code=error.code) from None

    return run


def _code(validator, max_length: int, **kwargs) -> serializers.CharField:
    return serializers.CharField(
        max_length=max_length + 8, required=False, allow_blank=True, validators=[_django_validator(validator)], **kwargs
    )


class VatRateField(serializers.ChoiceField):
    """A VAT rate as a decimal string: "0.13", "0.09" or "0.03"."""

    def __init__(self, **kwargs):
        super().__init__(choices=[(f"{rate:.2f}", f"{rate:.0%}") for rate in VAT_RATES], **kwargs)

    def to_internal_value(self, data) -> Decimal:
        return Decimal(super().to_internal_value(data))

    def to_representation(self, value) -> str:
        return f"{Decimal(value):.2f}"


# --- drugs --------------------------------------------------------------------------------
class DrugProposeInput(StrictInputSerializer):
    approval_number = _code(validate_approval_number, 32, help_text="批准文号; empty only for TCM decoction pieces.")
    generic_name = serializers.CharField(max_length=200)
    brand_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    english_name = serializers.CharField(max_length=300, required=False, allow_blank=True)
    dosage_form = serializers.ChoiceField(choices=DosageForm.choices)
    specification = serializers.CharField(max_length=300)
    package = serializers.CharField(max_length=100)
    sale_unit = serializers.CharField(max_length=10)
    min_unit = serializers.CharField(max_length=10)
    units_per_pack = serializers.IntegerField(min_value=1, max_value=1_000_000)
    mah_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    manufacturer_name = serializers.CharField(max_length=300)
    drug_type = serializers.ChoiceField(choices=DrugType.choices)
    category = serializers.ChoiceField(choices=DrugCategory.choices)
    special_class = serializers.ChoiceField(choices=SpecialClass.choices, required=False)
    restricted_class = serializers.ChoiceField(
        choices=RestrictedClass.choices,
        required=False,
        help_text="蛋白同化制剂, 肽类激素 (not insulin), 终止妊娠药品, 含麻黄碱类复方制剂: sold to some buyers only.",
    )
    registration_valid_until = BusinessDateField(
        required=False, allow_null=True, days_ahead=366 * 30, help_text="文号有效期: the registration's last valid day."
    )
    simplified_vat_class = serializers.ChoiceField(
        choices=SimplifiedVatClass.choices,
        required=False,
        allow_blank=True,
        help_text="Why suppliers may elect 3% simplified VAT for it; empty: not eligible.",
    )
    storage = serializers.ChoiceField(choices=Storage.choices, required=False)
    national_drug_code = _code(validate_national_drug_code, 14)
    atc_code = _code(validate_atc_code, 7)
    nrdl_code = _code(validate_nrdl_code, 23)
    nrdl_class = serializers.ChoiceField(choices=NrdlClass.choices, required=False, allow_blank=True)
    gtin = _code(validate_gtin, 14)
    ceiling_price = MoneyField(
        required=False,
        allow_null=True,
        min_value=Decimal("0.01"),
        max_value=MAX_UNIT_PRICE,
        help_text="Starts a new ceiling period from ceiling_effective_from (POST /drugs/{id}/ceiling-prices/).",
    )
    ceiling_effective_from = BusinessDateField(required=False, allow_null=True)


class DrugUpdateInput(DrugProposeInput):
    """Admins correct master data; every field optional (PATCH)."""


class CeilingPriceInput(StrictInputSerializer):
    price = MoneyField(
        allow_null=True,
        min_value=Decimal("0.01"),
        max_value=MAX_UNIT_PRICE,
        help_text="Per sale unit; null ends the ceiling from effective_from.",
    )
    effective_from = BusinessDateField(days_ahead=366 * 5, help_text="After the start of the drug's latest period.")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class CeilingPriceOutput(ModelOutputSerializer):
    price = MoneyField(read_only=True, allow_null=True)

    class Meta:
        model = CeilingPrice
        fields = ["id", "price", "currency", "effective_from", "effective_until", "set_by", "note", "created_at"]


class DrugOutput(ModelOutputSerializer):
    ceiling_price = MoneyField(
        read_only=True, allow_null=True, help_text="The ceiling in force today (history: /drugs/{id}/ceiling-prices/)."
    )
    ceiling_effective_from = serializers.DateField(read_only=True, allow_null=True)
    approval_format = serializers.ChoiceField(
        choices=ApprovalFormat.choices,
        allow_blank=True,
        read_only=True,
        help_text="Empty when the drug has no approval number (TCM decoction pieces).",
    )

    class Meta:
        model = Drug
        fields = [
            "id",
            "approval_number",
            "approval_format",
            "generic_name",
            "brand_name",
            "english_name",
            "generic_initials",
            "dosage_form",
            "specification",
            "package",
            "sale_unit",
            "min_unit",
            "units_per_pack",
            "mah_name",
            "manufacturer_name",
            "drug_type",
            "category",
            "special_class",
            "restricted_class",
            "registration_valid_until",
            "simplified_vat_class",
            "market_exit_at",
            "storage",
            "national_drug_code",
            "atc_code",
            "nrdl_code",
            "nrdl_class",
            "gtin",
            "special_licensed",
            "foreign_ma_country",
            "foreign_ma_holder",
            "foreign_product_name",
            "ceiling_price",
            "ceiling_effective_from",
            "currency",
            "status",
            "created_at",
            "updated_at",
        ]


class DrugBriefOutput(ModelOutputSerializer):
    ceiling_price = MoneyField(read_only=True, allow_null=True)

    class Meta:
        model = Drug
        fields = [
            "id",
            "approval_number",
            "generic_name",
            "brand_name",
            "dosage_form",
            "specification",
            "package",
            "sale_unit",
            "manufacturer_name",
            "ceiling_price",
        ]


# --- offers -------------------------------------------------------------------------------
class OfferTermsInput(StrictInputSerializer):
    unit_price = MoneyField(
        min_value=Decimal("0.01"), max_value=MAX_UNIT_PRICE, help_text="Tax-inclusive price per sale unit (CNY)."
    )
    vat_rate = VatRateField(required=False, help_text="Default 0.13 (0.03 for an electing supplier's biologics).")
    stock = serializers.IntegerField(min_value=0, max_value=2_000_000_000)
    min_order_quantity = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False)
    order_multiple = serializers.IntegerField(min_value=1, max_value=1_000_000, required=False)
    lead_time_days = serializers.IntegerField(min_value=0, max_value=365, required=False)
    provinces = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(PROVINCE_CODES)), required=False, max_length=len(PROVINCE_CODES)
    )
    earliest_expiry = BusinessDateField(required=False, allow_null=True, days_ahead=366 * 30)
    second_line_clearance = serializers.BooleanField(
        required=False,
        help_text="Zero-tariff goods: you clear them at the second line (二线) yourself, so mainland buyers may order "
        "them; each such order ships only with its declaration number and duty amount.",
    )

    def validate_provinces(self, value: list[str]) -> list[str]:
        return sorted(set(value))


class OfferCreateInput(OfferTermsInput):
    drug = serializers.IntegerField(min_value=1)
    customs_status = serializers.ChoiceField(
        choices=CustomsStatus.choices,
        required=False,
        help_text="Hainan customs status of the goods (default duty_paid); later changed only forward, by "
        "POST /offers/{id}/customs-status/.",
    )


class OfferUpdateInput(OfferTermsInput):
    status = serializers.ChoiceField(
        choices=[(OfferStatus.ACTIVE, "active"), (OfferStatus.PAUSED, "paused")], required=False
    )


class VatElectionInput(StrictInputSerializer):
    started_on = BusinessDateField(
        required=False,
        days_ahead=0,
        help_text="The election's start (default today; earlier when you elected with the tax office before).",
    )


class VatElectionOutput(ModelOutputSerializer):
    class Meta:
        model = SimplifiedVatElection
        fields = ["id", "drug", "started_on", "locked_until", "ended_on", "elected_by", "ended_by", "created_at"]


class RunningVatElectionOutput(ModelOutputSerializer):
    class Meta:
        model = SimplifiedVatElection
        fields = ["started_on", "locked_until"]


class SupplierBriefOutput(OutputSerializer):
    id = serializers.IntegerField()
    legal_name = serializers.CharField()
    province_code = serializers.CharField()


class OfferOutput(ModelOutputSerializer):
    unit_price = MoneyField(read_only=True)
    vat_rate = VatRateField(read_only=True)
    drug = DrugBriefOutput()
    supplier = SupplierBriefOutput()
    above_ceiling = serializers.BooleanField(
        read_only=True,
        help_text="Priced above the drug's ceiling in force today: allowed, but public medical institutions cannot "
        "buy it.",
    )
    simplified_vat = RunningVatElectionOutput(
        source="vat_election",
        read_only=True,
        allow_null=True,
        help_text="The supplier's running 3% simplified-VAT election for the drug (null: none).",
    )
    value_added_exempt = serializers.SerializerMethodField(
        help_text="Zero-tariff goods with an admin-verified 30% value-added exemption valid today: they cross the "
        "second line duty-free."
    )

    class Meta:
        model = Offer
        fields = [
            "id",
            "drug",
            "supplier",
            "unit_price",
            "currency",
            "vat_rate",
            "simplified_vat",
            "above_ceiling",
            "stock",
            "min_order_quantity",
            "order_multiple",
            "lead_time_days",
            "provinces",
            "earliest_expiry",
            "customs_status",
            "second_line_clearance",
            "value_added_exempt",
            "value_added_certificate_number",
            "value_added_valid_until",
            "status",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.BooleanField())
    def get_value_added_exempt(self, offer: Offer) -> bool:
        return offer.value_added_exempt(timezone.localdate())


class OfferMarkOutput(OutputSerializer):
    code = serializers.CharField(help_text="The gate reason the line would get, e.g. `first_business_review_required`.")
    subject = serializers.CharField(help_text="What it concerns, e.g. `supplier` or `drug`.")
    message = serializers.CharField()


class MarketOfferOutput(OfferOutput):
    """An offer of the market view, with what the caller would still need before ordering it."""

    marks = serializers.SerializerMethodField(
        help_text="Reasons the caller could not order this offer yet but may resolve itself (its first-business "
        "review of the supplier or the drug); empty when it may order."
    )

    your_price = serializers.SerializerMethodField(
        help_text="Your own price for this offer where lower than `unit_price`: a negotiated price (协议价) the "
        "supplier set for you, or a volume-based procurement (集采) agreed price; null otherwise."
    )

    class Meta(OfferOutput.Meta):
        fields = [*OfferOutput.Meta.fields, "marks", "your_price"]

    @extend_schema_field(OfferMarkOutput(many=True))
    def get_marks(self, offer: Offer) -> list[dict]:
        return self.context.get("marks", {}).get(offer.pk, [])

    @extend_schema_field(MoneyField(read_only=True, allow_null=True))
    def get_your_price(self, offer: Offer) -> str | None:
        price = self.context.get("prices", {}).get(offer.pk)
        return None if price is None else f"{price:.2f}"


class OfferPriceChangeOutput(ModelOutputSerializer):
    old_price = MoneyField(read_only=True)
    new_price = MoneyField(read_only=True)

    class Meta:
        model = OfferPriceChange
        fields = ["id", "old_price", "new_price", "changed_by", "import_job", "changed_at"]


# --- imports ------------------------------------------------------------------------------
class ImportUploadInput(StrictInputSerializer):
    file = serializers.FileField(help_text="CSV (UTF-8 or GB18030) or XLSX, first row the column headers.")


class ImportErrorOutput(OutputSerializer):
    row = serializers.IntegerField(allow_null=True, help_text="Spreadsheet row number (the header is row 1).")
    column = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class ImportJobOutput(ModelOutputSerializer):
    progress = serializers.FloatField(read_only=True, help_text="Processed rows / total rows, 0 to 1.")
    counts = serializers.SerializerMethodField()
    errors = ImportErrorOutput(many=True)

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "kind",
            "status",
            "file_name",
            "file_format",
            "file_size",
            "total_rows",
            "processed_rows",
            "progress",
            "counts",
            "errors",
            "errors_truncated",
            "message",
            "created_by_label",
            "started_at",
            "finished_at",
            "created_at",
        ]

    @extend_schema_field(
        {
            "type": "object",
            "properties": {k: {"type": "integer"} for k in ("created", "updated", "unchanged", "failed")},
            "required": ["created", "updated", "unchanged", "failed"],
        }
    )
    def get_counts(self, job: ImportJob) -> dict[str, int]:
        return {
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
            "failed": job.failed_count,
        }


class CustomsStatusChangeInput(StrictInputSerializer):
    customs_status = serializers.ChoiceField(
        choices=[(CustomsStatus.ZERO_TARIFF, "zero_tariff"), (CustomsStatus.DUTY_PAID, "duty_paid")],
        help_text="Forward only: bonded → zero_tariff or duty_paid; zero_tariff → duty_paid.",
    )
    declaration_number = serializers.RegexField(
        r"^[0-9A-Za-z-]{6,64}$", help_text="The customs declaration (报关单) number of the entry."
    )
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True)
