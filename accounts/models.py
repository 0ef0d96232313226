from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Upper
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework_api_key.models import AbstractAPIKey, BaseAPIKeyManager

from accounts.choices import (
    FIRST_BUSINESS_REVIEW_KINDS,
    HAINAN_PROVINCE,
    MEDICAL_INSTITUTION_KINDS,
    TRADING_LICENSE_FOR_KIND,
    InvitationStatus,
    LicenseStatus,
    LicenseType,
    MemberRole,
    OrganizationKind,
    OrganizationStatus,
    Ownership,
    ReverificationStatus,
    ScopeTag,
)
from accounts.validators import validate_jurisdiction_code, validate_province_code, validate_uscc
from pharmex.choices import StaffRole
from pharmex.models import TransitionRecord


def default_min_shelf_life() -> int:
    return settings.MIN_SHELF_LIFE_DAYS


def default_credit_terms() -> int:
    return settings.DEFAULT_CREDIT_TERMS_DAYS


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def get_by_natural_key(self, email: str) -> User:
        """Sign-in ignores the case of the email, as registration stores it in lower case."""
        return self.get(email__iexact=email)

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.update(is_staff=True, is_superuser=True, staff_role=StaffRole.ADMIN)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in with an email address; staff hold a platform role, others memberships."""

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May sign in to the Django admin site.")
    staff_role = models.CharField(max_length=20, choices=StaffRole.choices, blank=True)
    date_joined = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Every token carries the version it was issued under (claim "tv"); signing out, changing or resetting the
    # password and deactivation move it on, which revokes every access and refresh token issued before.
    token_version = models.PositiveIntegerField(default=0)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            # Sign-in and invitations find a person by `email__iexact` (UPPER(email) = UPPER(%s)): this index answers
            # them, and refuses a second account whose email differs only in case (the admin site stores what it is
            # given), which sign-in could not tell apart.
            models.UniqueConstraint(
                Upper("email"),
                name="user_email_unique_any_case",
                violation_error_message=gettext_lazy("A person with this email, in any case, already exists."),
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def staff_roles(self) -> frozenset[str]:
        """A superuser holds every staff role, so `createsuperuser` makes a platform admin."""
        if not self.is_active:
            return frozenset()
        if self.is_superuser:
            return frozenset(StaffRole.values)
        return frozenset({self.staff_role}) if self.staff_role else frozenset()


class Organization(models.Model):
    """A licensed participant: a supplier (manufacturer, distributor) or buyer (distributor, hospital, …)."""

    legal_name = models.CharField(max_length=200)
    uscc = models.CharField("unified social credit code", max_length=18, unique=True, validators=[validate_uscc])
    kind = models.CharField(max_length=20, choices=OrganizationKind.choices)
    ownership = models.CharField(max_length=10, choices=Ownership.choices, blank=True)
    province_code = models.CharField(max_length=6, validators=[validate_province_code])
    # A regulator's jurisdiction (SPEC §7a): the province codes and the city/county codes (GB/T 2260,
    # pharmex.divisions) of the organisations it reads about.
    jurisdiction = ArrayField(
        models.CharField(max_length=6, validators=[validate_jurisdiction_code]),
        default=list,
        blank=True,
        help_text="Regulators only: the province codes (GB/T 2260, e.g. 460000) or Hainan city/county codes "
        "(e.g. 460100 海口市) whose organisations it may read.",
    )
    credit_terms_days = models.PositiveSmallIntegerField(default=default_credit_terms)
    min_shelf_life_days = models.PositiveSmallIntegerField(default=default_min_shelf_life)
    # Kept for v1 clients (API guide, versioning): since issue 13 a supplier elects 3% per drug, on the offer
    # (catalog SimplifiedVatElection), and this flag decides nothing.
    simplified_vat = models.BooleanField(
        default=False,
        help_text="Deprecated, no effect: simplified VAT (3%) is elected per offer "
        "(POST /offers/{id}/simplified-vat/).",
    )
    # As a buyer: order only from suppliers, and drugs, its quality staff approved (首营). None: the default
    # of its kind (FIRST_BUSINESS_REVIEW_KINDS); the owner may switch it either way.
    first_business_review = models.BooleanField(
        null=True,
        blank=True,
        help_text="Requires first-business approval (首营) before buying; empty: its kind's default.",
    )
    contact_phone = models.CharField(max_length=32, blank=True)
    address = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=20, choices=OrganizationStatus.choices, default=OrganizationStatus.PENDING)
    status_reason = models.CharField(max_length=500, blank=True)
    # When platform staff last verified it (first verification or a passed re-verification); re-verification is
    # due REVERIFICATION_INTERVAL_MONTHS later (SPEC §3).
    last_verified_at = models.DateTimeField(null=True, blank=True)
    # Hainan Free Trade Port (SPEC §4a): where on the island, and the two statuses only platform admins set (the
    # admin site stamps who verified them and when; an unverified status counts for nothing).
    city_county = models.CharField("city/county", max_length=60, blank=True, default="", db_default="")
    lecheng_designation_number = models.CharField(
        "Lecheng designation document number", max_length=64, blank=True, default="", db_default=""
    )
    lecheng_designation_valid_until = models.DateField(null=True, blank=True, help_text="Empty: not limited.")
    lecheng_verified_at = models.DateTimeField(null=True, blank=True)
    lecheng_verified_by = models.CharField(max_length=255, blank=True, default="", db_default="")
    zero_tariff_registration = models.CharField(
        "zero-tariff beneficiary registration (享惠主体)", max_length=64, blank=True, default="", db_default=""
    )
    zero_tariff_verified_at = models.DateTimeField(null=True, blank=True)
    zero_tariff_verified_by = models.CharField(max_length=255, blank=True, default="", db_default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=sorted(MEDICAL_INSTITUTION_KINDS), ownership__in=Ownership.values)
                | (~Q(kind__in=sorted(MEDICAL_INSTITUTION_KINDS)) & Q(ownership="")),
                name="organization_ownership_for_medical_institutions",
            ),
            models.CheckConstraint(condition=Q(credit_terms_days__lte=365), name="organization_credit_terms_max"),
            models.CheckConstraint(
                condition=Q(kind=OrganizationKind.REGULATOR) | Q(jurisdiction=[]),
                name="organization_jurisdiction_for_regulators",
            ),
        ]

    def __str__(self) -> str:
        return self.legal_name

    def clean(self) -> None:
        # The same rules as the database constraints, with a message that names the field.
        message = ownership_refusal(kind=self.kind, ownership=self.ownership)
        if message:
            raise ValidationError({"ownership": message})
        if self.kind == OrganizationKind.REGULATOR and not self.jurisdiction:
            raise ValidationError(
                {"jurisdiction": _("A regulator has a jurisdiction: at least one province or city/county code.")}
            )
        if self.kind != OrganizationKind.REGULATOR and self.jurisdiction:
            raise ValidationError({"jurisdiction": _("Only a regulator has a jurisdiction.")})

    @property
    def is_regulator(self) -> bool:
        return self.kind == OrganizationKind.REGULATOR

    @property
    def trading_license_type(self) -> str:
        return TRADING_LICENSE_FOR_KIND.get(self.kind, "")  # "" for a regulator, which never trades

    @property
    def requires_first_business_review(self) -> bool:
        if self.first_business_review is not None:
            return self.first_business_review
        return self.kind in FIRST_BUSINESS_REVIEW_KINDS

    @property
    def in_hainan(self) -> bool:
        return self.province_code == HAINAN_PROVINCE

    def is_lecheng_institution(self, on: date) -> bool:
        """A designated Boao Lecheng pilot-zone medical institution on `on` (admin-verified, designation valid)."""
        return (
            self.lecheng_verified_at is not None
            and bool(self.lecheng_designation_number)
            and (self.lecheng_designation_valid_until is None or self.lecheng_designation_valid_until >= on)
        )

    @property
    def is_zero_tariff_beneficiary(self) -> bool:
        """An eligible zero-tariff beneficiary (享惠主体) on the island, admin-verified."""
        return self.in_hainan and self.zero_tariff_verified_at is not None and bool(self.zero_tariff_registration)

    @property
    def is_public_institution(self) -> bool:
        """A public medical institution: it buys at or below the procurement ceiling."""
        return self.kind in MEDICAL_INSTITUTION_KINDS and self.ownership == Ownership.PUBLIC


def ownership_refusal(*, kind: str, ownership: str) -> str | None:
    """Why this ownership does not fit this kind of organisation (a message), or None."""
    if kind in MEDICAL_INSTITUTION_KINDS and ownership not in Ownership.values:
        return _("Medical institutions (hospitals and clinics) state their ownership (public or private).")
    if kind not in MEDICAL_INSTITUTION_KINDS and ownership:
        return _("Only medical institutions (hospitals and clinics) state an ownership.")
    return None


class OrganizationStatusChange(TransitionRecord):
    """One verification, suspension or reinstatement of an organisation (accounts.transitions)."""

    # Indexed by organization_change_recent, which leads with it: no index of its own.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="status_changes", db_index=False
    )

    class Meta(TransitionRecord.Meta):
        indexes = [models.Index(fields=["organization", "id"], name="organization_change_recent")]


class Membership(models.Model):
    """A user's role in one organisation."""

    # Indexed by membership_unique (user, organization), which leads with it: no index of its own.
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships", db_index=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=MemberRole.choices)
    # The last day this member may act (write) for the organisation; after it they may only read. Set for a
    # supplier's sales representative from their power of attorney (firstbusiness); None: no end.
    acts_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.organization_id} as {self.role}"


