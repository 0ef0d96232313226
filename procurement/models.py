"""Public procurement (SPEC §5a): delivery enterprises, contract prices, 集采 contracts, quotes, plans and the
two-invoice chain."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.validators import validate_jurisdiction_code
from catalog.models import MONEY_MAX_DIGITS, MONEY_PLACES
from pharmex.models import TransitionRecord
from procurement.choices import DesignationStatus, PlanStatus, QuoteStatus, SoleSellerKind, SoleSellerStatus

PRICE_PLACES = MONEY_PLACES


class DeliveryDesignation(models.Model):
    """A drug's manufacturer/MAH designates a distributor as its delivery enterprise (配送企业) for named public
    institutions and/or every institution of the listed regions (division codes), from valid_from to valid_until
    (open-ended when empty). It counts once the distributor accepted it; a revocation ends it on a date."""

    manufacturer = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="delivery_designations_made"
    )
    distributor = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="delivery_designations"
    )
    drug = models.ForeignKey("catalog.Drug", on_delete=models.PROTECT, related_name="delivery_designations")
    buyers = models.ManyToManyField("accounts.Organization", blank=True, related_name="designated_deliveries")
    # GB/T 2260 province codes, or Hainan city/county codes covering the organisations whose `city_county` is that
    # city or county (or one of its districts), as pharmex.divisions reads them.
    region_codes = ArrayField(
        models.CharField(max_length=6, validators=[validate_jurisdiction_code]), default=list, blank=True
    )
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=DesignationStatus.choices, default=DesignationStatus.PROPOSED)
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="designation_period_ordered",
            ),
            models.CheckConstraint(condition=~Q(manufacturer=F("distributor")), name="designation_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.distributor} → {self.drug} ({self.status})"


class DeliveryDesignationChange(TransitionRecord):
    designation = models.ForeignKey(DeliveryDesignation, on_delete=models.CASCADE, related_name="status_changes")


class ContractPrice(models.Model):
    """A supplier's negotiated price (协议价) for one buyer and drug over a period: the gate applies it to that
    buyer's orders of the supplier's offers of the drug when lower than the offer's price."""

    supplier = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="contract_prices")
    buyer = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="negotiated_prices")
    drug = models.ForeignKey("catalog.Drug", on_delete=models.PROTECT, related_name="contract_prices")
    unit_price = models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=PRICE_PLACES)
    currency = models.CharField(max_length=3, default="CNY", editable=False)
    valid_from = models.DateField()
    valid_until = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="contract_price_positive"),
            models.CheckConstraint(condition=Q(valid_until__gte=F("valid_from")), name="contract_price_period"),
        ]

    def __str__(self) -> str:
        return f"{self.drug} {self.unit_price} for {self.buyer}"


class ProcurementContract(models.Model):
    """A volume-based procurement result (集采中选结果) loaded by admins: in its period, the institutions with an
    agreed volume buy the drug from the winner (or its delivery enterprises) at no more than the agreed price."""

    programme = models.CharField(max_length=200)
    drug = models.ForeignKey("catalog.Drug", on_delete=models.PROTECT, related_name="procurement_contracts")
    supplier = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="won_contracts")
    agreed_price = models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=PRICE_PLACES)
    currency = models.CharField(max_length=3, default="CNY", editable=False)
    valid_from = models.DateField()
    valid_until = models.DateField()
    # 医保基金直接结算 (SPEC §5a, §6): the fund that pays the winner directly for the institutions' orders under this
    # contract; empty: the institutions pay as usual. The order lines record it at placement, like the price.
    settlement_fund = models.ForeignKey(
        "accounts.InsuranceFund",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="contracts",
        help_text="Direct settlement: the medical insurance fund pays the supplier for orders under this contract.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(agreed_price__gt=0), name="procurement_contract_price_positive"),
            models.CheckConstraint(condition=Q(valid_until__gte=F("valid_from")), name="procurement_contract_period"),
        ]

    def __str__(self) -> str:
        return f"{self.programme}: {self.drug}"


class ContractVolume(models.Model):
    """One institution's agreed annual volume (约定采购量) under a contract, in sale units."""

    # Indexed by contract_volume_once (contract, institution), which leads with it: no index of its own.
    contract = models.ForeignKey(ProcurementContract, on_delete=models.CASCADE, related_name="volumes", db_index=False)
    institution = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="contract_volumes")
    annual_volume = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "institution"], name="contract_volume_once"),
            models.CheckConstraint(condition=Q(annual_volume__gt=0), name="contract_volume_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.institution_id}: {self.annual_volume}"


class QuoteRequest(models.Model):
    """A buyer's request for quotation (询价): one drug, quantity and delivery date, sent to one or more suppliers
    (a Quote each)."""

    buyer = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="quote_requests")
    drug = models.ForeignKey("catalog.Drug", on_delete=models.PROTECT, related_name="quote_requests")
    quantity = models.PositiveIntegerField()
    delivery_date = models.DateField()
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="quote_request_quantity_positive")]

    def __str__(self) -> str:
        return f"RFQ {self.pk}: {self.drug_id} × {self.quantity}"


