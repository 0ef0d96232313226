"""Offers: the listing rules (SPEC §4), price history, and stock for the orders app."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import SUPPLIER_KINDS
from accounts.models import Organization
from accounts.selectors import trading_standing
from catalog import sql
from catalog.choices import (
    COLD_STORAGE,
    NETWORK_BANNED_DRUG_TYPES,
    NETWORK_BANNED_SPECIAL_CLASSES,
    REDUCED_VAT_DRUG_TYPES,
    VAT_GENERAL,
    VAT_REDUCED,
    VAT_SIMPLIFIED,
    CustomsStatus,
    DrugStatus,
    DrugType,
    OfferStatus,
)
from catalog.customs import customs_listing_record, customs_listing_refusal
from catalog.errors import (
    DrugNotActive,
    LicenseScopeMissing,
    NetworkSaleBanned,
    NotASupplier,
    OfferExists,
    OfferHasOrders,
    OfferSuspended,
    RegistrationExpired,
    SupplierMayNotTrade,
    VatRateNotAllowed,
)
from catalog.models import Drug, Offer, OfferPriceChange, SimplifiedVatElection
from catalog.selectors import drug_for_offer
from catalog.transitions import OFFER
from pharmex.actor import Actor
from pharmex.audit import audit_record, diff
from pharmex.choices import StaffRole
from pharmex.errors import DomainError, InvalidInput, NotAParty
from pharmex.transitions import transition, transition_apply

OFFER_FIELDS = (
    "unit_price",
    "vat_rate",
    "stock",
    "min_order_quantity",
    "order_multiple",
    "lead_time_days",
    "provinces",
    "earliest_expiry",
    "status",
)


def network_ban_reason(drug: Drug) -> str | None:
    """The class that bars the drug from network sale (a drug type or special class), or None."""
    if drug.drug_type in NETWORK_BANNED_DRUG_TYPES:
        return str(drug.drug_type)
    if drug.special_class in NETWORK_BANNED_SPECIAL_CLASSES:
        return str(drug.special_class)
    return None


def required_scope_tags(drug: Drug) -> list[str]:
    """Licence scope tags a supplier needs to list the drug: biologics, cold chain."""
    needed = []
    if drug.drug_type == DrugType.BIOLOGIC:
        needed.append("biologics")
    if drug.storage in COLD_STORAGE:
        needed.append("cold_chain")
    return needed


def listing_refusal(
    *, drug: Drug, may_trade: bool, scope_tags: frozenset[str], on: date | None = None
) -> DomainError | None:
    """The first listing rule the offer breaks, as the error to raise (None: it may be listed).

    Pure, so the bulk import checks 100,000 rows with the supplier's facts looked up once.
    """
    if not may_trade:
        return SupplierMayNotTrade()
    if drug.status != DrugStatus.ACTIVE:
        return DrugNotActive(
            _("Drug %(id)s is %(status)s; only active drugs can be offered.") % {"id": drug.pk, "status": drug.status},
            field="drug",
        )
    if drug.registration_expired(on or timezone.localdate()):
        return RegistrationExpired(
            _("The registration of %(drug)s expired on %(date)s.")
            % {"drug": drug.generic_name, "date": drug.registration_valid_until},
            field="drug",
        )
    reason = network_ban_reason(drug)
    if reason is not None:
        return NetworkSaleBanned(
            _("%(drug)s is a %(kind)s drug: network sale is prohibited.")
            % {"drug": drug.generic_name, "kind": reason.replace("_", " ")},
            errors=[
                {
                    "field": "drug",
                    "code": reason,
                    "message": _("Network sale of %(kind)s drugs is prohibited.") % {"kind": reason.replace("_", " ")},
                }
            ],
        )
    missing = [tag for tag in required_scope_tags(drug) if tag not in scope_tags]
    if missing:
        return LicenseScopeMissing(
            _("Listing %(drug)s needs the licence scope %(scopes)s.")
            % {"drug": drug.generic_name, "scopes": ", ".join(missing)},
            errors=[
                {"field": "drug", "code": tag, "message": _("Licence scope %(scope)s is required.") % {"scope": tag}}
                for tag in missing
            ],
        )
    return None


def default_vat_rate(*, drug: Drug, elected: bool) -> Decimal:
    """The rate an offer carries unless it names one: 3% under a running election, else 9% or 13% by drug type."""
    if elected:
        return VAT_SIMPLIFIED
    if drug.drug_type in REDUCED_VAT_DRUG_TYPES:
        return VAT_REDUCED
    return VAT_GENERAL


def vat_rate_refusal(*, drug: Drug, rate: Decimal, elected: bool) -> str | None:
    """Why the rate cannot apply (a message), or None. `elected`: the supplier runs a 3% election for the drug."""
    if elected and rate != VAT_SIMPLIFIED:
        # xgettext:no-python-format
        return _("Your simplified-VAT election for this drug runs: the rate stays 3% until you end it.")
    if rate == VAT_SIMPLIFIED and not elected:
        return _("Simplified VAT (3%) needs your election for this drug (POST /offers/{id}/simplified-vat/).")
    if rate == VAT_REDUCED and drug.drug_type not in REDUCED_VAT_DRUG_TYPES:
        return _("9% VAT applies to TCM decoction pieces only.")
    return None


def running_vat_election(*, supplier_id: int, drug_id: int) -> SimplifiedVatElection | None:
    return SimplifiedVatElection.objects.filter(supplier_id=supplier_id, drug_id=drug_id, ended_on__isnull=True).first()


def _require_own(actor: Actor, offer: Offer) -> None:
    """Raises: NotAParty unless the actor acts for the offer's supplier."""
    if not actor.acts_for(offer.supplier_id):
        raise NotAParty()


