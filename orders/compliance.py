"""The compliance gate (SPEC §3, §4, §5): one function decides every (buyer, offer, quantity) line.

Placement, checkout and the preview all call `compliance_check`; it reports every failing reason at once, each
with a machine-readable code, the request field it concerns and a translated message. The facts it needs are
loaded in a constant number of queries by `gate_facts`, so the rules themselves are pure.

The steps after placement ask the same rules again (SPEC §3, "may-trade is checked at every step that moves goods
or money"): `supplier_may_confirm_reasons` and `supplier_may_ship_reasons` (the supplier may trade, the order is
not held) and `buyer_may_receive_reasons` (the buyer's licence scope covers the goods).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import BUYER_KINDS, MEDICAL_INSTITUTION_KINDS, OrganizationKind, ScopeTag
from accounts.models import Organization
from accounts.selectors import NO_STANDING, trading_standing, trading_standings_from
from catalog.choices import COLD_STORAGE, DrugCategory, DrugStatus, DrugType, OfferStatus, RestrictedClass
from catalog.customs import lecheng_approvals_for
from catalog.models import Drug, LechengApproval, Offer
from catalog.services.offers import network_ban_reason
from catalog.sql import offers_from_rows
from firstbusiness.gate import NOT_REQUIRED, ReviewFacts, review_facts_from, review_findings
from orders import gate_rules, sql
from orders.customs import customs_findings, shipment_customs_findings
from orders.models import Order
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
    unit_price: Decimal | None = None  # what the buyer pays: the offer's price or a lower one (orders.gate_rules)
    payer_fund_id: int | None = None  # the insurance fund that pays the line instead of the buyer (gate_rules)

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
    on: date  # the order date: ceilings, registrations and shelf life are judged on it
    buyer_may_trade: bool
    buyer_scope: frozenset[str]
    trading_supplier_ids: frozenset[int]
    offers: dict[int, Offer]  # each drug with its ceiling in force on `on` (catalog.sql)
    license_numbers: dict[int, str]  # organisation → its valid trading licence (the order's snapshot)
    first_business: ReviewFacts = NOT_REQUIRED  # the buyer's first-business approvals (firstbusiness.gate)
    # The buyer's Lecheng approvals valid on `on`, by drug (loaded only for carts with special-licensed drugs).
    lecheng_approvals: dict[int, list[LechengApproval]] = field(default_factory=dict)
    extra: tuple = ()  # the facts of the rules apps above orders add (orders.gate_rules)


def gate_facts(*, buyer: Organization, lines: Sequence[LineRequest], on: date) -> GateFacts:
    """Everything the rules need: the offers, the parties' standings, the buyer's first-business decisions and what
    the registered rules read, in one statement whatever the number of lines (orders.sql.gate_reads); a rule may
    read more in its `load` (procurement's designations and contracts for a public institution)."""
    reviews = buyer.requires_first_business_review
    rows = sql.gate_reads(buyer_id=buyer.pk, offer_ids=[line.offer_id for line in lines], on=on, reviews=reviews)
    offers = offers_from_rows(rows.offers)
    standings = trading_standings_from(rows.licences)
    buyer_standing = standings.get(buyer.pk, NO_STANDING)
    return GateFacts(
        on=on,
        buyer_may_trade=buyer_standing.may_trade,
        buyer_scope=buyer_standing.scope_tags,
        trading_supplier_ids=frozenset(pk for pk, standing in standings.items() if standing.may_trade),
        offers=offers,
        license_numbers={pk: standing.license_number for pk, standing in standings.items()},
        first_business=review_facts_from(rows.decisions, on=on) if reviews else NOT_REQUIRED,
        extra=gate_rules.load_all(buyer=buyer, offers=offers, on=on, rows=rows.rules),
        lecheng_approvals=lecheng_approvals_for(
            institution_id=buyer.pk,
            drug_ids=[offer.drug_id for offer in offers.values() if offer.drug.special_licensed],
            on=on,
        )
        if any(offer.drug.special_licensed for offer in offers.values())
        else {},
    )


def compliance_check(
    *, buyer: Organization, lines: Sequence[LineRequest], facts: GateFacts, check_stock: bool = True
) -> GateResult:
    """Every reason the buyer may not order these lines (none: the order may be placed)."""
    order_reasons = []
    if buyer.kind not in BUYER_KINDS:
        order_reasons.append(
            Reason("not_a_buyer", "buyer", _("A %(kind)s cannot buy on the platform.") % {"kind": buyer.kind})
        )
    if not facts.buyer_may_trade:
        order_reasons.append(
            Reason(
                "buyer_may_not_trade",
                "buyer",
                _("Your organisation may not trade: it must be verified and hold a valid licence."),
            )
        )
    if len(lines) > settings.MAX_ORDER_LINES:
        order_reasons.append(
            Reason(
                "too_many_lines",
                "lines",
                _("An order has at most %(count)s lines.") % {"count": settings.MAX_ORDER_LINES},
            )
        )
    seen: set[int] = set()
    verdicts = []
    for index, line in enumerate(lines):
        verdict = LineVerdict(index=index, request=line, offer=facts.offers.get(line.offer_id))
        if verdict.offer is not None:
            verdict.unit_price = gate_rules.price_of(
                facts.extra, buyer=buyer, offer=verdict.offer, quantity=line.quantity
            )
            verdict.payer_fund_id = gate_rules.payer_of(facts.extra, buyer=buyer, offer=verdict.offer)
        verdict.reasons = _line_reasons(
            buyer=buyer,
            index=index,
            line=line,
            offer=verdict.offer,
            facts=facts,
            duplicate=line.offer_id in seen,
            check_stock=check_stock,
            unit_price=verdict.unit_price,
        )
        seen.add(line.offer_id)
        if verdict.offer is not None:
            verdict.gross, verdict.tax = line_amounts(
                unit_price=verdict.unit_price, quantity=line.quantity, vat_rate=verdict.offer.vat_rate
            )
        verdicts.append(verdict)
    _ephedrine_limit(buyer=buyer, verdicts=verdicts)
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
    unit_price: Decimal | None = None,
) -> list[Reason]:
    at, qty = f"lines[{index}].offer_id", f"lines[{index}].quantity"
    if offer is None:
        return [Reason("offer_not_found", at, _("There is no offer %(id)s.") % {"id": line.offer_id})]
    drug = offer.drug
    reasons = []
    if duplicate:
        reasons.append(Reason("duplicate_offer", at, _("The same offer appears twice; combine the quantities.")))
    if offer.supplier_id == buyer.pk:
        reasons.append(Reason("own_offer", at, _("You cannot order from your own organisation.")))
    if offer.status != OfferStatus.ACTIVE:
        reasons.append(
            Reason("offer_not_active", at, _("The offer is %(status)s.") % {"status": offer.get_status_display()})
        )
    if offer.supplier_id not in facts.trading_supplier_ids:
        reasons.append(Reason("supplier_may_not_trade", at, _("The supplier may not trade at the moment.")))
    if drug.status != DrugStatus.ACTIVE:
        reasons.append(
            Reason("drug_not_active", at, _("The drug is %(status)s.") % {"status": drug.get_status_display()})
        )
    if drug.registration_expired(facts.on):
        reasons.append(
            Reason(
                "registration_expired",
                at,
                _("The drug's registration (批准文号) expired on %(date)s.") % {"date": drug.registration_valid_until},
            )
        )
    if (banned := network_ban_reason(drug)) is not None:
        reasons.append(
            Reason(
                "network_sale_banned",
                at,
                _("Network sale of %(kind)s drugs is prohibited.") % {"kind": _class_label(drug, banned)},
            )
        )
    if line.quantity < offer.min_order_quantity:
        reasons.append(
            Reason(
                "below_minimum_quantity",
                qty,
                _("The minimum order is %(quantity)s.") % {"quantity": offer.min_order_quantity},
            )
        )
    if line.quantity % offer.order_multiple:
        reasons.append(
            Reason(
                "not_order_multiple", qty, _("Order in multiples of %(multiple)s.") % {"multiple": offer.order_multiple}
            )
        )
    if offer.provinces and buyer.province_code not in offer.provinces:
        reasons.append(Reason("province_not_served", at, _("The supplier does not ship to your province.")))
    reasons += scope_reasons(drug=drug, scope=facts.buyer_scope, field=at)
    reasons += restricted_reasons(buyer=buyer, drug=drug, scope=facts.buyer_scope, field=at)
    ceiling = drug.ceiling_in_force(facts.on)
    if (
        buyer.is_public_institution
        and ceiling is not None
        and ceiling.price is not None
        and (unit_price or offer.unit_price) > ceiling.price
    ):
        reasons.append(
            Reason(
                "above_ceiling_price",
                at,
                _("Public medical institutions buy at or below the ceiling price %(price)s in force on %(date)s.")
                % {"price": ceiling.price, "date": facts.on},
            )
        )
    earliest = facts.on + timedelta(days=buyer.min_shelf_life_days)
    if offer.earliest_expiry is not None and offer.earliest_expiry < earliest:
        reasons.append(
            Reason(
                "shelf_life_too_short",
                at,
                _("The offer's earliest expiry %(expiry)s leaves less than your minimum shelf life (%(days)s days).")
                % {"expiry": offer.earliest_expiry, "days": buyer.min_shelf_life_days},
            )
        )
    reasons += [
        Reason(finding.code, at, finding.message)
        for finding in review_findings(
            facts.first_business, buyer_id=buyer.pk, supplier_id=offer.supplier_id, drug_id=offer.drug_id
        )
    ]
    reasons += gate_rules.reasons_of(facts.extra, buyer=buyer, offer=offer, quantity=line.quantity, field=at)
    reasons += [
        Reason(code, qty if code == "lecheng_quantity_exceeded" else at, message)
        for code, message in customs_findings(
            buyer=buyer,
            offer=offer,
            quantity=line.quantity,
            approvals=facts.lecheng_approvals.get(offer.drug_id, []),
            on=facts.on,
        )
    ]
    if check_stock and line.quantity > offer.stock:
        reasons.append(Reason("insufficient_stock", qty, _("Only %(stock)s available.") % {"stock": offer.stock}))
    return reasons


