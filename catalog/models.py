from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _

from accounts.selectors import may_trade_q
from catalog.choices import (
    UNNUMBERED_DRUG_TYPES,
    VAT_RATES,
    ApprovalFormat,
    CustomsStatus,
    DosageForm,
    DrugCategory,
    DrugStatus,
    DrugType,
    ImportFormat,
    ImportKind,
    ImportStatus,
    NrdlClass,
    OfferStatus,
    RestrictedClass,
    SimplifiedVatClass,
    SpecialClass,
    Storage,
)
from catalog.pinyin import initials, name_grams
from catalog.validators import (
    approval_format,
    normalize_code,
    validate_approval_number,
    validate_atc_code,
    validate_gtin,
    validate_national_drug_code,
    validate_nrdl_code,
    validate_province_codes,
)
from pharmex.models import TransitionRecord

# Unit prices carry 2 places (fen), as every amount in the API (SPEC §8); 18 digits leave room for totals.
MONEY_MAX_DIGITS = 18
MONEY_PLACES = 2
CODE_FIELDS = ("approval_number", "national_drug_code", "nrdl_code", "gtin", "atc_code")


class Drug(models.Model):
    """Regulated drug master data (药品): one row per approval number, specification and package."""

    approval_number = models.CharField(
        "批准文号", max_length=32, blank=True, validators=[validate_approval_number], help_text="Stored normalised."
    )
    approval_format = models.CharField(max_length=20, choices=ApprovalFormat.choices, blank=True, editable=False)
    generic_name = models.CharField("通用名称", max_length=200)
    brand_name = models.CharField("商品名", max_length=200, blank=True)
    english_name = models.CharField(max_length=300, blank=True)
    dosage_form = models.CharField("剂型", max_length=30, choices=DosageForm.choices)
    specification = models.CharField("规格", max_length=300)
    package = models.CharField("包装", max_length=100, help_text="As printed, e.g. 24片/盒.")
    sale_unit = models.CharField(max_length=10, help_text="The unit quantities are counted in, e.g. 盒.")
    min_unit = models.CharField(max_length=10, help_text="The smallest dispensing unit, e.g. 片.")
    units_per_pack = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    mah_name = models.CharField("上市许可持有人", max_length=200, blank=True)
    # The MAH as a platform organisation, where it is one (set by admins): it may recall its own drugs.
    mah_organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="held_drugs"
    )
    manufacturer_name = models.CharField("生产企业", max_length=300)
    drug_type = models.CharField(max_length=30, choices=DrugType.choices)
    category = models.CharField(max_length=10, choices=DrugCategory.choices)
    special_class = models.CharField(max_length=20, choices=SpecialClass.choices, default=SpecialClass.NONE)
    restricted_class = models.CharField(max_length=30, choices=RestrictedClass.choices, default=RestrictedClass.NONE)
    registration_valid_until = models.DateField(
        "文号有效期", null=True, blank=True, help_text="The registration's last valid day; empty: not limited."
    )
    simplified_vat_class = models.CharField(
        max_length=20, choices=SimplifiedVatClass.choices, blank=True, default=SimplifiedVatClass.NONE
    )
    storage = models.CharField(max_length=20, choices=Storage.choices, default=Storage.AMBIENT)
    national_drug_code = models.CharField(
        "药品本位码", max_length=14, blank=True, validators=[validate_national_drug_code]
    )
    atc_code = models.CharField(max_length=7, blank=True, validators=[validate_atc_code])
    nrdl_code = models.CharField("医保药品代码", max_length=23, blank=True, validators=[validate_nrdl_code])
    nrdl_class = models.CharField(max_length=1, choices=NrdlClass.choices, blank=True)
    gtin = models.CharField(max_length=14, blank=True, validators=[validate_gtin])
    # A special-licensed import for Boao Lecheng (特许药品, SPEC §4a): no Chinese approval number, its foreign
    # marketing authorisation instead; the generic name holds the product's Chinese name.
    special_licensed = models.BooleanField(default=False, db_default=False)
    foreign_ma_country = models.CharField(
        "foreign marketing authorisation: country", max_length=60, blank=True, default="", db_default=""
    )
    foreign_ma_holder = models.CharField(
        "foreign marketing authorisation: holder", max_length=200, blank=True, default="", db_default=""
    )
    foreign_product_name = models.CharField(
        "product name in the original language", max_length=300, blank=True, default="", db_default=""
    )
    currency = models.CharField(max_length=3, default="CNY", editable=False)
    status = models.CharField(max_length=20, choices=DrugStatus.choices, default=DrugStatus.PENDING_REVIEW)
    status_note = models.CharField(max_length=500, blank=True)
    proposed_by = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="proposed_drugs"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # When the drug left the market: reclassified into a banned class or its registration expired (its offers
    # paused, its open orders held). Cleared when neither holds any more; the offers stay paused until their
    # suppliers reactivate them.
    market_exit_at = models.DateTimeField(null=True, blank=True, editable=False)
    market_exit_reason = models.CharField(max_length=30, blank=True, editable=False)
    # Derived search columns (see catalog.pinyin); refreshed by refresh_derived() on every save.
    generic_initials = models.CharField(max_length=64, blank=True, editable=False)
    brand_initials = models.CharField(max_length=64, blank=True, editable=False)
    name_grams = ArrayField(models.CharField(max_length=2), default=list, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["approval_number", "specification", "package"],
                condition=~Q(approval_number=""),
                name="drug_unique_approval_spec_package",
            ),
            models.UniqueConstraint(
                fields=["generic_name", "manufacturer_name", "specification", "package"],
                condition=Q(approval_number=""),
                name="drug_unique_unnumbered",
            ),
            models.CheckConstraint(
                condition=Q(drug_type__in=sorted(UNNUMBERED_DRUG_TYPES))
                | ~Q(approval_number="")
                | Q(special_licensed=True),
                name="drug_approval_number_required",
            ),
            models.CheckConstraint(
                condition=Q(special_licensed=False)
                | (
                    Q(approval_number="")
                    & ~Q(foreign_ma_country="")
                    & ~Q(foreign_ma_holder="")
                    & ~Q(foreign_product_name="")
                ),
                name="drug_special_licensed_foreign_authorisation",
            ),
            models.CheckConstraint(condition=Q(units_per_pack__gte=1), name="drug_units_per_pack_positive"),
            models.CheckConstraint(condition=Q(nrdl_code="") | ~Q(nrdl_class=""), name="drug_nrdl_class_with_code"),
        ]
        indexes = [
            # Chosen by EXPLAIN on 100k drugs (BENCHMARKS.md, catalogue): substring and fuzzy name search.
            GinIndex(OpClass("generic_name", "gin_trgm_ops"), name="drug_generic_trgm"),
            GinIndex(OpClass("brand_name", "gin_trgm_ops"), name="drug_brand_trgm"),
            GinIndex(fields=["name_grams"], name="drug_name_grams"),
            models.Index(OpClass("generic_initials", "varchar_pattern_ops"), name="drug_generic_initials"),
            models.Index(OpClass("brand_initials", "varchar_pattern_ops"), name="drug_brand_initials"),
            models.Index(fields=["national_drug_code"], name="drug_ndc", condition=~Q(national_drug_code="")),
            models.Index(fields=["gtin"], name="drug_gtin", condition=~Q(gtin="")),
            models.Index(fields=["nrdl_code"], name="drug_nrdl", condition=~Q(nrdl_code="")),
            models.Index(fields=["status", "id"], name="drug_status_id"),
        ]

    def __str__(self) -> str:
        return f"{self.generic_name} {self.specification} {self.package}"

    def save(self, *args, **kwargs) -> None:
        self.refresh_derived()  # a derived column, not a side effect: bulk paths call refresh_derived() too
        super().save(*args, **kwargs)

    def refresh_derived(self) -> None:
        """Normalise the codes and derive the search columns (pure: no queries)."""
        for field in CODE_FIELDS:
            setattr(self, field, normalize_code(getattr(self, field)))
        self.approval_format = approval_format(self.approval_number) or ""
        self.generic_initials = initials(self.generic_name)
        self.brand_initials = initials(self.brand_name)
        self.name_grams = name_grams(self.generic_name, self.brand_name)

    def clean(self) -> None:
        self.refresh_derived()
        if self.special_licensed:
            missing = [
                f for f in ("foreign_ma_country", "foreign_ma_holder", "foreign_product_name") if not getattr(self, f)
            ]
            if self.approval_number or missing:
                raise ValidationError(
                    {
                        field: _(
                            "A special-licensed drug has no Chinese approval number and names its foreign "
                            "marketing authorisation (country, holder, original product name)."
                        )
                        for field in (["approval_number"] if self.approval_number else missing)
                    }
                )
        elif not self.approval_number and self.drug_type not in UNNUMBERED_DRUG_TYPES:
            raise ValidationError(
                {
                    "approval_number": _(
                        "Required for every drug type except TCM decoction pieces, institution preparations and "
                        "formula granules."
                    )
                }
            )
        if self.nrdl_code and not self.nrdl_class:
            raise ValidationError({"nrdl_class": _("Give the NRDL class (a = 甲, b = 乙) with an NRDL code.")})

    @property
    def effective_restricted_class(self) -> str:
        """The restricted class the rules apply: insulin (胰岛素) is a peptide, but not one of the restricted
        肽类激素."""
        if self.restricted_class == RestrictedClass.PEPTIDE_HORMONE and (
            "胰岛素" in self.generic_name or "insulin" in self.english_name.lower()
        ):
            return RestrictedClass.NONE
        return self.restricted_class

    def registration_expired(self, on: date) -> bool:
        """The registration (批准文号) ran out before `on`: the drug may not be sold from that day."""
        return self.registration_valid_until is not None and self.registration_valid_until < on

    def ceiling_in_force(self, on: date | None = None) -> CeilingPrice | None:
        """The ceiling period in force on `on` (today), or None. Loaders that already know it (the order gate's
        SQL, the market lists' prefetch) set `ceilings_in_force` for the day they ask about."""
        loaded = getattr(self, "ceilings_in_force", None)
        if loaded is not None:
            return loaded[0] if loaded else None
        return CeilingPrice.objects.in_force(on or timezone.localdate()).filter(drug=self).first()

    @cached_property
    def ceiling_price(self) -> Decimal | None:
        """The procurement ceiling per sale unit in force today (None: no ceiling)."""
        period = self.ceiling_in_force()
        return period.price if period is not None else None

    @cached_property
    def ceiling_effective_from(self) -> date | None:
        period = self.ceiling_in_force()
        return period.effective_from if period is not None and period.price is not None else None


