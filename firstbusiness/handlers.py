"""The market view's first-business marks: catalog emits MARKET_OFFERS_LISTED with a page of offers and the
caller, and this app adds what each offer would still need before the caller may order it (one query a page)."""

from __future__ import annotations

from django.utils import timezone

from firstbusiness.gate import review_facts, review_findings
from pharmex import events
from pharmex.actor import Actor


@events.subscribe(events.MARKET_OFFERS_LISTED)
def mark_offers_needing_review(*, actor: Actor, offers: list, marks: dict[int, list[dict]]) -> None:
    buyer = actor.organization
    if buyer is None:
        return
    facts = review_facts(
        buyer=buyer, pairs=[(offer.supplier_id, offer.drug_id) for offer in offers], on=timezone.localdate()
    )
    for offer in offers:
        for finding in review_findings(facts, buyer_id=buyer.pk, supplier_id=offer.supplier_id, drug_id=offer.drug_id):
            marks.setdefault(offer.pk, []).append(
                {"code": finding.code, "subject": finding.subject, "message": finding.message}
            )
