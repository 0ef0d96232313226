"""Input serializers (strict, shape only) and output serializers of the first-business API."""

from __future__ import annotations

from datetime import date

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.choices import PROVINCE_CODES
from accounts.models import Organization
from catalog.models import Drug
from firstbusiness.choices import CURRENT_STATUSES, DocumentType, ReviewStatus
from firstbusiness.models import Document, DocumentAccess, DocumentShare, FirstBusinessReview, SalesRepresentative
from pharmex.api.serializers import (
    BusinessDateField,
    ModelOutputSerializer,
    OutputSerializer,
    StrictInputSerializer,
    UTCDateTimeField,
)

ID_NUMBER = r"^[0-9]{17}[0-9X]$"
EARLIEST = date(1990, 1, 1)  # licences and registrations are renewed every five years: older is a typo


class DocumentPartyOutput(ModelOutputSerializer):
    class Meta:
        model = Organization
        fields = ["id", "legal_name", "kind"]


class DocumentDrugOutput(ModelOutputSerializer):
    class Meta:
        model = Drug
        fields = ["id", "generic_name", "specification", "approval_number"]


# --- documents ---------------------------------------------------------------------------------
class DocumentUploadInput(StrictInputSerializer):
    json_types = False  # multipart/form-data: every value is text

    file = serializers.FileField(help_text="PDF, PNG or JPEG, checked by its content; at most DOCUMENT_MAX_BYTES.")
    type = serializers.ChoiceField(choices=DocumentType.choices)
    title = serializers.CharField(max_length=200)
    replaces = serializers.IntegerField(
        required=False, min_value=1, help_text="Your document this one is the next version of (same type, subject)."
    )
    license_id = serializers.IntegerField(required=False, min_value=1, help_text="`license_copy`: your licence.")
    representative_id = serializers.IntegerField(
        required=False, min_value=1, help_text="`representative_*`: your sales representative."
    )
    drug_id = serializers.IntegerField(
        required=False, min_value=1, help_text="`drug_registration`, `quality_standard`, `inspection_report`."
    )
    lot = serializers.CharField(required=False, max_length=64, help_text="`inspection_report`: the lot (批号).")
    scope_drug_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=500,
        help_text="`representative_authorization`: the drugs it covers (repeat the field; none: all yours).",
    )
    scope_provinces = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(PROVINCE_CODES)),
        required=False,
        max_length=len(PROVINCE_CODES),
        help_text="`representative_authorization`: GB/T 2260 province codes it covers (none: everywhere).",
    )
    valid_from = BusinessDateField(required=False, earliest=EARLIEST)
    valid_until = BusinessDateField(
        required=False,
        earliest=EARLIEST,
        help_text="Required for quality agreements, powers of attorney and registration certificates; a licence "
        "copy takes its licence's validity.",
    )


class DocumentOutput(ModelOutputSerializer):
    organization = DocumentPartyOutput()
    drug = DocumentDrugOutput(allow_null=True)
    license_id = serializers.IntegerField(allow_null=True)
    representative_id = serializers.IntegerField(allow_null=True)
    scope_drug_ids = serializers.SerializerMethodField()
    current = serializers.SerializerMethodField(
        help_text="The current version of its series: neither superseded nor rejected."
    )

    class Meta:
        model = Document
        fields = [
            "id",
            "organization",
            "type",
            "title",
            "license_id",
            "representative_id",
            "drug",
            "lot",
            "scope_drug_ids",
            "scope_provinces",
            "valid_from",
            "valid_until",
            "series",
            "version",
            "current",
            "status",
            "review_note",
            "reviewed_at",
            "superseded_at",
            "content_type",
            "size",
            "sha256",
            "original_name",
            "uploaded_by_label",
            "created_at",
        ]

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_scope_drug_ids(self, document: Document) -> list[int]:
        return sorted(drug.pk for drug in document.scope_drugs.all())

    @extend_schema_field(serializers.BooleanField())
    def get_current(self, document: Document) -> bool:
        return document.status in CURRENT_STATUSES


