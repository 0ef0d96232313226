"""Input serializers (strict, shape only) and output serializers of the accounts API."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.choices import (
    MEDICAL_INSTITUTION_KINDS,
    PROVINCE_CODES,
    TRADING_KINDS,
    InvitationStatus,
    LicenseType,
    MemberRole,
    OrganizationKind,
    Ownership,
    ScopeTag,
)
from accounts.models import (
    Invitation,
    License,
    Membership,
    Organization,
    OrganizationApiKey,
    Reverification,
    User,
    ownership_refusal,
)
from accounts.selectors import organization_may_trade
from accounts.validators import validate_jurisdiction_code, validate_province_code, validate_uscc
from pharmex.api.serializers import (
    BusinessDateField,
    ModelOutputSerializer,
    OutputSerializer,
    PatternedCharField,
    StrictInputSerializer,
)
from pharmex.choices import StaffRole
from pharmex.divisions import CITY_COUNTY_CODES
from pharmex.models import AuditEvent

# The shapes the schema shows; the check character and the code list are the validators' (accounts/validators.py).
USCC_SHAPE = "[0-9A-HJ-NP-RTUW-Ya-hj-np-rtuw-y]{18}"  # GB 32100-2015 alphabet (upper-cased on the way in)
PROVINCE_SHAPE = "|".join(sorted(PROVINCE_CODES))
JURISDICTION_SHAPE = "|".join(sorted({*PROVINCE_CODES, *CITY_COUNTY_CODES}))


def _django_validator(validator):
    """Run a Django validator inside a DRF field so its message and code reach the problem body."""

    def run(value):
        try:
            validator(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages, code=error.code) from None

    return run


# --- registration -------------------------------------------------------------------------
class RegistrationOrganizationInput(StrictInputSerializer):
    legal_name = serializers.CharField(max_length=200)
    uscc = PatternedCharField(
        schema_pattern=USCC_SHAPE,
        max_length=18,
        validators=[_django_validator(validate_uscc)],
        help_text="统一社会信用代码: 18 characters of the GB 32100-2015 alphabet, the last a check character.",
    )
    # A regulator does not register itself: platform admins create it (SPEC §7a).
    kind = serializers.ChoiceField(choices=[(k, label) for k, label in OrganizationKind.choices if k in TRADING_KINDS])
    ownership = serializers.ChoiceField(choices=Ownership.choices, required=False, allow_blank=True, default="")
    province_code = PatternedCharField(
        schema_pattern=PROVINCE_SHAPE,
        max_length=6,
        validators=[_django_validator(validate_province_code)],
        help_text="Province-level GB/T 2260 code, for example 460000 (Hainan).",
    )

    def validate(self, attrs):
        message = ownership_refusal(kind=attrs["kind"], ownership=attrs.get("ownership", ""))
        if message:
            code = "required" if attrs["kind"] in MEDICAL_INSTITUTION_KINDS else "not_allowed"
            raise serializers.ValidationError({"ownership": [message]}, code=code)
        return attrs


class RegistrationOwnerInput(StrictInputSerializer):
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, min_length=8, max_length=128, style={"input_type": "password"})
    full_name = serializers.CharField(max_length=150, required=False, allow_blank=True, default="")


class RegistrationInput(StrictInputSerializer):
    organization = RegistrationOrganizationInput()
    owner = RegistrationOwnerInput()


# --- users and organisations --------------------------------------------------------------
class OrganizationOutput(ModelOutputSerializer):
    may_trade = serializers.SerializerMethodField(help_text="Verified and holding a valid trading licence today.")
    first_business_review_required = serializers.BooleanField(
        source="requires_first_business_review",
        read_only=True,
        help_text="As a buyer, it orders only from suppliers and drugs its quality staff approved (首营); by default "
        "true for hospitals, distributors and pharmacies, false for clinics.",
    )
    lecheng_institution = serializers.SerializerMethodField(
        help_text="A designated Boao Lecheng pilot-zone medical institution today (admin-verified, designation valid)."
    )
    zero_tariff_beneficiary = serializers.BooleanField(
        source="is_zero_tariff_beneficiary",
        read_only=True,
        help_text="An eligible zero-tariff beneficiary (享惠主体) on the island, admin-verified.",
    )

    class Meta:
        model = Organization
        fields = [
            "id",
            "legal_name",
            "uscc",
            "kind",
            "ownership",
            "province_code",
            "credit_terms_days",
            "min_shelf_life_days",
            "simplified_vat",
            "first_business_review_required",
            "contact_phone",
            "address",
            "city_county",
            "lecheng_institution",
            "lecheng_designation_number",
            "lecheng_designation_valid_until",
            "zero_tariff_beneficiary",
            "zero_tariff_registration",
            "status",
            "status_reason",
            "last_verified_at",
            "may_trade",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(serializers.BooleanField())
    def get_lecheng_institution(self, organization: Organization) -> bool:
        return organization.is_lecheng_institution(timezone.localdate())

    @extend_schema_field(serializers.BooleanField())
    def get_may_trade(self, organization: Organization) -> bool:
        annotated = getattr(organization, "may_trade", None)
        if annotated is not None:
            return annotated
        return organization_may_trade(organization=organization)


class OrganizationOwnerUpdateInput(StrictInputSerializer):
    """What an organisation's owner may change about it."""

    contact_phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    min_shelf_life_days = serializers.IntegerField(min_value=0, max_value=1825, required=False)
    simplified_vat = serializers.BooleanField(
        required=False,
        help_text="Deprecated, no effect: elect simplified VAT per offer (/offers/{id}/simplified-vat/).",
    )
    first_business_review_required = serializers.BooleanField(
        required=False,
        source="first_business_review",
        help_text="Require first-business approval (首营) of suppliers and drugs before buying from them.",
    )


