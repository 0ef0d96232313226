"""A drug leaves the market at once (SPEC §4): reclassified into a banned class, or its registration expired.

In the transaction that makes it so, its active offers are paused (the OFFER machine) and `DRUG_LEFT_MARKET` is
emitted, on which the orders app holds the open orders of the drug until an admin decides. A nightly job catches
registrations that ran out since.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.choices import OfferStatus
from catalog.models import Drug, Offer
from catalog.services.offers import network_ban_reason
from catalog.transitions import OFFER
from pharmex import events
from pharmex.actor import SYSTEM_ACTOR, Actor
from pharmex.audit import audit_record
from pharmex.transitions import transition

BANNED = "network_sale_banned"
EXPIRED = "registration_expired"


def market_exit_reason(drug: Drug, *, on: date) -> str | None:
    """Why the drug may not be on the market on `on` (a reason code), or None."""
    if network_ban_reason(drug) is not None:
        return BANNED
    if drug.registration_expired(on):
        return EXPIRED
    return None


def _exit_note(drug: Drug, reason: str) -> str:
    if reason == BANNED:
        return _("%(drug)s was reclassified as %(kind)s: network sale is prohibited.") % {
            "drug": drug.generic_name,
            "kind": network_ban_reason(drug).replace("_", " "),
        }
    return _("The registration of %(drug)s expired on %(date)s.") % {
        "drug": drug.generic_name,
        "date": drug.registration_valid_until,
    }


def market_status_apply(*, drug: Drug, actor: Actor, on: date | None = None) -> str | None:
    """After a change to a locked drug: if it may no longer be sold, take it off the market now (offers paused,
    open orders held); if it may again, clear the mark (its offers stay paused until their suppliers reactivate
    them). Call inside the transaction of the change. Returns the exit reason, if any."""
    reason = market_exit_reason(drug, on=on or timezone.localdate())
    if reason is not None and reason != drug.market_exit_reason:
        # Also when it left for another reason before: orders an admin released then are held again.
        _leave_market(drug=drug, actor=actor, reason=reason)
    elif reason is None and drug.market_exit_at is not None:
        drug.market_exit_at, drug.market_exit_reason = None, ""
        drug.save(update_fields=["market_exit_at", "market_exit_reason", "updated_at"])
        audit_record(
            actor=actor.audit, action="drug.market_exit_cleared", object_type="drug", object_id=drug.pk, changes={}
        )
    return reason


def _leave_market(*, drug: Drug, actor: Actor, reason: str) -> None:
    note = _exit_note(drug, reason)
    paused = []
    # In primary-key order, as every path that locks several offers takes them (no deadlock with placements).
    for offer_id in (
        Offer.objects.filter(drug=drug, status=OfferStatus.ACTIVE).order_by("pk").values_list("pk", flat=True)
    ):
        transition(OFFER, offer_id, action="pause", actor=actor, note=note, data={"reason": reason})
        paused.append(offer_id)
    drug.market_exit_at, drug.market_exit_reason = timezone.now(), reason
    drug.save(update_fields=["market_exit_at", "market_exit_reason", "updated_at"])
    audit_record(
        actor=actor.audit,
        action="drug.left_market",
        object_type="drug",
        object_id=drug.pk,
        changes={"reason": reason, "offers_paused": paused},
    )
    events.emit(events.DRUG_LEFT_MARKET, drug_id=drug.pk, reason=reason, note=note, actor=actor)


def drug_registration_expiry_run(*, today: date | None = None) -> int:
    """The nightly job: drugs whose registration ran out leave the market. Returns how many; safe to rerun (a drug
    that already left is marked, and an admin's release of a held order is never undone)."""
    today = today or timezone.localdate()
    due = Drug.objects.filter(registration_valid_until__lt=today, market_exit_at__isnull=True).order_by("pk")
    done = 0
    for drug_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            drug = Drug.objects.select_for_update().get(pk=drug_id)
            if drug.market_exit_at is None and drug.registration_expired(today):
                _leave_market(drug=drug, actor=SYSTEM_ACTOR, reason=EXPIRED)
                done += 1
    return done
