"""The rules issue 13 added to the gate, each alone, then together in one request (SPEC §3, §4)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from accounts.choices import OrganizationKind
from catalog.choices import DrugCategory, DrugType, RestrictedClass, SpecialClass, Storage
from catalog.services import ceiling_set
from orders.compliance import LineRequest, compliance_check, gate_facts
from orders.models import Order
from pharmex.actor import SYSTEM_ACTOR
from tests.factories import CeilingPriceFactory, DrugFactory, LicenseFactory, OfferFactory, OrganizationFactory
from tests.orders.conftest import place

pytestmark = pytest.mark.django_db

OFFER_FIELDS = {"status", "min_order_quantity", "order_multiple", "provinces", "unit_price", "stock", "earliest_expiry"}


def codes(buyer, *lines, on: date | None = None) -> list[str]:
    """The reason codes of (offer, quantity) lines: the order's first, then each line's in order."""
    requests = [LineRequest(offer_id=offer.pk, quantity=quantity) for offer, quantity in lines]
    facts = gate_facts(buyer=buyer, lines=requests, on=on or timezone.localdate())
    result = compliance_check(buyer=buyer, lines=requests, facts=facts)
    return [r.code for r in result.order_reasons] + [r.code for v in result.lines for r in v.reasons]


def offer_of(supplier, **fields):
    offer_fields = {k: fields.pop(k) for k in list(fields) if k in OFFER_FIELDS}
    return OfferFactory(supplier=supplier, drug=DrugFactory(**fields), **offer_fields)


def buyer_with(kind=OrganizationKind.PHARMACY, *, scope, **fields):
    """A trading buyer whose one licence has exactly `scope`."""
    buyer = OrganizationFactory(kind=kind, trading=False, **fields)
    LicenseFactory(organization=buyer, scope_tags=scope)
    return buyer


@pytest.fixture
def supplier(db):
    return OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR)


@pytest.fixture
def pharmacy(db):
    return buyer_with(scope=["chemical", "tcm", "tcm_decoction", "biologics", "rx", "otc"])


# --- licence scope per category (SPEC §3) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("drug", "scope", "expected"),
    [
        ({"drug_type": DrugType.CHEMICAL}, ["rx", "otc"], ["chemical_not_licensed"]),
        ({"drug_type": DrugType.TCM}, ["chemical", "rx", "otc"], ["tcm_not_licensed"]),
        ({"drug_type": DrugType.TCM_DECOCTION, "approval_number": ""}, ["tcm", "rx"], ["tcm_decoction_not_licensed"]),
        ({"drug_type": DrugType.BIOLOGIC}, ["chemical", "rx"], ["biologics_not_licensed"]),
        ({"category": DrugCategory.OTC_A}, ["chemical", "rx"], ["otc_not_licensed"]),
        ({"category": DrugCategory.OTC_B}, ["chemical", "rx"], ["otc_not_licensed"]),
        ({"category": DrugCategory.RX}, ["chemical", "otc"], ["rx_not_licensed"]),
        ({"storage": Storage.FROZEN}, ["chemical", "rx"], ["cold_chain_not_licensed"]),
    ],
    ids=["chemical", "tcm", "tcm-decoction", "biologic", "otc-a", "otc-b", "rx", "frozen"],
)
def test_each_category_needs_its_licence_scope(supplier, drug, scope, expected):
    assert codes(buyer_with(scope=scope), (offer_of(supplier, **drug), 1)) == expected


def test_a_pharmacy_licensed_for_tcm_and_otc_only_cannot_buy_chemical_rx(supplier):
    tcm_otc = buyer_with(scope=["tcm", "otc"])
    chemical_rx = offer_of(supplier, drug_type=DrugType.CHEMICAL, category=DrugCategory.RX)
    tcm_otc_drug = offer_of(supplier, drug_type=DrugType.TCM, category=DrugCategory.OTC_A)
    assert codes(tcm_otc, (chemical_rx, 1)) == ["rx_not_licensed", "chemical_not_licensed"]
    assert codes(tcm_otc, (tcm_otc_drug, 1)) == []


def test_only_valid_licences_give_scope(supplier):
    buyer = buyer_with(scope=["chemical", "rx"])
    LicenseFactory(organization=buyer, type="business", scope_tags=["tcm"], valid_until=date(2020, 1, 1),
                   valid_from=date(2019, 1, 1))  # fmt: skip
    assert codes(buyer, (offer_of(supplier, drug_type=DrugType.TCM), 1)) == ["tcm_not_licensed"]


# --- what may be sold (SPEC §4) --------------------------------------------------------------------------------


@pytest.mark.parametrize("drug_type", [DrugType.INSTITUTION_PREPARATION, DrugType.TCM_FORMULA_GRANULE])
def test_the_ban_list_covers_institution_preparations_and_formula_granules(pharmacy, supplier, drug_type):
    offer = offer_of(supplier, drug_type=drug_type, approval_number="")
    assert codes(pharmacy, (offer, 1)) == ["network_sale_banned"]


def test_a_drug_whose_registration_expired_cannot_be_ordered(pharmacy, supplier):
    today = timezone.localdate()
    expired = offer_of(supplier, registration_valid_until=today - timedelta(days=1))
    last_day = offer_of(supplier, registration_valid_until=today)
    assert codes(pharmacy, (expired, 1)) == ["registration_expired"]
    assert codes(pharmacy, (last_day, 1)) == []


@pytest.mark.parametrize("restricted", [RestrictedClass.ANABOLIC_AGENT, RestrictedClass.PEPTIDE_HORMONE])
def test_retail_pharmacies_may_not_buy_anabolic_agents_or_peptide_hormones(supplier, restricted):
    everything = ["chemical", "biologics", "rx", "otc", "anabolic_agent", "peptide_hormone"]
    offer = offer_of(supplier, restricted_class=restricted)
    assert codes(buyer_with(scope=everything), (offer, 1)) == [f"{restricted}_not_for_pharmacies"]
    # other buyers need the scope for the class
    assert codes(buyer_with(OrganizationKind.DISTRIBUTOR, scope=["chemical", "rx"]), (offer, 1)) == [
        f"{restricted}_not_licensed"
    ]
    assert codes(buyer_with(OrganizationKind.HOSPITAL, scope=["chemical", "rx", restricted]), (offer, 1)) == []


def test_insulin_is_not_a_restricted_peptide_hormone(supplier, pharmacy):
    insulin = offer_of(
        supplier,
        generic_name="重组人胰岛素注射液",
        drug_type=DrugType.BIOLOGIC,
        restricted_class=RestrictedClass.PEPTIDE_HORMONE,
    )
    assert codes(pharmacy, (insulin, 1)) == []


def test_pregnancy_termination_drugs_go_only_to_medical_institutions_licensed_for_them(supplier):
    offer = offer_of(supplier, restricted_class=RestrictedClass.PREGNANCY_TERMINATION)
    licensed = ["chemical", "rx", "pregnancy_termination"]
    assert codes(buyer_with(OrganizationKind.HOSPITAL, scope=licensed), (offer, 1)) == []
    assert codes(buyer_with(OrganizationKind.CLINIC, scope=licensed), (offer, 1)) == []
    refused = ["pregnancy_termination_not_licensed"]
    assert codes(buyer_with(OrganizationKind.HOSPITAL, scope=["chemical", "rx"]), (offer, 1)) == refused
    assert codes(buyer_with(OrganizationKind.PHARMACY, scope=licensed), (offer, 1)) == refused
    assert codes(buyer_with(OrganizationKind.DISTRIBUTOR, scope=licensed), (offer, 1)) == refused


def test_ephedrine_compounds_have_a_per_order_limit_for_pharmacies(settings, supplier, pharmacy):
    settings.EPHEDRINE_PHARMACY_MAX_QUANTITY = 10
    first = offer_of(
        supplier, restricted_class=RestrictedClass.EPHEDRINE_COMPOUND, category=DrugCategory.OTC_A, stock=1000
    )
    second = offer_of(supplier, restricted_class=RestrictedClass.EPHEDRINE_COMPOUND, category=DrugCategory.OTC_A)
    other_supplier = offer_of(
        OrganizationFactory(), restricted_class=RestrictedClass.EPHEDRINE_COMPOUND, category=DrugCategory.OTC_A
    )
    assert codes(pharmacy, (first, 10)) == []
    assert codes(pharmacy, (first, 11)) == ["ephedrine_quantity_exceeded"]
    # all lines of one order together; a checkout's other supplier is another order
    assert codes(pharmacy, (first, 6), (second, 5)) == ["ephedrine_quantity_exceeded"] * 2
    assert codes(pharmacy, (first, 6), (other_supplier, 6)) == []
    assert codes(buyer_with(OrganizationKind.DISTRIBUTOR, scope=["chemical", "otc"]), (first, 500)) == []


def test_shelf_life_at_quote_time_uses_the_buyers_minimum(supplier):
    today = timezone.localdate()
    buyer = buyer_with(scope=["chemical", "rx"], min_shelf_life_days=200)
    short = offer_of(supplier, earliest_expiry=today + timedelta(days=199))
    enough = offer_of(supplier, earliest_expiry=today + timedelta(days=200))
    unknown = offer_of(supplier, earliest_expiry=None)
    assert codes(buyer, (short, 1)) == ["shelf_life_too_short"]
    assert codes(buyer, (enough, 1)) == []
    assert codes(buyer, (unknown, 1)) == []


# --- ceilings: every public medical institution, the ceiling in force on the order date ------------------------


@pytest.mark.parametrize(
    ("kind", "ownership", "refused"),
    [
        (OrganizationKind.HOSPITAL, "public", True),
        (OrganizationKind.CLINIC, "public", True),  # 乡镇卫生院, 社区卫生服务中心
        (OrganizationKind.CLINIC, "private", False),
        (OrganizationKind.HOSPITAL, "private", False),
        (OrganizationKind.PHARMACY, "", False),
    ],
)
def test_the_ceiling_binds_every_public_medical_institution(supplier, kind, ownership, refused):
    buyer = buyer_with(kind, scope=["chemical", "rx"], ownership=ownership)
    above = offer_of(supplier, unit_price=Decimal("10.01"), ceiling_price=Decimal("10.00"),
                     ceiling_effective_from=date(2026, 1, 1))  # fmt: skip
    assert codes(buyer, (above, 1)) == (["above_ceiling_price"] if refused else [])


def test_a_ceiling_in_the_future_does_not_apply_today_and_a_change_keeps_the_old_period(supplier):
    hospital = buyer_with(OrganizationKind.HOSPITAL, scope=["chemical", "rx"], ownership="public")
    first, change = timezone.localdate() - timedelta(days=30), timezone.localdate() + timedelta(days=30)
    offer = offer_of(
        supplier, unit_price=Decimal("10.50"), ceiling_price=Decimal("11.00"), ceiling_effective_from=first
    )
    drug = offer.drug
    ceiling_set(drug=drug, actor=SYSTEM_ACTOR, price=Decimal("10.00"), effective_from=change)

    assert codes(hospital, (offer, 1)) == []  # 11.00 stays in force until the day before the change
    with time_machine.travel(change - timedelta(days=1), tick=False):
        assert codes(hospital, (offer, 1)) == []
    with time_machine.travel(change, tick=False):
        assert codes(hospital, (offer, 1)) == ["above_ceiling_price"]
    periods = drug.ceiling_prices.order_by("effective_from").values_list("price", "effective_from", "effective_until")
    assert list(periods) == [
        (Decimal("11.00"), first, change - timedelta(days=1)),
        (Decimal("10.00"), change, None),
    ]


def test_a_period_without_a_price_ends_the_ceiling(supplier):
    hospital = buyer_with(OrganizationKind.HOSPITAL, scope=["chemical", "rx"], ownership="public")
    offer = offer_of(supplier, unit_price=Decimal("12.00"))
    CeilingPriceFactory(drug=offer.drug, price=Decimal("10.00"), effective_from=date(2026, 1, 1))
    assert codes(hospital, (offer, 1)) == ["above_ceiling_price"]
    ceiling_set(drug=offer.drug, actor=SYSTEM_ACTOR, price=None, effective_from=timezone.localdate())
    assert codes(hospital, (offer, 1)) == []


# --- together --------------------------------------------------------------------------------------------------


def test_every_new_reason_is_reported_at_once_by_placement_and_preview(market, settings):
    settings.EPHEDRINE_PHARMACY_MAX_QUANTITY = 5
    today = timezone.localdate()
    supplier = market.supplier  # its buyer: a pharmacy licensed for chemical, tcm, rx and otc
    anabolic = offer_of(supplier, restricted_class=RestrictedClass.ANABOLIC_AGENT,
                        registration_valid_until=today - timedelta(days=1))  # fmt: skip
    decoction = offer_of(supplier, drug_type=DrugType.TCM_DECOCTION, approval_number="",
                         earliest_expiry=today + timedelta(days=30))  # fmt: skip
    granule = offer_of(supplier, drug_type=DrugType.TCM_FORMULA_GRANULE, approval_number="")
    ephedrine = offer_of(supplier, restricted_class=RestrictedClass.EPHEDRINE_COMPOUND, special_class=SpecialClass.NONE)
    lines = [(anabolic.pk, 1), (decoction.pk, 1), (granule.pk, 1), (ephedrine.pk, 6)]

    response = place(market.buyer_client(), *lines)
    preview = market.buyer_client().post(
        "/api/v1/checkout/preview/",
        {"lines": [{"offer_id": offer_id, "quantity": quantity} for offer_id, quantity in lines]},
        format="json",
    )

    expected = [
        ("lines[0].offer_id", "registration_expired"),
        ("lines[0].offer_id", "anabolic_agent_not_for_pharmacies"),
        ("lines[1].offer_id", "tcm_decoction_not_licensed"),
        ("lines[1].offer_id", "shelf_life_too_short"),
        ("lines[2].offer_id", "network_sale_banned"),
        ("lines[3].quantity", "ephedrine_quantity_exceeded"),
    ]
    assert response.status_code == 409
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == expected
    assert Order.objects.exists() is False
    assert preview.status_code == 200
    body = preview.json()
    assert body["eligible"] is False
    assert [(r["field"], r["code"]) for line in body["lines"] for r in line["reasons"]] == expected


def test_the_gate_speaks_chinese(market):
    expired = offer_of(market.supplier, registration_valid_until=timezone.localdate() - timedelta(days=1),
                       restricted_class=RestrictedClass.PEPTIDE_HORMONE)  # fmt: skip
    response = market.buyer_client().post(
        "/api/v1/orders/",
        {"lines": [{"offer_id": expired.pk, "quantity": 1}]},
        format="json",
        HTTP_ACCEPT_LANGUAGE="zh-CN",
    )
    assert response.status_code == 409
    body = response.json()
    assert body["title"] == "订单违反一项或多项交易规则"
    assert body["detail"] == "2 项规则拒绝了该订单。"
    messages = [e["message"] for e in body["errors"]]
    assert messages[0].startswith("该药品的批准文号已于 ")
    assert messages[1] == "零售药店不得购进肽类激素（胰岛素除外）。"
