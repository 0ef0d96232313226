"""The market view's own prices (SPEC §5a): catalog emits MARKET_PRICES_LISTED with a page of offers and the
caller, and this app adds the caller's negotiated or 集采 price where lower than the offer's — to that caller only."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from pharmex import events
from pharmex.actor import Actor
from procurement import gate


@events.subscribe(events.MARKET_PRICES_LISTED)
def add_own_prices(*, actor: Actor, offers: list, prices: dict[int, Decimal]) -> None:
    buyer = actor.organization
    if buyer is None:
        return
    facts = gate.load(buyer=buyer, offers={offer.pk: offer for offer in offers}, on=timezone.localdate())
    for offer in offers:
        price = gate.price(facts, buyer=buyer, offer=offer, quantity=0)
        if price is not None and price < offer.unit_price:
            prices[offer.pk] = price
