"""Rules that apps above orders add to the compliance gate (SPEC §5a: delivery enterprises, contract prices,
集采 contracts, quotes), so that orders never imports them (tests/test_layering.py).

An app registers a `GateRule` when it is ready. A rule may name a `read`: a SELECT the gate runs inside its own one
statement (orders.sql.gate_reads, one round trip for the gate and every rule), which may use the CTE `cart` (the
`supplier` and `drug` of each offer of the cart) and the parameters %(buyer)s (the buyer's id) and %(on)s (the order
date), and whose first column is never NULL; its rows reach the rule's `load`.

The gate loads each rule's facts once per request (`load`), asks it for the reasons of every line (`reasons`,
collected with the gate's own) and for a price the buyer pays instead of the offer's (`price`; the lowest of them and
the offer's applies, to the gate's amounts and the order's lines), and, optionally, for the medical insurance fund
that pays the line instead of the buyer (`payer`: a direct-settlement 集采 contract, SPEC §5a), which the order line
records at placement.
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
    load: Callable[..., Any]  # (*, buyer, offers: {offer id: Offer}, on, rows: what `read` selected) -> facts
    reasons: Callable[..., list]  # (facts, *, buyer, offer, quantity, field) -> [orders.compliance.Reason]
    price: Callable[..., Decimal | None]  # (facts, *, buyer, offer, quantity) -> a unit price, or None
    payer: Callable[..., int | None] | None = None  # (facts, *, buyer, offer) -> an InsuranceFund id, or None
    read: str = ""  # a SELECT of `read_columns` columns run in the gate's statement (above); none when empty
    read_columns: int = 0


_rules: dict[str, GateRule] = {}


def register(rule: GateRule) -> GateRule:
    _rules[rule.name] = rule
    return rule


def registered() -> tuple[GateRule, ...]:
    return tuple(_rules.values())


def load_all(
    *, buyer: Organization, offers: dict[int, Offer], on: date, rows: dict[str, list]
) -> tuple[tuple[GateRule, Any], ...]:
    """Each rule's facts, given the rows its `read` selected in the gate's statement (`rows`, by rule name)."""
    return tuple(
        (rule, rule.load(buyer=buyer, offers=offers, on=on, rows=rows.get(rule.name, []))) for rule in registered()
    )


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
