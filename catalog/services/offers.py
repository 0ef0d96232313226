"""Offers: the listing rules (SPEC §4), price history, and stock for the orders app."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actor import Actor
from accounts.choices import SUPPLIER_KINDS
from accounts.models import Organization
from accounts.selectors import trading_standing
from catalog.choices import (
    COLD_STORAGE,
    NETWORK_BANNED_DRUG_TYPES,
    NETWORK_BANNED_SPECIAL_CLASSES,
    REDUCED_VAT_DRUG_TYPES,
    SIMPLIFIED_VAT_DRUG_TYPES,
    VAT_GENERAL,
    VAT_REDUCED,
    VAT_SIMPLIFIED,
    DrugStatus,
    DrugType,
    OfferStatus,
)
from catalog.errors import (
    DrugNotActive,
    LicenseScopeMissing,
    NetworkSaleBanned,
    NotASupplier,
    OfferExists,
    OfferSuspended,
    SupplierMayNotTrade,
    VatRateNotAllowed,
)
from catalog.models import Drug, Offer, OfferPriceChange
from pharmex.audit import audit_record, diff
from pharmex.errors import DomainError, InvalidTransition

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


def listing_refusal(*, drug: Drug, may_trade: bool, scope_tags: frozenset[str]) -> DomainError | None:
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


def default_vat_rate(*, supplier: Organization, drug: Drug) -> Decimal:
    if supplier.simplified_vat and drug.drug_type in SIMPLIFIED_VAT_DRUG_TYPES:
        return VAT_SIMPLIFIED
    if drug.drug_type in REDUCED_VAT_DRUG_TYPES:
        return VAT_REDUCED
    return VAT_GENERAL


def vat_rate_refusal(*, supplier: Organization, drug: Drug, rate: Decimal) -> str | None:
    """Why the rate cannot apply (a message), or None."""
    if rate == VAT_SIMPLIFIED and not (supplier.simplified_vat and drug.drug_type in SIMPLIFIED_VAT_DRUG_TYPES):
        return _("Simplified VAT (3%) needs the supplier's election and a biological product.")
    if rate == VAT_REDUCED and drug.drug_type not in REDUCED_VAT_DRUG_TYPES:
        return _("9% VAT applies to TCM decoction pieces only.")
    return None


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
    message = vat_rate_refusal(supplier=supplier, drug=drug, rate=rate)
    if message:
        raise VatRateNotAllowed(message, field="vat_rate")


def _check_terms(offer: Offer) -> None:
    if offer.min_order_quantity % offer.order_multiple:
        from rest_framework.exceptions import ValidationError

        raise ValidationError(
            {"min_order_quantity": [_("Must be a multiple of order_multiple.")]}, code="min_order_not_multiple"
        )


@transaction.atomic
def offer_create(*, actor: Actor, drug: Drug, data: dict) -> Offer:
    """List a drug. Raises: NotASupplier, SupplierMayNotTrade, DrugNotActive, NetworkSaleBanned,
    LicenseScopeMissing, VatRateNotAllowed, OfferExists."""
    supplier = _supplier_for(actor)
    _check_listing(supplier=supplier, drug=drug)
    data = {**data}
    data.setdefault("vat_rate", None)
    if data["vat_rate"] is None:
        data["vat_rate"] = default_vat_rate(supplier=supplier, drug=drug)
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
    audit_record(
        actor=actor.audit,
        action="offer.created",
        object_type="offer",
        object_id=offer.pk,
        organization_id=supplier.pk,
        changes={"drug": drug.pk, **{field: getattr(offer, field) for field in OFFER_FIELDS}},
    )
    return offer


@transaction.atomic
def offer_update(*, offer: Offer, actor: Actor, data: dict) -> Offer:
    """Change an own offer; a price change is written to its history. (Re)activating re-checks the listing
    rules. Raises: OfferSuspended, the listing-rule errors, VatRateNotAllowed."""
    offer = Offer.objects.select_for_update().select_related("drug", "supplier").get(pk=offer.pk)
    if offer.status == OfferStatus.SUSPENDED:
        raise OfferSuspended()
    if data.get("status") == OfferStatus.ACTIVE:
        _check_listing(supplier=offer.supplier, drug=offer.drug)
    if "vat_rate" in data:
        _check_vat(supplier=offer.supplier, drug=offer.drug, rate=data["vat_rate"])
    before = {field: getattr(offer, field) for field in data}
    for field, value in data.items():
        setattr(offer, field, value)
    _check_terms(offer)
    offer.save()
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
    """Raises: OfferSuspended (a suspended offer stays for the record)."""
    if offer.status == OfferStatus.SUSPENDED:
        raise OfferSuspended()
    audit_record(
        actor=actor.audit,
        action="offer.deleted",
        object_type="offer",
        object_id=offer.pk,
        organization_id=offer.supplier_id,
        changes={"drug": offer.drug_id, "unit_price": offer.unit_price},
    )
    offer.delete()


def _offer_admin_transition(*, offer: Offer, actor: Actor, sources: set[str], target: str, reason: str) -> Offer:
    previous = offer.status
    if Offer.objects.filter(pk=offer.pk, status__in=sources).update(status=target, updated_at=timezone.now()) != 1:
        offer.refresh_from_db(fields=["status"])
        raise InvalidTransition(_("The offer is %(status)s.") % {"status": offer.status})
    offer.refresh_from_db()
    audit_record(
        actor=actor.audit,
        action=f"offer.{target}",
        object_type="offer",
        object_id=offer.pk,
        organization_id=offer.supplier_id,
        changes={"status": [previous, target], "reason": reason},
    )
    return offer


@transaction.atomic
def offer_suspend(*, offer: Offer, actor: Actor, reason: str) -> Offer:
    """Platform staff take an offer off the market. Raises: InvalidTransition when already suspended."""
    sources = {OfferStatus.ACTIVE, OfferStatus.PAUSED}
    return _offer_admin_transition(offer=offer, actor=actor, sources=sources, target="suspended", reason=reason)


@transaction.atomic
def offer_reinstate(*, offer: Offer, actor: Actor, reason: str = "") -> Offer:
    """Lift a suspension; the offer comes back paused for its supplier to reactivate. Raises: InvalidTransition."""
    return _offer_admin_transition(
        offer=offer, actor=actor, sources={OfferStatus.SUSPENDED}, target=OfferStatus.PAUSED, reason=reason
    )


# The inner SELECT locks the rows in primary-key order, so carts sharing offers queue in the same order
# and never deadlock (one UPDATE of several rows would take its locks in no promised order); the
# condition then reads each row's committed stock under its lock, so stock never goes below zero.
_RESERVE_SQL = """
    UPDATE catalog_offer AS offer SET stock = offer.stock - wanted.quantity, updated_at = %(now)s
    FROM (SELECT id FROM catalog_offer WHERE id = ANY(%(ids)s::bigint[]) ORDER BY id FOR UPDATE) AS locked,
         unnest(%(ids)s::bigint[], %(quantities)s::bigint[]) AS wanted (id, quantity)
    WHERE offer.id = locked.id AND wanted.id = locked.id AND offer.stock >= wanted.quantity
    RETURNING offer.id
"""


def stock_reserve(*, quantities: Mapping[int, int]) -> set[int]:
    """Take each offer's quantity from its stock where that much is there, in one conditional UPDATE.

    Returns the offers that were short (empty: all reserved); the caller then raises, rolling back
    the ones taken. Call it last in the order's transaction: the offers stay locked until it ends.
    """
    if not quantities:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            _RESERVE_SQL, {"now": timezone.now(), "ids": list(quantities), "quantities": list(quantities.values())}
        )
        reserved = {offer_id for (offer_id,) in cursor.fetchall()}
    return set(quantities) - reserved


def stock_release(*, offer_id: int, quantity: int) -> None:
    """Give back a reservation (a cancelled, rejected or expired order, a short shipment)."""
    Offer.objects.filter(pk=offer_id).update(stock=F("stock") + quantity, updated_at=timezone.now())