class CeilingPriceQuerySet(models.QuerySet):
    def in_force(self, on: date) -> CeilingPriceQuerySet:
        return self.filter(Q(effective_until__isnull=True) | Q(effective_until__gte=on), effective_from__lte=on)


class CeilingPrice(models.Model):
    """One period of a drug's procurement ceiling price (集采/挂网限价), kept as history (SPEC §4).

    In force from `effective_from` to `effective_until` (inclusive; open-ended while empty). Periods of a drug
    never overlap: a new one closes the one before it the day before it starts. A period without a price ends
    the ceiling from its start.
    """

    # Indexed by ceiling_price_one_start_per_drug (drug, effective_from), which leads with it: no index of its own.
    drug = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="ceiling_prices", db_index=False)
    price = models.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_PLACES, null=True, blank=True, help_text="Per sale unit."
    )
    currency = models.CharField(max_length=3, default="CNY", editable=False)
    effective_from = models.DateField()
    effective_until = models.DateField(null=True, blank=True)
    set_by = models.CharField(max_length=255, help_text="The actor's audit label.")
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = CeilingPriceQuerySet.as_manager()

    class Meta:
        ordering = ["drug_id", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["drug", "effective_from"], name="ceiling_price_one_start_per_drug"),
            models.CheckConstraint(
                condition=Q(effective_until__isnull=True) | Q(effective_until__gte=F("effective_from")),
                name="ceiling_price_period_ordered",
            ),
            models.CheckConstraint(condition=Q(price__isnull=True) | Q(price__gt=0), name="ceiling_price_positive"),
        ]

    def __str__(self) -> str:
        return f"drug {self.drug_id}: {self.price} from {self.effective_from} until {self.effective_until or '…'}"