def _supplier_for(actor: Actor) -> Organization:
    organization = actor.require_organization()
    if organization.kind not in SUPPLIER_KINDS:
        raise NotASupplier()
    return organization


def _check_listing(*, supplier: Organization, drug: Drug) -> None:
    standing = trading_standing(organization=supplier)
    refusal = listing_refusal(drug=drug, may_trade=standing.may_trade, scope_tags=standing.scope_tags)
    if refusal is not None:
        raise refusal


def _check_vat(*, supplier: Organization, drug: Drug, rate: Decimal) -> None:
    elected = running_vat_election(supplier_id=supplier.pk, drug_id=drug.pk) is not None
    message = vat_rate_refusal(drug=drug, rate=rate, elected=elected)
    if message:
        raise VatRateNotAllowed(message, field="vat_rate")


def _check_terms(offer: Offer) -> None:
    """Raises: InvalidInput when the minimum order is not a multiple of the order multiple."""
    if offer.min_order_quantity % offer.order_multiple:
        raise InvalidInput(
            [
                {
                    "field": "min_order_quantity",
                    "code": "min_order_not_multiple",
                    "message": _("Must be a multiple of order_multiple."),
                }
            ]
        )


@transaction.atomic
def offer_create(*, actor: Actor, data: dict) -> Offer:
    """List a drug (`data["drug"]`: its id). Raises: InvalidInput (no such drug), NotASupplier, SupplierMayNotTrade,
    DrugNotActive, NetworkSaleBanned, LicenseScopeMissing, VatRateNotAllowed, OfferExists."""
    data = dict(data)
    drug = drug_for_offer(actor=actor, drug_id=data.pop("drug"))
    if drug is None:  # a field of the body, not the addressed resource: 400 on `drug`, as orders do
        raise InvalidInput([{"field": "drug", "code": "does_not_exist", "message": _("No such drug.")}])
    supplier = _supplier_for(actor)
    _check_listing(supplier=supplier, drug=drug)
    data = {**data}
    data.setdefault("customs_status", CustomsStatus.DUTY_PAID)
    if (refusal := customs_listing_refusal(supplier=supplier, drug=drug, status=data["customs_status"])) is not None:
        raise refusal
    data.setdefault("vat_rate", None)
    if data["vat_rate"] is None:
        elected = running_vat_election(supplier_id=supplier.pk, drug_id=drug.pk) is not None
        data["vat_rate"] = default_vat_rate(drug=drug, elected=elected)
    _check_vat(supplier=supplier, drug=drug, rate=data["vat_rate"])
    offer = Offer(supplier=supplier, drug=drug, **data)
    _check_terms(offer)
    try:
        with transaction.atomic():
            offer.save()
    except IntegrityError as error:
        if "offer_unique_supplier_drug" in str(error):
            raise OfferExists(field="drug") from None
        raise
    customs_listing_record(offer=offer, actor=actor)
    audit_record(
        actor=actor.audit,
        action="offer.created",
        object_type="offer",
        object_id=offer.pk,
        organization_id=supplier.pk,
        changes={
            "drug": drug.pk,
            **{field: getattr(offer, field) for field in OFFER_FIELDS},
            "customs_status": offer.customs_status,
        },
    )
    return offer


