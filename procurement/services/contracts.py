"""Negotiated prices (协议价) and volume-based procurement contracts (集采, SPEC §5a)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.choices import BUYER_KINDS, MEDICAL_INSTITUTION_KINDS
from accounts.models import InsuranceFund, Organization
from catalog.models import Drug
from catalog.tabular import text_cell
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.errors import InvalidInput, NotAParty
from procurement.models import ContractPrice, ContractVolume, ProcurementContract
from procurement.notifications import announce_contract, announce_contract_price


def _invalid(field: str, code: str, message: str) -> InvalidInput:
    return InvalidInput([{"field": field, "code": code, "message": message}])


def _drug(drug_id: int) -> Drug:
    drug = Drug.objects.filter(pk=drug_id).first()
    if drug is None:
        raise _invalid("drug_id", "not_found", _("There is no drug %(id)s.") % {"id": drug_id})
    return drug


def _period(valid_from: date, valid_until: date) -> None:
    if valid_until < valid_from:
        raise _invalid("valid_until", "before_start", _("The period cannot end before it starts."))


@transaction.atomic
def contract_price_create(
    *, actor: Actor, buyer_id: int, drug_id: int, unit_price: Decimal, valid_from: date, valid_until: date
) -> ContractPrice:
    """The caller's organisation (the supplier) sets a negotiated price for one buyer. Raises: InvalidInput."""
    supplier = actor.require_organization()
    buyer = Organization.objects.filter(pk=buyer_id, kind__in=BUYER_KINDS).exclude(pk=supplier.pk).first()
    if buyer is None:
        raise _invalid("buyer_id", "not_a_buyer", _("Name another organisation that buys on the platform."))
    drug = _drug(drug_id)
    _period(valid_from, valid_until)
    price = ContractPrice.objects.create(
        supplier=supplier, buyer=buyer, drug=drug, unit_price=unit_price, valid_from=valid_from, valid_until=valid_until
    )
    audit_record(
        actor=actor.audit,
        action="contract_price.created",
        object_type="contract_price",
        object_id=price.pk,
        organization_id=supplier.pk,
        changes={"buyer": buyer.pk, "drug": drug.pk, "unit_price": unit_price, "period": [valid_from, valid_until]},
    )
    announce_contract_price(price)
    return price


@transaction.atomic
def contract_price_end(*, actor: Actor, price: ContractPrice, ends_on: date) -> ContractPrice:
    """The supplier ends a negotiated price early (`ends_on` its last day). Raises: NotAParty, InvalidInput."""
    if not actor.acts_for(price.supplier_id):
        raise NotAParty()
    price = ContractPrice.objects.select_for_update().get(pk=price.pk)
    if ends_on < price.valid_from:
        raise _invalid("ends_on", "before_start", _("The period cannot end before it starts."))
    previous = price.valid_until
    price.valid_until = min(ends_on, previous)
    price.save(update_fields=["valid_until", "updated_at"])
    audit_record(
        actor=actor.audit,
        action="contract_price.ended",
        object_type="contract_price",
        object_id=price.pk,
        organization_id=price.supplier_id,
        changes={"valid_until": [previous, price.valid_until]},
    )
    return price


@transaction.atomic
def contract_create(
    *,
    actor: Actor,
    programme: str,
    drug_id: int,
    supplier_id: int,
    agreed_price: Decimal,
    valid_from: date,
    valid_until: date,
    volumes: list[dict],
    settlement_fund_id: int | None = None,
) -> ProcurementContract:
    """An admin loads a 集采 result: the winner, agreed price, period and each public institution's agreed annual
    volume; with `settlement_fund_id`, the medical insurance fund pays the winner directly for the institutions'
    orders under it (医保基金直接结算). Raises: NotAParty (not an admin), InvalidInput."""
    actor.require_staff()
    drug = _drug(drug_id)
    supplier = Organization.objects.filter(pk=supplier_id).exclude(kind__in=MEDICAL_INSTITUTION_KINDS).first()
    if supplier is None:
        raise _invalid("supplier_id", "not_a_supplier", _("Name the winning supplier's organisation."))
    _period(valid_from, valid_until)
    if settlement_fund_id is not None and not InsuranceFund.objects.filter(pk=settlement_fund_id, active=True).exists():
        raise _invalid(
            "settlement_fund_id", "not_an_active_fund", _("Name an active medical insurance fund (or none).")
        )
    ids = [row["institution_id"] for row in volumes]
    if len(set(ids)) != len(ids):
        raise _invalid("volumes", "duplicate", _("Name each institution once."))
    institutions = {org.pk: org for org in Organization.objects.filter(pk__in=ids)}
    for index, institution_id in enumerate(ids):
        institution = institutions.get(institution_id)
        if institution is None or not institution.is_public_institution:
            raise _invalid(
                f"volumes[{index}].institution_id",
                "not_a_public_institution",
                _("Agreed volumes are for public medical institutions."),
            )
    contract = ProcurementContract.objects.create(
        # Named as a result file names it (catalog.tabular reads cells NFKC), so one programme loaded both ways
        # is one programme: （演示批次） and (演示批次) are the same name.
        programme=text_cell(programme, max_length=200),
        drug=drug,
        supplier=supplier,
        agreed_price=agreed_price,
        valid_from=valid_from,
        valid_until=valid_until,
        settlement_fund_id=settlement_fund_id,
    )
    ContractVolume.objects.bulk_create(
        ContractVolume(contract=contract, institution_id=row["institution_id"], annual_volume=row["annual_volume"])
        for row in volumes
    )
    audit_record(
        actor=actor.audit,
        action="procurement_contract.created",
        object_type="procurement_contract",
        object_id=contract.pk,
        organization_id=supplier.pk,
        changes={
            "programme": programme,
            "drug": drug.pk,
            "agreed_price": agreed_price,
            "period": [valid_from, valid_until],
            "settlement_fund": settlement_fund_id,
            "volumes": [[row["institution_id"], row["annual_volume"]] for row in volumes],
        },
    )
    announce_contract(contract, ids)
    return contract
