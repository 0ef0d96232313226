"""The public-procurement rules of the compliance gate (SPEC §5, §5a), registered with orders.gate_rules:

- `delivery_enterprise_not_designated`: a public institution orders a drug whose MAH is on the platform only from
  that MAH or a distributor it designated for the institution (by name or region) and that accepted, in force on
  the order date;
- `procurement_contract_supplier_required`: in a 集采 contract's period, an institution with an agreed volume
  orders the drug only from the winner or a designated delivery enterprise;
- the price: the lowest of the offer's, the buyer's negotiated price (协议价) with the supplier, the 集采 agreed price
  (from the winner or its delivery enterprises) and an accepted quote's price (the order it becomes);
- the payer: a line bought under a direct-settlement contract (医保基金直接结算) is paid by the contract's fund.

The negotiated prices are read inside the gate's own statement (sql.GATE_READ); a public institution's designations and
contracts take two queries more, whatever the number of lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import Organization
from catalog.models import Offer
from orders.compliance import Reason
from orders.gate_rules import GateRule, register
from pharmex.divisions import division_codes_of
from procurement import sql
from procurement.choices import DesignationStatus
from procurement.models import DeliveryDesignation, ProcurementContract

# The accepted quote being turned into an order (quote_accept): offer id → (quoted price, quantity).
_QUOTED: ContextVar[dict[int, tuple[Decimal, int]] | None] = ContextVar("procurement_quoted", default=None)

NOT_DESIGNATED = "delivery_enterprise_not_designated"
CONTRACT_SUPPLIER_REQUIRED = "procurement_contract_supplier_required"


@dataclass(frozen=True)
class ProcurementFacts:
    public: bool
    designated: frozenset[tuple[int, int]] = frozenset()  # (drug id, distributor id) in force for the buyer
    # drug → (winner, price, programme, direct-settlement fund id or None)
    contracts: dict[int, list[tuple[int, Decimal, str, int | None]]] = field(default_factory=dict)
    prices: dict[tuple[int, int], Decimal] = field(default_factory=dict)  # (supplier, drug) → negotiated price
    quotes: dict[int, tuple[Decimal, int]] = field(default_factory=dict)  # offer → (price, quantity) accepted


def in_force_q(on: date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}valid_from__lte": on}) & (
        Q(**{f"{prefix}valid_until__isnull": True}) | Q(**{f"{prefix}valid_until__gte": on})
    )


def designations_in_force(*, buyer: Organization, drug_ids, on: date):
    """The accepted designations covering the buyer (named, or its province, city or county) on `on`; a revoked one
    until its end."""
    regions = division_codes_of(buyer.province_code, buyer.city_county)
    return DeliveryDesignation.objects.filter(
        in_force_q(on),
        Q(buyers=buyer) | Q(region_codes__overlap=regions),
        drug_id__in=drug_ids,
        status__in=[DesignationStatus.ACCEPTED, DesignationStatus.REVOKED],
        accepted_at__isnull=False,
    )


def load(
    *, buyer: Organization, offers: dict[int, Offer], on: date, rows: list[tuple] | None = None
) -> ProcurementFacts:
    """The facts for these offers; `rows` are the buyer's negotiated prices when the gate read them already
    (sql.GATE_READ), else they are read here (the market view)."""
    drug_ids = sorted({offer.drug_id for offer in offers.values()})
    public = buyer.is_public_institution
    if not drug_ids:
        return ProcurementFacts(public=public)
    designated, contracts = frozenset(), {}
    if public:
        designated = frozenset(
            designations_in_force(buyer=buyer, drug_ids=drug_ids, on=on).values_list("drug_id", "distributor_id")
        )
        for drug_id, supplier_id, price, name, fund_id in (
            ProcurementContract.objects.filter(drug_id__in=drug_ids, volumes__institution=buyer)
            .filter(valid_from__lte=on, valid_until__gte=on)
            .order_by("id")
            .values_list("drug_id", "supplier_id", "agreed_price", "programme", "settlement_fund_id")
        ):
            contracts.setdefault(drug_id, []).append((supplier_id, price, name, fund_id))
    prices: dict[tuple[int, int], Decimal] = {}
    if rows is None:
        rows = sql.negotiated_prices(buyer_id=buyer.pk, drug_ids=drug_ids, on=on)
    for supplier_id, drug_id, price in rows:
        key = (supplier_id, drug_id)
        prices[key] = min(price, prices.get(key, price))
    quotes = {offer_id: quoted for offer_id, quoted in (_QUOTED.get() or {}).items() if offer_id in offers}
    return ProcurementFacts(public=public, designated=designated, contracts=contracts, prices=prices, quotes=quotes)


@contextmanager
def quoted_prices(prices: dict[int, tuple[Decimal, int]]) -> Iterator[None]:
    """Within the block, the gate prices these offers (at exactly that quantity) at the quoted price: the one
    order an accepted quote becomes (quote_accept), and nothing else."""
    token = _QUOTED.set(prices)
    try:
        yield
    finally:
        _QUOTED.reset(token)


def reasons(facts: ProcurementFacts, *, buyer, offer: Offer, quantity: int, field: str) -> list[Reason]:
    if not facts.public:
        return []
    found = []
    drug, supplier_id = offer.drug, offer.supplier_id
    designated = (drug.pk, supplier_id) in facts.designated
    mah_id = drug.mah_organization_id
    # A drug whose MAH is not on the platform has nobody to designate its delivery enterprises.
    if mah_id is not None and supplier_id != mah_id and not designated:
        found.append(
            Reason(
                NOT_DESIGNATED,
                field,
                _(
                    "Public medical institutions buy this drug only from its marketing authorisation holder or a "
                    "delivery enterprise (配送企业) it designated for you."
                ),
            )
        )
    contracts = facts.contracts.get(drug.pk, [])
    if contracts and not designated and supplier_id not in {winner for winner, *_rest in contracts}:
        found.append(
            Reason(
                CONTRACT_SUPPLIER_REQUIRED,
                field,
                _(
                    "Under the volume-based procurement contract %(programme)s you buy this drug from its winning "
                    "supplier or the supplier's delivery enterprises."
                )
                % {"programme": contracts[0][2]},
            )
        )
    return found


def price(facts: ProcurementFacts, *, buyer, offer: Offer, quantity: int) -> Decimal | None:
    candidates = []
    if (negotiated := facts.prices.get((offer.supplier_id, offer.drug_id))) is not None:
        candidates.append(negotiated)
    designated = (offer.drug_id, offer.supplier_id) in facts.designated
    for winner, agreed, *_rest in facts.contracts.get(offer.drug_id, []):
        if offer.supplier_id == winner or designated:
            candidates.append(agreed)
    quoted = facts.quotes.get(offer.pk)
    if quoted is not None and quoted[1] == quantity:
        candidates.append(quoted[0])
    return min(candidates) if candidates else None


def payer(facts: ProcurementFacts, *, buyer, offer: Offer) -> int | None:
    """The fund of a direct-settlement contract the line is bought under (from the winner or its delivery
    enterprise, in the period, by an institution with an agreed volume); None: the buyer pays."""
    designated = (offer.drug_id, offer.supplier_id) in facts.designated
    for winner, _agreed, _name, fund_id in facts.contracts.get(offer.drug_id, []):
        if fund_id is not None and (offer.supplier_id == winner or designated):
            return fund_id
    return None


RULE = register(
    GateRule(
        name="procurement",
        load=load,
        reasons=reasons,
        price=price,
        payer=payer,
        read=sql.GATE_READ,
        read_columns=sql.NEGOTIATED_PRICE_COLUMNS,
    )
)