def _class_label(drug: Drug, value: str) -> str:
    """The translated name of the drug type or special class that `value` names."""
    for choice_field in ("drug_type", "special_class"):
        if getattr(drug, choice_field) == value:
            return str(getattr(drug, f"get_{choice_field}_display")())
    return value


# The licence scope (经营/诊疗范围) each kind of drug needs (SPEC §3). Banned types need none: they never sell.
_CATEGORY_SCOPE = {DrugCategory.RX: ScopeTag.RX, DrugCategory.OTC_A: ScopeTag.OTC, DrugCategory.OTC_B: ScopeTag.OTC}
_TYPE_SCOPE = {
    DrugType.CHEMICAL: ScopeTag.CHEMICAL,
    DrugType.TCM: ScopeTag.TCM,
    DrugType.TCM_DECOCTION: ScopeTag.TCM_DECOCTION,
    DrugType.BIOLOGIC: ScopeTag.BIOLOGICS,
}
_RESTRICTED_SCOPE = {
    RestrictedClass.ANABOLIC_AGENT: ScopeTag.ANABOLIC_AGENT,
    RestrictedClass.PEPTIDE_HORMONE: ScopeTag.PEPTIDE_HORMONE,
    RestrictedClass.PREGNANCY_TERMINATION: ScopeTag.PREGNANCY_TERMINATION,
}


