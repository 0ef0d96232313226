"""Simplified VAT (简易计税, 3%) elected by a supplier for one eligible drug, locked for 36 months (SPEC §4)."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.choices import SIMPLIFIED_VAT_LOCK_MONTHS, VAT_SIMPLIFIED, OfferStatus
from catalog.errors import OfferSuspended, VatElectionLocked, VatElectionNotAllowed
from catalog.models import Offer, SimplifiedVatElection
from catalog.services.offers import default_vat_rate, running_vat_election
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.calendar import add_months
from pharmex.errors import NotAParty, NotFound


def _own_offer_locked(*, offer: Offer, actor: Actor) -> Offer:
    if not actor.acts_for(offer.supplier_id):
        raise NotAParty()
    offer = Offer.objects.select_for_update().select_related("drug").get(pk=offer.pk)
    if offer.status == OfferStatus.SUSPENDED:
        raise OfferSuspended()
    return offer


@transaction.atomic
def vat_election_start(*, offer: Offer, actor: Actor, started_on: date | None = None) -> SimplifiedVatElection:
    """Elect 3% for the offer's drug from `started_on` (today; earlier when the election was made with the tax
    office before); the offer's VAT rate becomes 3%. Raises: NotAParty, OfferSuspended, VatElectionNotAllowed."""
    offer = _own_offer_locked(offer=offer, actor=actor)
    drug = offer.drug
    if not drug.simplified_vat_class:
        raise VatElectionNotAllowed(
            _("%(drug)s is not eligible for simplified VAT (biological, anticancer or rare-disease drugs are).")
            % {"drug": drug.generic_name}
        )
    started_on = started_on or timezone.localdate()
    try:
        with transaction.atomic():
            election = SimplifiedVatElection.objects.create(
                supplier_id=offer.supplier_id,
                drug=drug,
                started_on=started_on,
                locked_until=add_months(started_on, SIMPLIFIED_VAT_LOCK_MONTHS),
                elected_by=actor.audit.label[:255],
            )
    except IntegrityError as error:
        if "vat_election_one_running" not in str(error):
            raise
        raise VatElectionNotAllowed(_("You already run a simplified-VAT election for this drug.")) from None
    before = offer.vat_rate
    offer.vat_rate = VAT_SIMPLIFIED
    offer.save(update_fields=["vat_rate", "updated_at"])
    audit_record(
        actor=actor.audit,
        action="offer.vat_elected",
        object_type="offer",
        object_id=offer.pk,
        organization_id=offer.supplier_id,
        changes={
            "drug": drug.pk,
            "simplified_vat_class": drug.simplified_vat_class,
            "started_on": election.started_on,
            "locked_until": election.locked_until,
            "vat_rate": [str(before), str(offer.vat_rate)],
        },
    )
    return election


@transaction.atomic
def vat_election_end(*, offer: Offer, actor: Actor) -> Offer:
    """End the running election once its 36 months are over; the offer goes back to its drug's usual rate.

    Raises: NotAParty, OfferSuspended, NotFound (no running election), VatElectionLocked.
    """
    offer = _own_offer_locked(offer=offer, actor=actor)
    election = running_vat_election(supplier_id=offer.supplier_id, drug_id=offer.drug_id)
    if election is None:
        raise NotFound(_("There is no running simplified-VAT election for this offer's drug."))
    today = timezone.localdate()
    if today < election.locked_until:
        raise VatElectionLocked(
            _("The election started on %(start)s is locked until %(until)s.")
            % {"start": election.started_on, "until": election.locked_until}
        )
    election.ended_on, election.ended_by = today, actor.audit.label[:255]
    election.save(update_fields=["ended_on", "ended_by", "updated_at"])
    before = offer.vat_rate
    offer.vat_rate = default_vat_rate(drug=offer.drug, elected=False)
    offer.save(update_fields=["vat_rate", "updated_at"])
    audit_record(
        actor=actor.audit,
        action="offer.vat_election_ended",
        object_type="offer",
        object_id=offer.pk,
        organization_id=offer.supplier_id,
        changes={"started_on": election.started_on, "ended_on": today, "vat_rate": [str(before), str(offer.vat_rate)]},
    )
    offer.__dict__.pop("vat_election", None)
    return offer