class DrugStatusChange(TransitionRecord):
    """One review of a drug's master data: approval or withdrawal (catalog.transitions)."""

    # Indexed by drug_change_recent, which leads with it: no index of its own.
    drug = models.ForeignKey(Drug, on_delete=models.CASCADE, related_name="status_changes", db_index=False)

    class Meta(TransitionRecord.Meta):
        indexes = [models.Index(fields=["drug", "id"], name="drug_change_recent")]


class OfferQuerySet(models.QuerySet):
    def on_market(self) -> OfferQuerySet:
        """Active offers of active drugs with a valid registration, from suppliers that may trade today (what buyers
        see)."""
        today = timezone.localdate()
        return self.filter(
            Q(drug__registration_valid_until__isnull=True) | Q(drug__registration_valid_until__gte=today),
            may_trade_q(prefix="supplier__"),
            status=OfferStatus.ACTIVE,
            drug__status=DrugStatus.ACTIVE,
        )


class Offer(models.Model):
    """A supplier's listing of a drug (挂网): price, VAT, stock and ordering terms, one per supplier and drug."""

    # Indexed by offer_unique_supplier_drug (supplier, drug) and offer_market, which lead with them: no index of
    # their own.
    supplier = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="offers", db_index=False
    )
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="offers", db_index=False)
    unit_price = models.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_PLACES, help_text="Tax-inclusive price per sale unit."
    )
    currency = models.CharField(max_length=3, default="CNY", editable=False)
    vat_rate = models.DecimalField(max_digits=4, decimal_places=2, choices=[(r, f"{r:.0%}") for r in VAT_RATES])
    stock = models.PositiveIntegerField(default=0, help_text="Available quantity in sale units.")
    min_order_quantity = models.PositiveIntegerField(default=1)
    order_multiple = models.PositiveIntegerField(default=1)
    lead_time_days = models.PositiveSmallIntegerField(default=2)
    provinces = ArrayField(
        models.CharField(max_length=6),
        default=list,
        blank=True,
        validators=[validate_province_codes],
        help_text="GB/T 2260 province codes shipped to; empty means nationwide.",
    )
    earliest_expiry = models.DateField(null=True, blank=True)
    # Hainan customs (SPEC §4a): set at listing, then changed only forward by a recorded event (catalog.customs).
    customs_status = models.CharField(
        max_length=20,
        choices=CustomsStatus.choices,
        default=CustomsStatus.DUTY_PAID,
        db_default=CustomsStatus.DUTY_PAID,
    )
    # Zero-tariff goods may cross the second line duty-free with the 30% value-added exemption (admin-verified) …
    value_added_certificate_number = models.CharField(max_length=64, blank=True, default="", db_default="")
    value_added_valid_until = models.DateField(null=True, blank=True)
    value_added_verified_at = models.DateTimeField(null=True, blank=True)
    value_added_verified_by = models.CharField(max_length=255, blank=True, default="", db_default="")
    # … or the supplier clears them at the second line itself (declaration and duty recorded before shipping).
    second_line_clearance = models.BooleanField(default=False, db_default=False)
    status = models.CharField(max_length=20, choices=OfferStatus.choices, default=OfferStatus.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OfferQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "drug"], name="offer_unique_supplier_drug"),
            # Orders reserve with a conditional F() update; the database refuses to oversell.
            models.CheckConstraint(condition=Q(stock__gte=0), name="offer_stock_not_negative"),
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="offer_price_positive"),
            models.CheckConstraint(condition=Q(min_order_quantity__gte=1), name="offer_min_order_positive"),
            models.CheckConstraint(condition=Q(order_multiple__gte=1), name="offer_multiple_positive"),
            models.CheckConstraint(condition=Q(vat_rate__in=VAT_RATES), name="offer_vat_rate_known"),
        ]
        indexes = [models.Index(fields=["drug", "status", "unit_price"], name="offer_market")]

    def __str__(self) -> str:
        return f"offer {self.pk}: {self.drug_id} by {self.supplier_id} at {self.unit_price}"

    @property
    def above_ceiling(self) -> bool:
        """Priced above the drug's procurement ceiling in force today: allowed, marked, not for public
        medical institutions."""
        ceiling = self.drug.ceiling_price
        return ceiling is not None and self.unit_price > ceiling

    def value_added_exempt(self, on: date) -> bool:
        """The offer carries an admin-verified 30% value-added exemption valid on `on`."""
        return (
            self.value_added_verified_at is not None
            and bool(self.value_added_certificate_number)
            and (self.value_added_valid_until is None or self.value_added_valid_until >= on)
        )

    @cached_property
    def vat_election(self) -> SimplifiedVatElection | None:
        """The supplier's running 3% simplified-VAT election for this drug, if any."""
        running = getattr(self.drug, "running_vat_elections", None)  # catalog.selectors prefetches them
        if running is None:
            running = list(SimplifiedVatElection.objects.filter(drug_id=self.drug_id, ended_on__isnull=True))
        return next((e for e in running if e.supplier_id == self.supplier_id), None)


