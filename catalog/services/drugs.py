"""Drug master data: suppliers propose, admins approve or withdraw; every change audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.choices import SUPPLIER_KINDS
from catalog.choices import DrugStatus
from catalog.errors import DrugExists, NotASupplier
from catalog.models import Drug
from catalog.services.ceilings import ceiling_period_add
from catalog.services.market import market_status_apply
from catalog.transitions import DRUG
from pharmex.actor import Actor
from pharmex.audit import audit_record, diff
from pharmex.choices import StaffRole
from pharmex.transitions import transition

AUDITED_FIELDS = (
    "approval_number",
    "generic_name",
    "brand_name",
    "dosage_form",
    "specification",
    "package",
    "drug_type",
    "special_class",
    "restricted_class",
    "registration_valid_until",
    "simplified_vat_class",
    "storage",
)
CEILING_FIELDS = ("ceiling_price", "ceiling_effective_from")


def _pop_ceiling(data: dict) -> tuple | None:
    """The (price, effective_from) a proposal or correction sends, as a new ceiling period; None when it sends none.

    Raises: ValidationError when only one of the two is given.
    """
    price, effective_from = (data.pop(field, None) for field in CEILING_FIELDS)
    if price is None and effective_from is None:
        return None
    if price is None or effective_from is None:
        raise ValidationError({"ceiling_effective_from": _("A ceiling price needs its effective date, and back.")})
    return price, effective_from


def _save_new(drug: Drug) -> Drug:
    drug.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            drug.save()
    except IntegrityError as error:
        if "drug_unique" in str(error):
            raise DrugExists(field="approval_number") from None
        raise
    return drug


@transaction.atomic
def drug_propose(*, actor: Actor, data: dict) -> Drug:
    """A supplier proposes a drug; it waits for an admin's review. Admins' proposals are active at once.

    Raises: NotASupplier, DrugExists, ValidationError.
    """
    organization = None
    status = DrugStatus.ACTIVE if actor.is_admin else DrugStatus.PENDING_REVIEW
    if not actor.is_admin:
        organization = actor.require_organization()
        if organization.kind not in SUPPLIER_KINDS:
            raise NotASupplier()
    data = dict(data)
    ceiling = _pop_ceiling(data)
    drug = _save_new(Drug(**data, status=status, proposed_by=organization))
    if ceiling is not None:
        ceiling_period_add(drug=drug, actor=actor, price=ceiling[0], effective_from=ceiling[1])
    audit_record(
        actor=actor.audit,
        action="drug.proposed",
        object_type="drug",
        object_id=drug.pk,
        organization_id=organization.pk if organization else None,
        changes={field: getattr(drug, field) for field in AUDITED_FIELDS} | {"status": status},
    )
    return drug


@transaction.atomic
def drug_update(*, drug: Drug, actor: Actor, data: dict) -> Drug:
    """An admin corrects master data. A ceiling price starts a new ceiling period; a drug reclassified into a banned
    class or whose registration expired leaves the market in the same transaction (catalog.services.market).

    Raises: NotAParty, DrugExists, ValidationError, CeilingPeriodConflict.
    """
    actor.require_staff(StaffRole.ADMIN)
    drug = Drug.objects.select_for_update().get(pk=drug.pk)
    data = dict(data)
    ceiling = _pop_ceiling(data)
    before = {field: getattr(drug, field) for field in data}
    for field, value in data.items():
        setattr(drug, field, value)
    drug.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            drug.save()
    except IntegrityError as error:
        if "drug_unique" in str(error):
            raise DrugExists(field="approval_number") from None
        raise
    audit_record(
        actor=actor.audit, action="drug.updated", object_type="drug", object_id=drug.pk, changes=diff(before, data)
    )
    if ceiling is not None:
        ceiling_period_add(drug=drug, actor=actor, price=ceiling[0], effective_from=ceiling[1])
    market_status_apply(drug=drug, actor=actor)
    return drug


@transaction.atomic
def drug_approve(*, drug: Drug, actor: Actor, note: str = "") -> Drug:
    """Raises: NotAParty (admins only), InvalidTransition when already active."""
    actor.require_staff(StaffRole.ADMIN)
    return transition(DRUG, drug.pk, action="approve", actor=actor, note=note, changes={"status_note": note})


@transaction.atomic
def drug_withdraw(*, drug: Drug, actor: Actor, note: str) -> Drug:
    """Its offers leave the market (on_market requires an active drug). Raises: NotAParty, InvalidTransition."""
    actor.require_staff(StaffRole.ADMIN)
    return transition(DRUG, drug.pk, action="withdraw", actor=actor, note=note, changes={"status_note": note})
