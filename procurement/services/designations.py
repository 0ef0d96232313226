"""Delivery enterprises (配送企业, SPEC §5a): a drug's MAH designates, the distributor accepts or declines, the MAH
revokes with an end date. Every step is a transition (history and audit)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.choices import MEDICAL_INSTITUTION_KINDS, OrganizationKind
from accounts.models import Organization
from accounts.validators import validate_jurisdiction_code
from catalog.models import Drug
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.errors import InvalidInput, NotAParty
from pharmex.transitions import transition, transition_apply, transition_lock
from procurement.models import DeliveryDesignation
from procurement.notifications import announce_designation
from procurement.transitions import DESIGNATION


def _invalid(field: str, code: str, message: str) -> InvalidInput:
    return InvalidInput([{"field": field, "code": code, "message": message}])


@transaction.atomic
def designation_create(
    *,
    actor: Actor,
    drug_id: int,
    distributor_id: int,
    valid_from: date,
    valid_until: date | None = None,
    buyer_ids: list[int] | None = None,
    region_codes: list[str] | None = None,
    note: str = "",
) -> DeliveryDesignation:
    """The caller's organisation, the drug's MAH, designates a distributor for named buyers and/or regions.

    Raises: InvalidInput (not the drug's MAH, not a distributor, no buyer nor region, buyers that are not medical
    institutions, an end before the start).
    """
    manufacturer = actor.require_organization()
    drug = Drug.objects.filter(pk=drug_id).first()
    if drug is None:
        raise _invalid("drug_id", "not_found", _("There is no drug %(id)s.") % {"id": drug_id})
    if drug.mah_organization_id != manufacturer.pk:
        raise _invalid(
            "drug_id",
            "not_the_mah",
            _("Only the drug's marketing authorisation holder designates its delivery enterprises."),
        )
    distributor = Organization.objects.filter(pk=distributor_id, kind=OrganizationKind.DISTRIBUTOR).first()
    if distributor is None or distributor.pk == manufacturer.pk:
        raise _invalid("distributor_id", "not_a_distributor", _("Designate a distributor (药品批发企业)."))
    buyer_ids, region_codes = sorted(set(buyer_ids or [])), sorted(set(region_codes or []))
    if not buyer_ids and not region_codes:
        raise _invalid("buyer_ids", "required", _("Name the institutions or the regions the designation covers."))
    for code in region_codes:
        try:
            validate_jurisdiction_code(code)
        except ValidationError as error:
            raise _invalid("region_codes", "unknown_region", error.messages[0]) from None
    buyers = list(Organization.objects.filter(pk__in=buyer_ids, kind__in=MEDICAL_INSTITUTION_KINDS))
    if len(buyers) != len(buyer_ids):
        raise _invalid("buyer_ids", "not_an_institution", _("Every buyer named must be a medical institution."))
    if valid_until is not None and valid_until < valid_from:
        raise _invalid("valid_until", "before_start", _("The designation cannot end before it starts."))
    designation = DeliveryDesignation.objects.create(
        manufacturer=manufacturer,
        distributor=distributor,
        drug=drug,
        region_codes=region_codes,
        valid_from=valid_from,
        valid_until=valid_until,
        note=note,
    )
    designation.buyers.set(buyers)
    announce_designation(designation, "delivery_designation.proposed")
    audit_record(
        actor=actor.audit,
        action="delivery_designation.created",
        object_type="delivery_designation",
        object_id=designation.pk,
        organization_id=manufacturer.pk,
        changes={
            "drug": drug.pk,
            "distributor": distributor.pk,
            "buyers": buyer_ids,
            "regions": region_codes,
            "valid_from": valid_from,
            "valid_until": valid_until,
        },
    )
    return designation


@transaction.atomic
def designation_accept(*, actor: Actor, designation: DeliveryDesignation, note: str = "") -> DeliveryDesignation:
    """The distributor accepts. Raises: NotAParty for anyone else; InvalidTransition unless proposed."""
    if not actor.acts_for(designation.distributor_id):
        raise NotAParty()
    designation = transition(DESIGNATION, designation.pk, action="accept", actor=actor, note=note)
    announce_designation(designation, "delivery_designation.accepted")
    return designation


@transaction.atomic
def designation_decline(*, actor: Actor, designation: DeliveryDesignation, note: str = "") -> DeliveryDesignation:
    """The distributor declines. Raises: NotAParty for anyone else; InvalidTransition unless proposed."""
    if not actor.acts_for(designation.distributor_id):
        raise NotAParty()
    designation = transition(DESIGNATION, designation.pk, action="decline", actor=actor, note=note)
    announce_designation(designation, "delivery_designation.declined")
    return designation


@transaction.atomic
def designation_revoke(
    *, actor: Actor, designation: DeliveryDesignation, ends_on: date, note: str = ""
) -> DeliveryDesignation:
    """The manufacturer ends the designation: it covers orders up to `ends_on` (its last day), never beyond its
    own end. Raises: NotAParty for anyone else; InvalidInput for an end before the start; InvalidTransition."""
    if not actor.acts_for(designation.manufacturer_id):
        raise NotAParty()
    locked = transition_lock(DESIGNATION, designation.pk, "revoke")
    if ends_on < locked.valid_from:
        raise _invalid("ends_on", "before_start", _("The designation cannot end before it starts."))
    if locked.valid_until is not None:
        ends_on = min(ends_on, locked.valid_until)
    designation = transition_apply(
        DESIGNATION,
        locked,
        action="revoke",
        actor=actor,
        note=note,
        data={"ends_on": ends_on.isoformat()},
        changes={"valid_until": ends_on},
    )
    announce_designation(designation, "delivery_designation.revoked")
    return designation