class OrganizationAdminUpdateInput(OrganizationOwnerUpdateInput):
    """Platform admins may also correct registration data and grant credit terms."""

    legal_name = serializers.CharField(max_length=200, required=False, help_text="Platform admins only.")
    province_code = PatternedCharField(
        schema_pattern=PROVINCE_SHAPE,
        max_length=6,
        required=False,
        validators=[_django_validator(validate_province_code)],
        help_text="Platform admins only. Province-level GB/T 2260 code, for example 460000 (Hainan).",
    )
    ownership = serializers.ChoiceField(
        choices=Ownership.choices, required=False, allow_blank=True, help_text="Platform admins only."
    )
    credit_terms_days = serializers.IntegerField(
        min_value=0, max_value=365, required=False, help_text="Platform admins only."
    )


class MembershipBriefOutput(ModelOutputSerializer):
    organization = OrganizationOutput()

    class Meta:
        model = Membership
        fields = ["id", "role", "organization"]


class MeOutput(ModelOutputSerializer):
    staff_roles = serializers.SerializerMethodField()
    memberships = MembershipBriefOutput(many=True)

    class Meta:
        model = User
        fields = ["id", "email", "full_name", "staff_roles", "memberships"]

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=StaffRole.choices)))
    def get_staff_roles(self, user: User) -> list[str]:
        return sorted(user.staff_roles)


class RegistrationOutput(OutputSerializer):
    organization = OrganizationOutput()
    owner = MeOutput()


# --- members ------------------------------------------------------------------------------
class MemberOutput(ModelOutputSerializer):
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")
    user_id = serializers.IntegerField(source="user.id")

    class Meta:
        model = Membership
        fields = ["id", "user_id", "email", "full_name", "role", "created_at"]


class MemberRoleInput(StrictInputSerializer):
    role = serializers.ChoiceField(choices=MemberRole.choices)


# --- invitations --------------------------------------------------------------------------
class InvitationInput(StrictInputSerializer):
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=MemberRole.choices, help_text="An owner may invite owners too.")


class InvitationOrganizationOutput(ModelOutputSerializer):
    """The inviting organisation, as far as an invitee may see it before joining."""

    class Meta:
        model = Organization
        fields = ["id", "legal_name"]