class OfferStatusChange(TransitionRecord):
    """One pause, activation, suspension or reinstatement of an offer (catalog.transitions)."""

    # Indexed by offer_change_recent, which leads with it: no index of its own.
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="status_changes", db_index=False)

    class Meta(TransitionRecord.Meta):
        indexes = [models.Index(fields=["offer", "id"], name="offer_change_recent")]


class SimplifiedVatElection(models.Model):
    """A supplier's election of 3% simplified VAT (简易计税) for one drug it sells (SPEC §4).

    Locked for 36 months from `started_on` (财税〔2014〕57号): it may end on `locked_until` at the earliest. While
    it runs, the supplier's offer of the drug carries 3%. Ended elections stay as the record.
    """

    supplier = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="vat_elections")
    drug = models.ForeignKey(Drug, on_delete=models.PROTECT, related_name="vat_elections")
    started_on = models.DateField()
    locked_until = models.DateField(help_text="The first day the election may end (start + 36 months).")
    ended_on = models.DateField(null=True, blank=True)
    elected_by = models.CharField(max_length=255)
    ended_by = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "drug"], condition=Q(ended_on__isnull=True), name="vat_election_one_running"
            ),
            models.CheckConstraint(condition=Q(locked_until__gt=F("started_on")), name="vat_election_lock_after_start"),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("locked_until")),
                name="vat_election_ends_after_lock",
            ),
        ]

    def __str__(self) -> str:
        return f"3% VAT: drug {self.drug_id} by {self.supplier_id} since {self.started_on}"


