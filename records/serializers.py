from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from pharmex.api.serializers import BusinessDateField, OutputSerializer, UTCDateTimeField
from pharmex.exports import CONTENT_TYPES
from records.selectors import KINDS

FORMATS = list(CONTENT_TYPES)


class RecordQuery(serializers.Serializer):
    date_from = BusinessDateField(days_ahead=366)
    date_to = BusinessDateField(days_ahead=366)
    organization = serializers.IntegerField(max_value=2**63 - 1, required=False)  # no such organisation: 404

    def validate(self, data: dict) -> dict:
        if data["date_to"] < data["date_from"]:
            raise serializers.ValidationError({"date_to": [_("Must be on or after date_from.")]}, code="date_range")
        return data


class RecordExportQuery(RecordQuery):
    file_format = serializers.ChoiceField(choices=FORMATS, default="csv")


class RecordOutput(OutputSerializer):
    """One GSP purchase or sales record, as the order and shipment recorded it."""

    record_type = serializers.ChoiceField(choices=KINDS, help_text="`purchase` (购进) or `sales` (销售).")
    date = UTCDateTimeField(
        help_text="When the goods were received (入库验收); for a return, when the supplier received it back."
    )
    order_number = serializers.CharField()
    shipment_sequence = serializers.IntegerField()
    counterparty_name = serializers.CharField(help_text="The supplier (purchase) or buyer (sales), at placement.")
    counterparty_license_number = serializers.CharField(help_text="Its trading licence number at placement.")
    generic_name = serializers.CharField(help_text="通用名称")
    brand_name = serializers.CharField()
    dosage_form = serializers.CharField(help_text="剂型")
    specification = serializers.CharField(help_text="规格")
    package = serializers.CharField()
    manufacturer_name = serializers.CharField(help_text="生产企业")
    mah_name = serializers.CharField(help_text="上市许可持有人")
    approval_number = serializers.CharField(help_text="批准文号")
    place_of_origin = serializers.CharField(help_text="产地 (中药饮片); empty when not recorded.")
    lot_number = serializers.CharField()
    expiry_date = serializers.DateField()
    quantity = serializers.IntegerField(help_text="Units accepted; negative for a return.")
    unit = serializers.CharField()
    unit_price = serializers.DecimalField(max_digits=18, decimal_places=2)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2, help_text="Negative for a return.")
    staff = serializers.CharField(help_text="Who received (purchase) or shipped (sales) the goods.")
    invoice_numbers = serializers.CharField(help_text="The shipment's invoice numbers, comma separated.")
    reason = serializers.CharField(help_text="A return's reason; empty otherwise.")