class Invitation(models.Model):
    """An owner's invitation of an email address to join its organisation with a role (SPEC §3).

    Nothing changes for the invitee until they accept; the secret of the emailed link is kept only as a hash.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()  # lower case
    role = models.CharField(max_length=20, choices=MemberRole.choices)
    token_hash = models.CharField(max_length=64, unique=True)  # SHA-256 (hex) of the secret sent by email
    invited_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=20, choices=InvitationStatus.choices, default=InvitationStatus.PENDING)
    expires_at = models.DateTimeField()
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    accepted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=Q(status=InvitationStatus.PENDING),
                name="invitation_one_pending_per_email",
            ),
            models.CheckConstraint(condition=Q(email=Lower("email")), name="invitation_email_lower_case"),
        ]
        indexes = [models.Index(fields=["email", "status"], name="invitation_invitee")]

    def __str__(self) -> str:
        return f"{self.email} to {self.organization_id} as {self.role} ({self.status})"

    @property
    def current_status(self) -> str:
        """The status as callers see it: a pending invitation past its expiry is expired."""
        if self.status == InvitationStatus.PENDING and self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return self.status


class InvitationStatusChange(TransitionRecord):
    """One acceptance, revocation or expiry of an invitation (accounts.transitions)."""

    # Indexed by invitation_change_recent, which leads with it: no index of its own.
    invitation = models.ForeignKey(Invitation, on_delete=models.CASCADE, related_name="status_changes", db_index=False)

    class Meta(TransitionRecord.Meta):
        indexes = [models.Index(fields=["invitation", "id"], name="invitation_change_recent")]


class License(models.Model):
    """A qualification certificate (资质) with its scope tags, validity and review outcome."""

    # Indexed by license_unique_number (organization, type, number), which leads with it: no index of its own.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="licenses", db_index=False)
    type = models.CharField(max_length=30, choices=LicenseType.choices)
    number = models.CharField(max_length=64)
    scope_tags = ArrayField(models.CharField(max_length=30, choices=ScopeTag.choices), default=list, blank=True)
    valid_from = models.DateField()
    valid_until = models.DateField()
    status = models.CharField(max_length=20, choices=LicenseStatus.choices, default=LicenseStatus.PENDING)
    review_note = models.CharField(max_length=500, blank=True)
    reviewed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # The expiry job's memory, so a rerun sends nothing twice: the smallest warning sent, and the expiry notice.
    expiry_warning_sent_days = models.PositiveSmallIntegerField(null=True, blank=True)
    expiry_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(valid_until__gte=models.F("valid_from")), name="license_valid_range"),
            models.UniqueConstraint(fields=["organization", "type", "number"], name="license_unique_number"),
        ]
        indexes = [models.Index(fields=["status", "valid_until"], name="license_status_until")]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.number}"


class LicenseStatusChange(TransitionRecord):
    """One review (approval, rejection) or resubmission of a licence (accounts.transitions)."""

    # Indexed by license_change_recent, which leads with it: no index of its own.
    license = models.ForeignKey(License, on_delete=models.CASCADE, related_name="status_changes", db_index=False)

    class Meta(TransitionRecord.Meta):
        indexes = [models.Index(fields=["license", "id"], name="license_change_recent")]


class Reverification(models.Model):
    """A periodic re-verification of a trading organisation (SPEC §3): the admin site's review queue.

    Opened REVERIFICATION_INTERVAL_MONTHS after the last verification; not decided within
    REVERIFICATION_GRACE_DAYS of `due_on`, the organisation is suspended (`suspended_at`) until a review passes.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="reverifications")
    status = models.CharField(max_length=10, choices=ReverificationStatus.choices, default=ReverificationStatus.OPEN)
    due_on = models.DateField(help_text="The review is due on this day; suspension follows after the grace days.")
    last_verified_at = models.DateTimeField(null=True, blank=True, help_text="The verification this one renews.")
    suspended_at = models.DateTimeField(null=True, blank=True, help_text="When the overdue review suspended it.")
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.CharField(max_length=255, blank=True)
    note = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(status=ReverificationStatus.OPEN),
                name="reverification_one_open_per_organization",
            )
        ]
        indexes = [models.Index(fields=["status", "due_on"], name="reverification_queue")]

    def __str__(self) -> str:
        return f"re-verification of {self.organization_id} due {self.due_on} ({self.status})"


