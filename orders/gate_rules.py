"""Rules that apps above orders add to the compliance gate (SPEC §5a: delivery enterprises, contract prices,
集采 contracts, quotes), so that orders never imports them (tests/test_layering.py).

An app registers a `GateRule` when it is ready. The gate loads each rule's facts once per request (`load`), asks
it for the reasons of every line (`reasons`, collected with the gate's own) and for a price the buyer pays instead
of the offer's (`price`; the lowest of them and the offer's applies, to the gate's amounts and the order's lines),
and, optionally, for the medical insurance fund that pays the line instead of the buyer (`payer`: a direct-settlement
集采 contract, SPEC §5a), which the order line records at placement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from accounts.models import Organization
from catalog.models import Offer


@dataclass(frozen=True)
class GateRule:
    name: str
    load: Callable[..., Any]  # (*, buyer, offers: {offer id: Offer}, on) -> facts
    reasons: Callable[..., list]  # (facts, *, buyer, offer, quantity, field) -> [orders.compliance.Reason]
    price: Callable[..., Decimal | None]  # (facts, *, buyer, offer, quantity) -> a unit price, or None
    payer: Callable[..., int | None] | None = None  # (facts, *, buyer, offer) -> an InsuranceFund id, or None


_rules: dict[str, GateRule] = {}


def register(rule: GateRule) -> GateRule:
    _rules[rule.name] = rule
    return rule


def load_all(*, buyer: Organization, offers: dict[int, Offer], on: date) -> tuple[tuple[GateRule, Any], ...]:
    return tuple((rule, rule.load(buyer=buyer, offers=offers, on=on)) for rule in _rules.values())


def reasons_of(loaded: Sequence[tuple[GateRule, Any]], *, buyer, offer: Offer, quantity: int, field: str) -> list:
    return [
        reason
        for rule, facts in loaded
        for reason in rule.reasons(facts, buyer=buyer, offer=offer, quantity=quantity, field=field)
    ]


def price_of(loaded: Sequence[tuple[GateRule, Any]], *, buyer, offer: Offer, quantity: int) -> Decimal:
    """What the buyer pays per unit: the lowest of the offer's price and the registered rules' prices."""
    prices = [offer.unit_price]
    for rule, facts in loaded:
        price = rule.price(facts, buyer=buyer, offer=offer, quantity=quantity)
        if price is not None:
            prices.append(price)
    return min(prices)


def payer_of(loaded: Sequence[tuple[GateRule, Any]], *, buyer, offer: Offer) -> int | None:
    """The insurance fund that pays for this line instead of the buyer (the first rule that names one), or None."""
    for rule, facts in loaded:
        if rule.payer is not None and (fund_id := rule.payer(facts, buyer=buyer, offer=offer)) is not None:
            return fund_id
    return None