class OfferPriceChange(models.Model):
    """Price history of an offer: old and new price, who changed it and when."""

    # Indexed by offer_price_change_offer, which leads with it: no index of its own.
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="price_changes", db_index=False)
    old_price = models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_PLACES)
    new_price = models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_PLACES)
    changed_by = models.CharField(max_length=255, help_text="The actor's audit label (user email or API key).")
    changed_by_user = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    import_job = models.ForeignKey("ImportJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["offer", "-changed_at"], name="offer_price_change_offer")]

    def __str__(self) -> str:
        return f"offer {self.offer_id}: {self.old_price} → {self.new_price}"


class ImportJob(models.Model):
    """A bulk import (offers by a supplier, drug master data by admins), processed by a Celery task.

    The file itself is kept in the row so any worker on any machine can process it, until the job is finished.
    """

    kind = models.CharField(max_length=10, choices=ImportKind.choices)
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="import_jobs"
    )
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by_label = models.CharField(max_length=255)
    file_name = models.CharField(max_length=255)
    file_format = models.CharField(max_length=5, choices=ImportFormat.choices)
    file_size = models.PositiveIntegerField()
    file_sha256 = models.CharField(max_length=64)
    content = models.BinaryField(blank=True, default=b"", editable=False)  # emptied once processed
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="[{row, column, message}], at most 1,000 kept.")
    errors_truncated = models.BooleanField(default=False)
    message = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(processed_rows__lte=F("total_rows")) | Q(total_rows=0), name="import_progress_bounded"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} import {self.pk} ({self.status})"

    @property
    def progress(self) -> float:
        return round(self.processed_rows / self.total_rows, 4) if self.total_rows else 0.0


from catalog.hainan_models import CustomsStatusChange, LechengApproval  # noqa: E402, F401  (Hainan, SPEC §4a)