class InvitationOutput(ModelOutputSerializer):
    """An invitation to join an organisation; never its secret code."""

    organization = InvitationOrganizationOutput()
    status = serializers.ChoiceField(
        source="current_status",
        choices=InvitationStatus.choices,
        help_text="A pending invitation past `expires_at` is `expired`.",
    )

    class Meta:
        model = Invitation
        fields = ["id", "organization", "email", "role", "status", "expires_at", "accepted_at", "created_at"]


class InvitationAcceptInput(StrictInputSerializer):
    """Accepting with the emailed code; a password (and name) only to create the account."""

    token = serializers.CharField(max_length=128, help_text="The invitation code from the email's link.")
    password = serializers.CharField(
        write_only=True,
        min_length=8,
        max_length=128,
        required=False,
        style={"input_type": "password"},
        help_text="Only when the invited email has no account yet: the new account's password.",
    )
    full_name = serializers.CharField(
        max_length=150, required=False, allow_blank=True, help_text="Only with `password`: the new account's name."
    )


# --- licences -----------------------------------------------------------------------------
class LicenseOutput(ModelOutputSerializer):
    scope_tags = serializers.ListField(child=serializers.ChoiceField(choices=ScopeTag.choices))

    class Meta:
        model = License
        fields = [
            "id",
            "organization",
            "type",
            "number",
            "scope_tags",
            "valid_from",
            "valid_until",
            "status",
            "review_note",
            "reviewed_at",
            "created_at",
            "updated_at",
        ]


class LicenseInput(StrictInputSerializer):
    type = serializers.ChoiceField(choices=LicenseType.choices)
    number = serializers.CharField(max_length=64)
    scope_tags = serializers.ListField(
        child=serializers.ChoiceField(choices=ScopeTag.choices), required=False, default=list, max_length=len(ScopeTag)
    )
    valid_from = BusinessDateField(earliest=date(1980, 1, 1), days_ahead=366 * 50)
    valid_until = BusinessDateField(earliest=date(1980, 1, 1), days_ahead=366 * 100)

    def validate(self, attrs):
        start = attrs.get("valid_from", getattr(self.instance, "valid_from", None))
        end = attrs.get("valid_until", getattr(self.instance, "valid_until", None))
        if start and end and end < start:
            raise serializers.ValidationError({"valid_until": ["Must not be before valid_from."]}, code="date_range")
        if "scope_tags" in attrs:
            attrs["scope_tags"] = sorted(set(attrs["scope_tags"]))
        return attrs


# --- API keys -----------------------------------------------------------------------------
API_KEY_ROLES = [(role.value, role.label) for role in MemberRole if role != MemberRole.OWNER]


class ApiKeyOutput(ModelOutputSerializer):
    # The public id is the key's unique prefix; the primary key embeds the hash of the secret.
    id = serializers.CharField(source="prefix", read_only=True)

    class Meta:
        model = OrganizationApiKey
        fields = ["id", "name", "prefix", "role", "created", "expiry_date", "revoked", "last_used_at"]


class ApiKeyCreatedOutput(ApiKeyOutput):
    key = serializers.CharField(
        allow_null=True, help_text="The secret: shown only in this response (null in an idempotent replay)."
    )

    class Meta(ApiKeyOutput.Meta):
        fields = [*ApiKeyOutput.Meta.fields, "key"]


class ApiKeyInput(StrictInputSerializer):
    name = serializers.CharField(max_length=50)
    role = serializers.ChoiceField(choices=API_KEY_ROLES, help_text="Keys cannot be owners.")
    expiry_date = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate_expiry_date(self, value):
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError("Must be in the future.", code="past")
        return value


# --- audit --------------------------------------------------------------------------------
class AuditEventOutput(ModelOutputSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "occurred_at",
            "actor_type",
            "actor_user_id",
            "actor_api_key_id",
            "actor_label",
            "organization_id",
            "action",
            "object_type",
            "object_id",
            "changes",
            "request_id",
            "sequence",
            "hash",
        ]