def required_scope(drug: Drug) -> list[str]:
    """The scope tags a buyer needs for the drug, in the order their reasons are reported."""
    needed = [_CATEGORY_SCOPE.get(drug.category), _TYPE_SCOPE.get(drug.drug_type)]
    if drug.storage in COLD_STORAGE:
        needed.append(ScopeTag.COLD_CHAIN)
    return [str(tag) for tag in needed if tag is not None]


def scope_reasons(*, drug: Drug, scope: frozenset[str], field: str) -> list[Reason]:
    """`<scope>_not_licensed` for each scope the drug needs and the buyer's valid licences lack."""
    return [
        Reason(
            f"{tag}_not_licensed",
            field,
            _("Your licence scope does not cover %(scope)s (%(tag)s).") % {"scope": ScopeTag(tag).label, "tag": tag},
        )
        for tag in required_scope(drug)
        if tag not in scope
    ]


def restricted_reasons(*, buyer: Organization, drug: Drug, scope: frozenset[str], field: str) -> list[Reason]:
    """The restricted classes (SPEC §4): anabolic agents and peptide hormones (insulin excepted) never to retail
    pharmacies and to others only with the scope; pregnancy termination drugs only to medical institutions licensed
    for them. (The ephedrine-compound quantity limit is per order: `_ephedrine_limit`.)"""
    restricted = drug.effective_restricted_class
    label = str(RestrictedClass(restricted).label)
    if restricted in (RestrictedClass.ANABOLIC_AGENT, RestrictedClass.PEPTIDE_HORMONE):
        if buyer.kind == OrganizationKind.PHARMACY:
            return [
                Reason(
                    f"{restricted}_not_for_pharmacies",
                    field,
                    _("Retail pharmacies may not buy %(class)s.") % {"class": label},
                )
            ]
        if _RESTRICTED_SCOPE[restricted] not in scope:
            return [
                Reason(
                    f"{restricted}_not_licensed",
                    field,
                    _("Your licence scope does not cover %(class)s.") % {"class": label},
                )
            ]
    if restricted == RestrictedClass.PREGNANCY_TERMINATION and not (
        buyer.kind in MEDICAL_INSTITUTION_KINDS and ScopeTag.PREGNANCY_TERMINATION in scope
    ):
        return [
            Reason(
                "pregnancy_termination_not_licensed",
                field,
                _("%(class)s go only to medical institutions licensed for them.") % {"class": label},
            )
        ]
    return []


