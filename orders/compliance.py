"""The compliance gate (SPEC §5): one function decides every (buyer, offer, quantity) line.

Placement, checkout and the preview all call `compliance_check`; it reports every failing reason at
once, each with a machine-readable code and the request field it concerns. The facts it needs are
loaded in a constant number of queries by `gate_facts`, so the rules themselves are pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from accounts.choices import BUYER_KINDS, OrganizationKind, Ownership
from accounts.models import Organization
from accounts.selectors import NO_STANDING, trading_standings
from catalog.choices import DrugCategory, DrugStatus, DrugType, OfferStatus, Storage
from catalog.models import Offer
from catalog.selectors import offers_for_order
from catalog.services.offers import network_ban_reason
from firstbusiness.gate import NOT_REQUIRED, ReviewFacts, review_facts, review_findings
from pharmex.money import line_amounts


@dataclass(frozen=True)
class LineRequest:
    offer_id: int
    quantity: int


@dataclass(frozen=True)
class Reason:
    code: str
    field: str
    message: str

    def as_error(self) -> dict:
        return {"field": self.field, "code": self.code, "message": self.message}


@dataclass
class LineVerdict:
    index: int
    request: LineRequest
    offer: Offer | None
    reasons: list[Reason] = field(default_factory=list)
    gross: Decimal | None = None
    tax: Decimal | None = None

    @property
    def eligible(self) -> bool:
        return not self.reasons


@dataclass
class GateResult:
    order_reasons: list[Reason]
    lines: list[LineVerdict]

    @property
    def eligible(self) -> bool:
        return not self.order_reasons and all(line.eligible for line in self.lines)

    def errors(self) -> list[dict]:
        return [r.as_error() for r in self.order_reasons] + [r.as_error() for v in self.lines for r in v.reasons]


@dataclass(frozen=True)
class GateFacts:
    buyer_may_trade: bool
    buyer_scope: frozenset[str]
    trading_supplier_ids: frozenset[int]
    offers: dict[int, Offer]
    first_business: ReviewFacts = NOT_REQUIRED  # the buyer's first-business approvals (firstbusiness.gate)


def gate_facts(*, buyer: Organization, lines: Sequence[LineRequest], on: date) -> GateFacts:
    """Everything the rules need, in two queries whatever the number of lines (three when the buyer requires
    first-business approvals)."""
    offers = offers_for_order(ids=[line.offer_id for line in lines])
    standings = trading_standings(organization_ids={offer.supplier_id for offer in offers.values()} | {buyer.pk}, on=on)
    buyer_standing = standings.get(buyer.pk, NO_STANDING)
    return GateFacts(
        buyer_may_trade=buyer_standing.may_trade,
        buyer_scope=buyer_standing.scope_tags,
        trading_supplier_ids=frozenset(pk for pk, standing in standings.items() if standing.may_trade),
        offers=offers,
        first_business=review_facts(
            buyer=buyer, pairs=[(offer.supplier_id, offer.drug_id) for offer in offers.values()], on=on
        ),
    )


def compliance_check(
    *, buyer: Organization, lines: Sequence[LineRequest], facts: GateFacts, check_stock: bool = True
) -> GateResult:
    """Every reason the buyer may not order these lines (none: the order may be placed)."""
    order_reasons = []
    if buyer.kind not in BUYER_KINDS:
        order_reasons.append(Reason("not_a_buyer", "buyer", f"A {buyer.kind} cannot buy on the platform."))
    if not facts.buyer_may_trade:
        order_reasons.append(
            Reason(
                "buyer_may_not_trade",
                "buyer",
                "Your organisation may not trade: it must be verified and hold a valid licence.",
            )
        )
    if len(lines) > settings.MAX_ORDER_LINES:
        order_reasons.append(
            Reason("too_many_lines", "lines", f"An order has at most {settings.MAX_ORDER_LINES} lines.")
        )
    seen: set[int] = set()
    verdicts = []
    for index, line in enumerate(lines):
        verdict = LineVerdict(index=index, request=line, offer=facts.offers.get(line.offer_id))
        verdict.reasons = _line_reasons(
            buyer=buyer,
            index=index,
            line=line,
            offer=verdict.offer,
            facts=facts,
            duplicate=line.offer_id in seen,
            check_stock=check_stock,
        )
        seen.add(line.offer_id)
        if verdict.offer is not None:
            verdict.gross, verdict.tax = line_amounts(
                unit_price=verdict.offer.unit_price, quantity=line.quantity, vat_rate=verdict.offer.vat_rate
            )
        verdicts.append(verdict)
    return GateResult(order_reasons=order_reasons, lines=verdicts)


def _line_reasons(
    *,
    buyer: Organization,
    index: int,
    line: LineRequest,
    offer: Offer | None,
    facts: GateFacts,
    duplicate: bool,
    check_stock: bool,
) -> list[Reason]:
    at, qty = f"lines[{index}].offer_id", f"lines[{index}].quantity"
    if offer is None:
        return [Reason("offer_not_found", at, f"There is no offer {line.offer_id}.")]
    drug = offer.drug
    reasons = []
    if duplicate:
        reasons.append(Reason("duplicate_offer", at, "The same offer appears twice; combine the quantities."))
    if offer.supplier_id == buyer.pk:
        reasons.append(Reason("own_offer", at, "You cannot order from your own organisation."))
    if offer.status != OfferStatus.ACTIVE:
        reasons.append(Reason("offer_not_active", at, f"The offer is {offer.status}."))
    if offer.supplier_id not in facts.trading_supplier_ids:
        reasons.append(Reason("supplier_may_not_trade", at, "The supplier may not trade at the moment."))
    if drug.status != DrugStatus.ACTIVE:
        reasons.append(Reason("drug_not_active", at, f"The drug is {drug.status}."))
    if (banned := network_ban_reason(drug)) is not None:
        reasons.append(Reason("network_sale_banned", at, f"Network sale of {banned} drugs is prohibited."))
    if line.quantity < offer.min_order_quantity:
        reasons.append(Reason("below_minimum_quantity", qty, f"The minimum order is {offer.min_order_quantity}."))
    if line.quantity % offer.order_multiple:
        reasons.append(Reason("not_order_multiple", qty, f"Order in multiples of {offer.order_multiple}."))
    if offer.provinces and buyer.province_code not in offer.provinces:
        reasons.append(Reason("province_not_served", at, "The supplier does not ship to your province."))
    if drug.category == DrugCategory.RX and "rx" not in facts.buyer_scope:
        reasons.append(Reason("rx_not_licensed", at, "Your licence scope does not cover prescription drugs."))
    if drug.drug_type == DrugType.BIOLOGIC and "biologics" not in facts.buyer_scope:
        reasons.append(Reason("biologics_not_licensed", at, "Your licence scope does not cover biological products."))
    if drug.storage in (Storage.COLD_CHAIN, Storage.FROZEN) and "cold_chain" not in facts.buyer_scope:
        reasons.append(Reason("cold_chain_not_licensed", at, "Your licence scope does not cover cold-chain drugs."))
    if _public_hospital(buyer) and drug.ceiling_price is not None and offer.unit_price > drug.ceiling_price:
        reasons.append(
            Reason(
                "above_ceiling_price", at, f"Public hospitals buy at or below the ceiling price {drug.ceiling_price}."
            )
        )
    reasons += [
        Reason(finding.code, at, finding.message)
        for finding in review_findings(
            facts.first_business, buyer_id=buyer.pk, supplier_id=offer.supplier_id, drug_id=offer.drug_id
        )
    ]
    if check_stock and line.quantity > offer.stock:
        reasons.append(Reason("insufficient_stock", qty, f"Only {offer.stock} available."))
    return reasons


def _public_hospital(buyer: Organization) -> bool:
    return buyer.kind == OrganizationKind.HOSPITAL and buyer.ownership == Ownership.PUBLIC


def today() -> date:
    return timezone.localdate()