class Quote(models.Model):
    """One supplier's answer (报价) to a request: the offer it quotes from, a unit price and how long it holds.
    Accepted once: the order it became is `order`."""

    # Indexed by quote_once_per_supplier (request, supplier), which leads with it: no index of its own.
    request = models.ForeignKey(QuoteRequest, on_delete=models.CASCADE, related_name="quotes", db_index=False)
    supplier = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="quotes")
    status = models.CharField(max_length=20, choices=QuoteStatus.choices, default=QuoteStatus.REQUESTED)
    offer = models.ForeignKey("catalog.Offer", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    unit_price = models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=PRICE_PLACES, null=True, blank=True)
    currency = models.CharField(max_length=3, default="CNY", editable=False)
    valid_until = models.DateField(null=True, blank=True)
    order = models.OneToOneField("orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "supplier"], name="quote_once_per_supplier"),
            models.CheckConstraint(condition=Q(unit_price__isnull=True) | Q(unit_price__gt=0), name="quote_price"),
        ]

    def __str__(self) -> str:
        return f"Quote {self.pk} ({self.status})"


class QuoteChange(TransitionRecord):
    quote = models.ForeignKey(Quote, on_delete=models.CASCADE, related_name="status_changes")


class ProcurementPlan(models.Model):
    """A buyer's monthly plan (采购计划) as checked: every line priced and checked by the gate when uploaded, kept
    so that the buyer places what it saw (`checked` → `placed`, once, as one checkout)."""

    buyer = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="procurement_plans")
    file_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=20, choices=PlanStatus.choices, default=PlanStatus.CHECKED)
    created_by = models.CharField(max_length=255)  # the uploader's audit label
    checkout_id = models.UUIDField(null=True, blank=True, help_text="The checkout its orders share, once placed.")
    created_at = models.DateTimeField(default=timezone.now)
    placed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("procurement plan")
        verbose_name_plural = _("procurement plans")

    def __str__(self) -> str:
        return f"Plan {self.pk} ({self.status})"


