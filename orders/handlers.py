"""The orders app's reactions to upstream events (pharmex.events), registered in OrdersConfig.ready()."""

from __future__ import annotations

from orders.services.holds import orders_hold_for_drug
from pharmex import events
from pharmex.actor import Actor


@events.subscribe(events.DRUG_LEFT_MARKET)
def drug_left_market(*, drug_id: int, reason: str, note: str, actor: Actor) -> None:
    orders_hold_for_drug(drug_id=drug_id, reason=reason, note=note, actor=actor)
