"""In-process domain events: the one explicit way an app reacts to another's change (SPEC §1).

An upstream app emits inside its own transaction (`emit("order.received", order_id=…)`); a
downstream app subscribes once, in its AppConfig.ready, so dependencies still point one way
(orders never imports settlements). Handlers run synchronously in the emitter's transaction:
the reaction commits or rolls back with the change that caused it.

A read may be emitted too, for a downstream app to contribute to what an upstream view shows:
MARKET_OFFERS_LISTED hands its handlers a page of offers and a dict to add marks to.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

_handlers: dict[str, list[Callable[..., None]]] = defaultdict(list)

ORDER_RECEIVED = "order.received"  # order_id: the buyer now owes the order's accepted_gross
LICENSE_EXPIRING = "license.expiring"  # organization_id, license_id, number, valid_until, days_left
TRADING_SUSPENDED = "organization.trading_suspended"  # organization_id, reason, license_id
# drug_id, reason ("network_sale_banned" | "registration_expired"), note, actor: its open orders are held
DRUG_LEFT_MARKET = "drug.left_market"
# actor, offers (one page of the market view), marks: {offer id: [{"code", "subject", "message"}]} to add to
MARKET_OFFERS_LISTED = "catalog.market_offers_listed"
# return_id: the supplier checked a return in; its accepted value is credited (settlements posts the credit note)
RETURN_RECEIVED = "return.received"
# actor, offers (one page of the market view), prices: {offer id: Decimal} to add the caller's own lower price to
# (a negotiated 协议价 or 集采 price, procurement)
MARKET_PRICES_LISTED = "catalog.market_prices_listed"


def subscribe(event: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def register(handler: Callable[..., None]) -> Callable[..., None]:
        if handler not in _handlers[event]:
            _handlers[event].append(handler)
        return handler

    return register


def emit(event: str, **payload) -> None:
    for handler in list(_handlers[event]):
        handler(**payload)