class ProcurementPlanLine(models.Model):
    """One row of a plan as the file gave it (`drug_ref`, `supplier_ref`: ids that may name nothing) and as the
    gate saw it at the check: the offer chosen, its price, every reason; `order_line` and `placed_unit_price` once
    the plan is placed (the gate prices again at placement)."""

    # Indexed by plan_line_row_once (plan, row), which leads with it: no index of its own.
    plan = models.ForeignKey(ProcurementPlan, on_delete=models.CASCADE, related_name="lines", db_index=False)
    row = models.PositiveIntegerField(help_text="Spreadsheet row number (the header is row 1).")
    drug_ref = models.BigIntegerField(null=True, blank=True)
    supplier_ref = models.BigIntegerField(null=True, blank=True)
    quantity = models.PositiveIntegerField(null=True, blank=True)
    offer = models.ForeignKey("catalog.Offer", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    unit_price = models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=PRICE_PLACES, null=True, blank=True)
    gross = models.DecimalField(max_digits=MONEY_MAX_DIGITS, decimal_places=PRICE_PLACES, null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    order_line = models.OneToOneField(
        "orders.OrderLine", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    placed_unit_price = models.DecimalField(
        max_digits=MONEY_MAX_DIGITS, decimal_places=PRICE_PLACES, null=True, blank=True
    )

    class Meta:
        ordering = ["row"]
        verbose_name = _("procurement plan line")
        verbose_name_plural = _("procurement plan lines")
        constraints = [models.UniqueConstraint(fields=["plan", "row"], name="plan_line_row_once")]

    def __str__(self) -> str:
        return f"Row {self.row}"

    @property
    def eligible(self) -> bool:
        return not self.reasons

    @property
    def price_changed(self) -> bool:
        return self.placed_unit_price is not None and self.placed_unit_price != self.unit_price


class ProcurementPlanChange(TransitionRecord):
    plan = models.ForeignKey(ProcurementPlan, on_delete=models.CASCADE, related_name="status_changes")


# The two-invoice chain (两票制, SPEC §5a): who may issue the first invoice, the invoices up the chain before the
# platform sale, and the remote areas where one more invoice is allowed.


class SoleSeller(models.Model):
    """A manufacturer/MAH's registered sole sales company (唯一销售公司) — for all its drugs, or one — or the sole
    national agent (全国总代理) of one imported drug, registered by a platform admin for the drug alone when its holder
    abroad is not on the platform. It counts as a valid first-invoice issuer only once a platform admin verified it.
    The seller is identified by its unified social credit code; `seller` links it when it is an organisation on the
    platform."""

    manufacturer = models.ForeignKey(
        "accounts.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sole_sellers_registered",
        verbose_name=_("manufacturer / MAH"),
        help_text=_("Empty: the national agent of an imported drug whose holder abroad is not on the platform."),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=SoleSellerKind.choices)
    drug = models.ForeignKey(
        "catalog.Drug",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sole_sellers",
        verbose_name=_("drug"),
        help_text=_("Empty: every drug the manufacturer holds (a sole sales company only)."),
    )
    seller = models.ForeignKey(
        "accounts.Organization",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sole_seller_for",
        verbose_name=_("seller on the platform"),
    )
    seller_name = models.CharField(_("seller name"), max_length=200)
    seller_uscc = models.CharField(_("seller unified social credit code"), max_length=18)
    status = models.CharField(
        _("status"), max_length=20, choices=SoleSellerStatus.choices, default=SoleSellerStatus.PENDING
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    registered_by = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    verified_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("sole sales company / national agent")
        verbose_name_plural = _("sole sales companies / national agents")
        constraints = [
            # "Sole": one pending or verified per manufacturer (all drugs), per manufacturer and drug, and per drug held
            # abroad (no manufacturer).
            models.UniqueConstraint(
                fields=["manufacturer", "drug"],
                condition=Q(status__in=[SoleSellerStatus.PENDING, SoleSellerStatus.VERIFIED]),
                nulls_distinct=False,
                name="sole_seller_one_in_force",
            ),
            models.CheckConstraint(
                condition=~Q(kind=SoleSellerKind.SOLE_NATIONAL_AGENT) | Q(drug__isnull=False),
                name="sole_national_agent_names_a_drug",
            ),
            models.CheckConstraint(condition=~Q(seller=F("manufacturer")), name="sole_seller_not_self"),
            models.CheckConstraint(
                condition=Q(manufacturer__isnull=False) | Q(kind=SoleSellerKind.SOLE_NATIONAL_AGENT),
                name="sole_seller_manufacturer_or_national_agent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seller_name} ({self.get_kind_display()})"


class SoleSellerChange(TransitionRecord):
    sole_seller = models.ForeignKey(SoleSeller, on_delete=models.CASCADE, related_name="status_changes")

    class Meta(TransitionRecord.Meta):
        verbose_name = _("sole seller status change")
        verbose_name_plural = _("sole seller status changes")


class RemoteArea(models.Model):
    """A division (GB/T 2260: a province, or a Hainan city/county) whose public institutions may receive drugs
    through one more invoice than the two-invoice chain allows (边远地区). Set by platform admins."""

    code = models.CharField(
        _("division code"),
        max_length=6,
        unique=True,
        validators=[validate_jurisdiction_code],
        help_text=_("GB/T 2260: a province (460000) or a Hainan city/county (469025 白沙黎族自治县)."),
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["code"]
        verbose_name = _("remote area (two-invoice chain)")
        verbose_name_plural = _("remote areas (two-invoice chain)")

    def __str__(self) -> str:
        return self.code


class UpstreamInvoice(models.Model):
    """An invoice up the chain before the platform sale, recorded by the shipper on its shipment: the first
    invoice (manufacturer/MAH or its sole seller → the shipping distributor), or — for a buyer in a remote area —
    also the one before it (first issuer → distributor A, A → the shipping distributor B). It covers named
    shipment lines (lots). Parties are identified by unified social credit code; `issuer`/`recipient` link
    them when they are organisations on the platform."""

    # Indexed by upstream_invoice_once (shipment, issuer_uscc, number), which leads with it: no index of its own.
    shipment = models.ForeignKey(
        "orders.Shipment",
        on_delete=models.PROTECT,
        related_name="upstream_invoices",
        verbose_name=_("shipment"),
        db_index=False,
    )
    number = models.CharField(_("invoice number"), max_length=20)
    issue_date = models.DateField(_("issue date"))
    amount = models.DecimalField(_("total (tax included)"), max_digits=MONEY_MAX_DIGITS, decimal_places=MONEY_PLACES)
    issuer = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issuer_name = models.CharField(_("issuer name"), max_length=200)
    issuer_uscc = models.CharField(_("issuer unified social credit code"), max_length=18)
    recipient = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recipient_name = models.CharField(_("recipient name"), max_length=200)
    recipient_uscc = models.CharField(_("recipient unified social credit code"), max_length=18)
    lines = models.ManyToManyField("orders.ShipmentLine", related_name="upstream_invoices", verbose_name=_("lots"))
    recorded_by = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["shipment_id", "id"]
        verbose_name = _("upstream invoice (two-invoice chain)")
        verbose_name_plural = _("upstream invoices (two-invoice chain)")
        constraints = [
            models.UniqueConstraint(fields=["shipment", "issuer_uscc", "number"], name="upstream_invoice_once"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="upstream_invoice_amount_positive"),
            models.CheckConstraint(condition=~Q(issuer_uscc=F("recipient_uscc")), name="upstream_invoice_two_parties"),
        ]
        # The desk's search by what a staff member has from an invoice in hand (pharmex.admin.indexed_search).
        indexes = [
            models.Index(fields=["number"], name="upstream_invoice_number"),
            models.Index(fields=["issuer_uscc"], name="upstream_invoice_issuer_uscc"),
            models.Index(fields=["recipient_uscc"], name="upstream_invoice_recipient"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.issuer_name} → {self.recipient_name}"