class ReverificationStatusChange(TransitionRecord):
    """One decision on a re-verification (accounts.transitions)."""

    # Indexed by reverification_change_recent, which leads with it: no index of its own.
    reverification = models.ForeignKey(
        Reverification, on_delete=models.CASCADE, related_name="status_changes", db_index=False
    )

    class Meta(TransitionRecord.Meta):
        indexes = [models.Index(fields=["reverification", "id"], name="reverification_change_recent")]


class OrganizationApiKeyManager(BaseAPIKeyManager):
    pass


class OrganizationApiKey(AbstractAPIKey):
    """A machine client's key: belongs to an organisation, carries a role, stored only as a hash."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys")
    role = models.CharField(max_length=20, choices=MemberRole.choices)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrganizationApiKeyManager()

    class Meta(AbstractAPIKey.Meta):
        ordering = ["-created"]
        verbose_name = "API key"


class InsuranceFund(models.Model):
    """A medical insurance fund (医保基金) that pays suppliers directly for orders under a direct-settlement 集采
    contract (医保基金直接结算, SPEC §5a, §6). Platform staff manage it; it never signs in nor trades. It is a payer
    beside the buyers, not an organisation: its receivable is a ledger account of its own (settlements)."""

    name = models.CharField(max_length=200, unique=True)
    # Quoted in the fund's transfer references (PXF + id, settlements.references) or matched by its bank account.
    province_code = models.CharField(max_length=6, validators=[validate_province_code])
    bank_account_number = models.CharField(max_length=40, blank=True)
    settlement_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Days from receipt to the due date of the fund's part of an order; empty: FUND_SETTLEMENT_DAYS.",
    )
    active = models.BooleanField(default=True, help_text="Inactive: no new contract may name it.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        verbose_name = gettext_lazy("medical insurance fund")
        verbose_name_plural = gettext_lazy("medical insurance funds")
        constraints = [
            models.UniqueConstraint(
                fields=["bank_account_number"],
                condition=~Q(bank_account_number=""),
                name="insurance_fund_bank_account_unique",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def terms_days(self) -> int:
        return self.settlement_days if self.settlement_days is not None else settings.FUND_SETTLEMENT_DAYS