def _ephedrine_limit(*, buyer: Organization, verdicts: list[LineVerdict]) -> None:
    """A pharmacy's order holds at most EPHEDRINE_PHARMACY_MAX_QUANTITY units of ephedrine compound preparations, all
    lines together; each order is one supplier's lines (checkout makes one per supplier)."""
    if buyer.kind != OrganizationKind.PHARMACY:
        return
    limit = settings.EPHEDRINE_PHARMACY_MAX_QUANTITY
    by_supplier: dict[int, list[LineVerdict]] = defaultdict(list)
    for verdict in verdicts:
        if verdict.offer is not None and verdict.offer.drug.restricted_class == RestrictedClass.EPHEDRINE_COMPOUND:
            by_supplier[verdict.offer.supplier_id].append(verdict)
    for group in by_supplier.values():
        total = sum(v.request.quantity for v in group)
        if total > limit:
            for verdict in group:
                verdict.reasons.append(
                    Reason(
                        "ephedrine_quantity_exceeded",
                        f"lines[{verdict.index}].quantity",
                        _(
                            "A pharmacy's order holds at most %(limit)s units of ephedrine compound preparations "
                            "(含麻黄碱类复方制剂); this one has %(total)s."
                        )
                        % {"limit": limit, "total": total},
                    )
                )


# --- the steps after placement --------------------------------------------------------------------------------


def order_hold_reasons(order: Order) -> list[Reason]:
    """`order_held` while an admin has not decided on an order whose drug left the market."""
    if not order.held:
        return []
    return [
        Reason(
            "order_held",
            "order",
            _("The order is held (%(reason)s) until a platform admin releases or cancels it.")
            % {"reason": order.hold_note or order.hold_reason},
        )
    ]


def supplier_may_confirm_reasons(order: Order, *, on: date | None = None) -> list[Reason]:
    """Why the supplier may not confirm the order now: it may not trade (suspended, licence expired since the order
    was placed), or the order is held. Empty: it may."""
    reasons = []
    if not trading_standing(organization=order.supplier, on=on or today()).may_trade:
        reasons.append(
            Reason(
                "supplier_may_not_trade",
                "supplier",
                _("Your organisation may not trade now: it must be verified and hold a valid licence."),
            )
        )
    return reasons + order_hold_reasons(order)


def supplier_may_ship_reasons(order: Order, *, on: date | None = None) -> list[Reason]:
    """Why the supplier may not ship the order now (the same rules as confirming, and the order's Hainan customs
    formalities). Empty: it may."""
    return supplier_may_confirm_reasons(order, on=on) + [
        Reason(code, "order", message) for code, message in shipment_customs_findings(order, on=on or today())
    ]


def buyer_may_receive_reasons(order: Order, *, on: date | None = None) -> list[Reason]:
    """Why the buyer may not receive the order's goods now: its valid licences' scope lacks what a line needs (a
    suspended buyer still receives what was shipped, SPEC §3; an expired licence has no scope). Empty: it may."""
    standing = trading_standing(organization=order.buyer, on=on or today())
    reasons = []
    for line in order.lines.select_related("drug").order_by("line_no"):
        at = f"lines[{line.line_no - 1}]"
        reasons += scope_reasons(drug=line.drug, scope=standing.scope_tags, field=at)
        reasons += restricted_reasons(buyer=order.buyer, drug=line.drug, scope=standing.scope_tags, field=at)
    return reasons


def today() -> date:
    return timezone.localdate()