class DocumentLinkOutput(OutputSerializer):
    url = serializers.URLField(help_text="GET it, signed in as the same caller, before it expires.")
    expires_at = UTCDateTimeField()


class DocumentAccessOutput(ModelOutputSerializer):
    class Meta:
        model = DocumentAccess
        fields = ["id", "kind", "organization_id", "actor", "request_id", "created_at"]


# --- sales representatives -----------------------------------------------------------------------
class RepresentativeCreateInput(StrictInputSerializer):
    full_name = serializers.CharField(max_length=100)
    id_number = serializers.RegexField(ID_NUMBER, help_text="居民身份证号码, 18 characters.")
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    user_id = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text="The representative's own account, a member of your organisation: it may act only while a "
        "power of attorney of this representative is valid.",
    )


class RepresentativeUpdateInput(StrictInputSerializer):
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    user_id = serializers.IntegerField(required=False, allow_null=True, min_value=1)


class RepresentativeOutput(ModelOutputSerializer):
    organization = DocumentPartyOutput()
    id_number = serializers.SerializerMethodField(help_text="In full for its own organisation, else masked.")
    user_id = serializers.IntegerField(allow_null=True)

    class Meta:
        model = SalesRepresentative
        fields = ["id", "organization", "full_name", "id_number", "phone", "user_id", "status", "created_at"]

    def get_id_number(self, representative: SalesRepresentative) -> str:
        if self.context.get("organization_id") == representative.organization_id:
            return representative.id_number
        return representative.id_number[:6] + "*" * 8 + representative.id_number[-4:]

    def to_representation(self, representative):
        data = super().to_representation(representative)
        if self.context.get("organization_id") != representative.organization_id:
            data["user_id"] = None  # who holds the account is the supplier's business
        return data


# --- shares ----------------------------------------------------------------------------------------
class ShareRequestInput(StrictInputSerializer):
    provider_id = serializers.IntegerField(min_value=1, help_text="The organisation whose documents you ask for.")


class ShareSendInput(StrictInputSerializer):
    recipient_id = serializers.IntegerField(min_value=1, help_text="The organisation you share your documents with.")


class ShareOutput(ModelOutputSerializer):
    provider = DocumentPartyOutput()
    recipient = DocumentPartyOutput()

    class Meta:
        model = DocumentShare
        fields = ["id", "provider", "recipient", "status", "shared_at", "created_at", "updated_at"]


# --- reviews ----------------------------------------------------------------------------------------
class ReviewApproveInput(StrictInputSerializer):
    supplier_id = serializers.IntegerField(min_value=1)
    drug_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, default=None, help_text="Empty: the supplier (首营企业)."
    )
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ReviewRejectInput(ReviewApproveInput):
    note = serializers.CharField(max_length=1000)


class ReviewBasisOutput(OutputSerializer):
    document_id = serializers.IntegerField()
    type = serializers.ChoiceField(choices=DocumentType.choices)
    version = serializers.IntegerField()
    sha256 = serializers.CharField()
    valid_until = serializers.DateField(allow_null=True)


class ReviewOutput(ModelOutputSerializer):
    supplier = DocumentPartyOutput()
    drug = DocumentDrugOutput(allow_null=True)
    basis = ReviewBasisOutput(many=True, help_text="The document versions the approval rests on, as reviewed.")
    in_force = serializers.SerializerMethodField(help_text="Approved and not past `valid_until` today.")

    class Meta:
        model = FirstBusinessReview
        fields = [
            "id",
            "supplier",
            "drug",
            "status",
            "in_force",
            "note",
            "decided_at",
            "valid_until",
            "basis",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.BooleanField())
    def get_in_force(self, review: FirstBusinessReview) -> bool:
        return review.status == ReviewStatus.APPROVED and (
            review.valid_until is None or review.valid_until >= timezone.localdate()
        )