@transaction.atomic
def offer_update(*, offer: Offer, actor: Actor, data: dict) -> Offer:
    """Change an own offer; a price change is written to its price history, a status change (pause, activate)
    to its status history. (Re)activating re-checks the listing rules.

    Raises: NotAParty, OfferSuspended, the listing-rule errors, VatRateNotAllowed, InvalidInput.
    """
    _require_own(actor, offer)
    offer = Offer.objects.select_for_update().select_related("drug", "supplier").get(pk=offer.pk)
    if offer.status == OfferStatus.SUSPENDED:
        raise OfferSuspended()
    if data.get("status") == OfferStatus.ACTIVE:
        _check_listing(supplier=offer.supplier, drug=offer.drug)
    if "vat_rate" in data:
        _check_vat(supplier=offer.supplier, drug=offer.drug, rate=data["vat_rate"])
    data = dict(data)
    status = data.pop("status", offer.status)
    before = {field: getattr(offer, field) for field in data}
    for field, value in data.items():
        setattr(offer, field, value)
    _check_terms(offer)
    offer.save()
    if status != offer.status:
        action = "activate" if status == OfferStatus.ACTIVE else "pause"
        transition_apply(OFFER, offer, action=action, actor=actor)
    if "unit_price" in data and data["unit_price"] != before["unit_price"]:
        OfferPriceChange.objects.create(
            offer=offer,
            old_price=before["unit_price"],
            new_price=offer.unit_price,
            changed_by=actor.audit.label,
            changed_by_user=actor.user,
        )
    audit_record(
        actor=actor.audit,
        action="offer.updated",
        object_type="offer",
        object_id=offer.pk,
        organization_id=offer.supplier_id,
        changes=diff(before, data),
    )
    return offer


@transaction.atomic
def offer_delete(*, offer: Offer, actor: Actor) -> None:
    """Remove an offer nobody ordered yet.

    Raises: NotAParty, OfferSuspended (a suspended offer stays for the record), OfferHasOrders (order lines keep
    pointing at it: pause it instead).
    """
    _require_own(actor, offer)
    if offer.status == OfferStatus.SUSPENDED:
        raise OfferSuspended()
    try:
        with transaction.atomic():
            offer.delete()
    except ProtectedError:
        raise OfferHasOrders() from None
    audit_record(
        actor=actor.audit,
        action="offer.deleted",
        object_type="offer",
        object_id=offer.pk,
        organization_id=offer.supplier_id,
        changes={"drug": offer.drug_id, "unit_price": offer.unit_price},
    )


@transaction.atomic
def offer_suspend(*, offer: Offer, actor: Actor, reason: str) -> Offer:
    """Platform staff take an offer off the market. Raises: NotAParty, InvalidTransition when already suspended."""
    actor.require_staff(StaffRole.ADMIN)
    return transition(OFFER, offer.pk, action="suspend", actor=actor, note=reason)


@transaction.atomic
def offer_reinstate(*, offer: Offer, actor: Actor, reason: str = "") -> Offer:
    """Lift a suspension; the offer comes back paused for its supplier to reactivate.

    Raises: NotAParty, InvalidTransition.
    """
    actor.require_staff(StaffRole.ADMIN)
    return transition(OFFER, offer.pk, action="reinstate", actor=actor, note=reason)


def stock_reserve(*, quantities: Mapping[int, int]) -> set[int]:
    """Take each offer's quantity from its stock where that much is there, in one conditional UPDATE.

    Returns the offers that were short (empty: all reserved); the caller then raises, rolling back
    the ones taken. Call it last in the order's transaction: the offers stay locked until it ends.
    """
    if not quantities:
        return set()
    return set(quantities) - sql.stock_take(quantities)


def stock_release(*, offer_id: int, quantity: int) -> None:
    """Give back a reservation (a cancelled, rejected or expired order, a short shipment)."""
    Offer.objects.filter(pk=offer_id).update(stock=F("stock") + quantity, updated_at=timezone.now())