# --- sessions and passwords ---------------------------------------------------------------
class TokenObtainInput(StrictInputSerializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class TokenRefreshInput(StrictInputSerializer):
    refresh = serializers.CharField(max_length=2000)


class TokenPairOutput(OutputSerializer):
    access = serializers.CharField(help_text="Send as `Authorization: Bearer <access>`; short-lived.")
    refresh = serializers.CharField(help_text="Exchange at /auth/token/refresh/ for a new access token.")


class AccessTokenOutput(OutputSerializer):
    access = serializers.CharField(help_text="Send as `Authorization: Bearer <access>`; short-lived.")


class PasswordChangeInput(StrictInputSerializer):
    old_password = serializers.CharField(max_length=128, style={"input_type": "password"})
    new_password = serializers.CharField(min_length=8, max_length=128, style={"input_type": "password"})


class PasswordResetInput(StrictInputSerializer):
    email = serializers.EmailField()


class PasswordResetConfirmInput(StrictInputSerializer):
    uid = serializers.CharField(max_length=64)
    token = serializers.CharField(max_length=128)
    new_password = serializers.CharField(min_length=8, max_length=128, style={"input_type": "password"})


class OrganizationBriefOutput(OutputSerializer):
    id = serializers.IntegerField()
    legal_name = serializers.CharField()
    kind = serializers.ChoiceField(choices=OrganizationKind.choices)
    status = serializers.CharField()


class ReverificationOutput(ModelOutputSerializer):
    organization = OrganizationBriefOutput()

    class Meta:
        model = Reverification
        fields = [
            "id",
            "organization",
            "status",
            "due_on",
            "last_verified_at",
            "suspended_at",
            "decided_at",
            "decided_by",
            "note",
            "created_at",
            "updated_at",
        ]


# --- regulators (SPEC §7a) ----------------------------------------------------------------------
def province_code_field() -> PatternedCharField:
    return PatternedCharField(
        schema_pattern=PROVINCE_SHAPE,
        max_length=6,
        validators=[_django_validator(validate_province_code)],
        help_text="Province-level GB/T 2260 code, for example 460000 (Hainan).",
    )


def jurisdiction_code_field() -> PatternedCharField:
    return PatternedCharField(
        schema_pattern=JURISDICTION_SHAPE,
        max_length=6,
        validators=[_django_validator(validate_jurisdiction_code)],
        help_text="GB/T 2260 code: a province (e.g. 460000 Hainan) or a Hainan city/county (e.g. 460100 海口市).",
    )


class RegulatorCreateInput(StrictInputSerializer):
    legal_name = serializers.CharField(max_length=200, help_text="e.g. 海南省药品监督管理局")
    uscc = PatternedCharField(
        schema_pattern=USCC_SHAPE,
        max_length=18,
        validators=[_django_validator(validate_uscc)],
        help_text="统一社会信用代码 of the authority.",
    )
    province_code = province_code_field()
    jurisdiction = serializers.ListField(
        child=jurisdiction_code_field(),
        min_length=1,
        max_length=40,
        help_text="The provinces and Hainan cities/counties whose organisations it reads about (GB/T 2260 codes: "
        "a province code covers the province, a city/county code the organisations whose city/county is it).",
    )
    inspectors = serializers.ListField(
        child=serializers.EmailField(),
        min_length=1,
        max_length=50,
        help_text="Emails invited to join it (as viewers: a regulator's members only read).",
    )


class RegulatorOutput(ModelOutputSerializer):
    class Meta:
        model = Organization
        fields = ["id", "legal_name", "uscc", "kind", "province_code", "jurisdiction", "status", "created_at"]


class RegulatorInspectorInput(StrictInputSerializer):
    email = serializers.EmailField(help_text="Invited to join the regulator as a viewer (inspectors only read).")


class RegulatorInspectorsOutput(OutputSerializer):
    members = MemberOutput(many=True, help_text="Its inspectors: remove one with DELETE …/inspectors/{id}/.")
    pending_invitations = InvitationOutput(many=True, help_text="Invitations not yet accepted.")
