"""Drug master data: suppliers propose, admins approve or withdraw; every change audited."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.actor import Actor
from accounts.choices import SUPPLIER_KINDS
from catalog.choices import DrugStatus
from catalog.errors import DrugExists, NotASupplier
from catalog.models import Drug
from pharmex.audit import audit_record, diff
from pharmex.errors import InvalidTransition

# action -> (states it may start from, state it leads to)
DRUG_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "approve": (frozenset({DrugStatus.PENDING_REVIEW, DrugStatus.WITHDRAWN}), DrugStatus.ACTIVE),
    "withdraw": (frozenset({DrugStatus.PENDING_REVIEW, DrugStatus.ACTIVE}), DrugStatus.WITHDRAWN),
}
AUDITED_FIELDS = (
    "approval_number",
    "generic_name",
    "brand_name",
    "dosage_form",
    "specification",
    "package",
    "drug_type",
    "special_class",
    "storage",
    "ceiling_price",
    "ceiling_effective_from",
)


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
    drug = _save_new(Drug(**data, status=status, proposed_by=organization))
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
    """An admin corrects master data (e.g. a new ceiling price). Raises: DrugExists, ValidationError."""
    drug = Drug.objects.select_for_update().get(pk=drug.pk)
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
    return drug


def _drug_transition(*, drug: Drug, action: str, actor: Actor, note: str) -> Drug:
    sources, target = DRUG_TRANSITIONS[action]
    previous = drug.status
    now = timezone.now()
    updated = Drug.objects.filter(pk=drug.pk, status__in=sources).update(
        status=target, status_note=note, reviewed_at=now, updated_at=now
    )
    if updated != 1:
        drug.refresh_from_db(fields=["status"])
        raise InvalidTransition(
            _("Cannot %(action)s a drug that is %(status)s.") % {"action": action, "status": drug.status}
        )
    drug.refresh_from_db()
    audit_record(
        actor=actor.audit,
        action=f"drug.{action}",
        object_type="drug",
        object_id=drug.pk,
        organization_id=drug.proposed_by_id,
        changes={"status": [previous, target], "note": note},
    )
    return drug


@transaction.atomic
def drug_approve(*, drug: Drug, actor: Actor, note: str = "") -> Drug:
    """Raises: InvalidTransition when already active."""
    return _drug_transition(drug=drug, action="approve", actor=actor, note=note)


@transaction.atomic
def drug_withdraw(*, drug: Drug, actor: Actor, note: str) -> Drug:
    """Its offers leave the market (on_market requires an active drug). Raises: InvalidTransition."""
    return _drug_transition(drug=drug, action="withdraw", actor=actor, note=note)
