"""The compliance gate: every reason alone, and several at once (SPEC §5)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.choices import LicenseStatus, OrganizationKind, OrganizationStatus
from accounts.models import License
from catalog.choices import DrugCategory, DrugStatus, DrugType, OfferStatus, SpecialClass, Storage
from orders.compliance import LineRequest, compliance_check, gate_facts
from tests.factories import DrugFactory, LicenseFactory, OfferFactory, OrganizationFactory
from tests.orders.conftest import place

pytestmark = pytest.mark.django_db


def reasons(buyer, offer, quantity=1, *, check_stock=True):
    lines = [LineRequest(offer_id=offer.pk if offer else 10**9, quantity=quantity)]
    facts = gate_facts(buyer=buyer, lines=lines, on=timezone.localdate())
    result = compliance_check(buyer=buyer, lines=lines, facts=facts, check_stock=check_stock)
    return [r.code for r in result.order_reasons] + [r.code for r in result.lines[0].reasons]


@pytest.fixture
def buyer(db):
    return OrganizationFactory(kind=OrganizationKind.PHARMACY)


@pytest.fixture
def supplier(db):
    return OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR)


def offer_of(supplier, **drug_and_offer):
    offer_fields = {
        k: drug_and_offer.pop(k)
        for k in list(drug_and_offer)
        if k in {"status", "min_order_quantity", "order_multiple", "provinces", "unit_price", "stock"}
    }
    if "ceiling_price" in drug_and_offer:
        drug_and_offer["ceiling_effective_from"] = timezone.localdate()
    return OfferFactory(supplier=supplier, drug=DrugFactory(**drug_and_offer), **offer_fields)


def test_an_ordinary_line_passes(buyer, supplier):
    assert reasons(buyer, offer_of(supplier)) == []


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda b, s: offer_of(s, status=OfferStatus.PAUSED), "offer_not_active"),
        (lambda b, s: offer_of(s, min_order_quantity=5), "below_minimum_quantity"),
        (lambda b, s: offer_of(s, order_multiple=2), "not_order_multiple"),
        (lambda b, s: offer_of(s, provinces=["110000"]), "province_not_served"),
        (lambda b, s: offer_of(s, stock=0), "insufficient_stock"),
        (lambda b, s: offer_of(s, drug_type=DrugType.BIOLOGIC), "biologics_not_licensed"),
        (lambda b, s: offer_of(s, storage=Storage.COLD_CHAIN), "cold_chain_not_licensed"),
        (lambda b, s: offer_of(s, special_class=SpecialClass.NARCOTIC), "network_sale_banned"),
        (lambda b, s: _withdrawn(s), "drug_not_active"),
    ],
    ids=["inactive", "minimum", "multiple", "province", "stock", "biologic", "cold-chain", "banned", "withdrawn"],
)
def test_each_line_rule_alone(buyer, supplier, setup, expected):
    assert reasons(buyer, setup(buyer, supplier)) == [expected]


def _withdrawn(supplier):
    return OfferFactory(supplier=supplier, drug=DrugFactory(status=DrugStatus.WITHDRAWN))


def test_prescription_drugs_need_the_rx_scope(supplier):
    otc_only = OrganizationFactory(kind=OrganizationKind.PHARMACY, trading=False)
    LicenseFactory(organization=otc_only, scope_tags=["chemical", "otc"])
    assert reasons(otc_only, offer_of(supplier, category=DrugCategory.RX)) == ["rx_not_licensed"]
    assert reasons(otc_only, offer_of(supplier, category=DrugCategory.OTC_A)) == []


def test_public_hospitals_buy_at_or_below_the_ceiling(supplier):
    public = OrganizationFactory(kind=OrganizationKind.HOSPITAL, ownership="public")
    private = OrganizationFactory(kind=OrganizationKind.HOSPITAL, ownership="private")
    above = offer_of(supplier, ceiling_price=Decimal("10.00"), unit_price=Decimal("10.01"))
    at = offer_of(supplier, ceiling_price=Decimal("10.00"), unit_price=Decimal("10.00"))
    assert reasons(public, above) == ["above_ceiling_price"]
    assert reasons(public, at) == []
    assert reasons(private, above) == []


def test_the_supplier_must_be_able_to_trade(buyer, supplier):
    offer = offer_of(supplier)
    supplier.status = OrganizationStatus.SUSPENDED
    supplier.save()
    assert reasons(buyer, offer) == ["supplier_may_not_trade"]


def test_a_supplier_whose_licence_expired_cannot_sell(buyer, supplier):
    offer = offer_of(supplier)
    License.objects.filter(organization=supplier).update(valid_until=timezone.localdate() - timedelta(days=1))
    assert reasons(buyer, offer) == ["supplier_may_not_trade"]


def test_the_buyer_must_be_able_to_trade(supplier):
    pending = OrganizationFactory(kind=OrganizationKind.CLINIC, status=OrganizationStatus.PENDING)
    assert reasons(pending, offer_of(supplier)) == ["buyer_may_not_trade"]
    unlicensed = OrganizationFactory(kind=OrganizationKind.CLINIC, trading=False)
    LicenseFactory(organization=unlicensed, type="medical_institution", status=LicenseStatus.PENDING)
    # a licence under review gives no scope either: every reason at once
    assert reasons(unlicensed, offer_of(supplier, category=DrugCategory.OTC_A)) == [
        "buyer_may_not_trade",
        "otc_not_licensed",
        "chemical_not_licensed",
    ]


def test_manufacturers_do_not_buy_and_nobody_buys_from_itself(supplier):
    manufacturer = OrganizationFactory(kind=OrganizationKind.MANUFACTURER)
    assert reasons(manufacturer, offer_of(supplier)) == ["not_a_buyer"]
    assert reasons(supplier, offer_of(supplier)) == ["own_offer"]


def test_an_unknown_offer(buyer):
    assert reasons(buyer, None) == ["offer_not_found"]


def test_several_reasons_are_reported_at_once_with_their_fields(supplier):
    public = OrganizationFactory(kind=OrganizationKind.HOSPITAL, ownership="public", trading=False)
    LicenseFactory(organization=public, scope_tags=["chemical"])
    offer = offer_of(
        supplier,
        drug_type=DrugType.BIOLOGIC,
        storage=Storage.COLD_CHAIN,
        category=DrugCategory.RX,
        ceiling_price=Decimal("1.00"),
        unit_price=Decimal("2.00"),
        min_order_quantity=10,
        order_multiple=10,
        provinces=["440000"],
        stock=3,
    )
    client_reasons = reasons(public, offer, quantity=5)
    assert client_reasons == [
        "below_minimum_quantity",
        "not_order_multiple",
        "province_not_served",
        "rx_not_licensed",
        "biologics_not_licensed",
        "cold_chain_not_licensed",
        "above_ceiling_price",
        "insufficient_stock",
    ]


def test_placement_reports_every_failing_line_with_codes(market):
    paused = OfferFactory(supplier=market.supplier, status=OfferStatus.PAUSED)
    response = place(market.buyer_client(), (market.offer.pk, 1), (paused.pk, 1), (market.offer.pk, 1))
    assert response.status_code == 409
    body = response.json()
    assert body["type"].endswith("/order-not-allowed")
    assert body["code"] == "order_not_allowed"
    assert [(e["field"], e["code"]) for e in body["errors"]] == [
        ("lines[1].offer_id", "offer_not_active"),
        ("lines[2].offer_id", "duplicate_offer"),
    ]
