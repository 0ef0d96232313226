"""The Hainan Free Trade Port rules of the gate (SPEC §4a), each alone, then all at once with the older rules."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.choices import MemberRole, OrganizationKind
from catalog.choices import CustomsStatus
from catalog.models import LechengApproval, Offer
from orders.models import Order
from tests.conftest import client_for
from tests.factories import MembershipFactory, OfferFactory, OrganizationFactory
from tests.orders.conftest import place
from tests.orders.hainan import approval, beneficiary, lecheng_institution, special_drug, special_offer
from tests.orders.test_compliance_rules import codes

pytestmark = pytest.mark.django_db

MAINLAND = "440000"  # Guangdong


@pytest.fixture
def supplier(db):
    return OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR)


def zero_tariff(supplier, **fields):
    return OfferFactory(supplier=supplier, customs_status=CustomsStatus.ZERO_TARIFF, **fields)


# --- zero-tariff goods ------------------------------------------------------------------------------------------


def test_zero_tariff_goods_go_to_a_verified_beneficiary_on_the_island(supplier):
    assert codes(beneficiary(), (zero_tariff(supplier), 1)) == []


def test_zero_tariff_goods_are_refused_to_an_island_buyer_that_is_not_a_beneficiary(supplier):
    offer = zero_tariff(supplier)
    unverified = OrganizationFactory(kind=OrganizationKind.PHARMACY, zero_tariff_registration="HN-ZT-999999")
    plain = OrganizationFactory(kind=OrganizationKind.PHARMACY)

    assert codes(plain, (offer, 1)) == ["zero_tariff_beneficiary_required"]
    assert codes(unverified, (offer, 1)) == ["zero_tariff_beneficiary_required"]


def test_zero_tariff_goods_to_the_mainland_need_the_second_line(supplier):
    mainland = OrganizationFactory(kind=OrganizationKind.PHARMACY, province_code=MAINLAND)
    # a beneficiary registration means nothing off the island: the goods still cross the second line
    registered = beneficiary(province_code=MAINLAND)

    assert codes(mainland, (zero_tariff(supplier), 1)) == ["second_line_declaration_required"]
    assert codes(registered, (zero_tariff(supplier), 1)) == ["second_line_declaration_required"]


def test_zero_tariff_goods_reach_the_mainland_with_a_verified_value_added_exemption(supplier):
    mainland = OrganizationFactory(kind=OrganizationKind.PHARMACY, province_code=MAINLAND)
    today = timezone.localdate()
    exempt = zero_tariff(
        supplier,
        value_added_certificate_number="HN-VA-2026-001",
        value_added_valid_until=today + timedelta(days=30),
        value_added_verified_at=timezone.now(),
    )
    expired = zero_tariff(
        supplier,
        value_added_certificate_number="HN-VA-2025-001",
        value_added_valid_until=today - timedelta(days=1),
        value_added_verified_at=timezone.now(),
    )
    unverified = zero_tariff(supplier, value_added_certificate_number="HN-VA-2026-002")

    assert codes(mainland, (exempt, 1)) == []
    assert codes(mainland, (expired, 1)) == ["second_line_declaration_required"]
    assert codes(mainland, (unverified, 1)) == ["second_line_declaration_required"]


def test_zero_tariff_goods_reach_the_mainland_when_the_supplier_clears_the_second_line(supplier):
    mainland = OrganizationFactory(kind=OrganizationKind.PHARMACY, province_code=MAINLAND)
    assert codes(mainland, (zero_tariff(supplier, second_line_clearance=True), 1)) == []


# --- bonded and duty-paid goods ---------------------------------------------------------------------------------


def test_bonded_goods_are_refused_to_every_domestic_buyer(supplier):
    bonded = OfferFactory(supplier=supplier, customs_status=CustomsStatus.BONDED)
    mainland = OrganizationFactory(kind=OrganizationKind.PHARMACY, province_code=MAINLAND)

    assert codes(beneficiary(), (bonded, 1)) == ["bonded_not_entered"]
    assert codes(mainland, (bonded, 1)) == ["bonded_not_entered"]


def test_duty_paid_goods_go_anywhere(supplier):
    offer = OfferFactory(supplier=supplier)
    mainland = OrganizationFactory(kind=OrganizationKind.PHARMACY, province_code=MAINLAND)

    assert offer.customs_status == CustomsStatus.DUTY_PAID
    assert codes(mainland, (offer, 1)) == codes(OrganizationFactory(kind=OrganizationKind.PHARMACY), (offer, 1)) == []


# --- special-licensed drugs (Boao Lecheng) ----------------------------------------------------------------------


def test_special_licensed_drugs_go_to_an_institution_with_a_valid_approval_within_its_quantity(supplier):
    institution = lecheng_institution()
    offer = special_offer(supplier)
    approval(institution, offer.drug, quantity=10)

    assert codes(institution, (offer, 10)) == []
    assert codes(institution, (offer, 11)) == ["lecheng_quantity_exceeded"]


def test_special_licensed_drugs_need_a_designated_institution_holding_an_approval(supplier):
    offer = special_offer(supplier)
    hospital = OrganizationFactory(kind=OrganizationKind.HOSPITAL)
    unapproved = lecheng_institution()
    unverified = lecheng_institution(lecheng_verified_at=None)
    approval(unverified, offer.drug)
    lapsed = lecheng_institution(lecheng_designation_valid_until=timezone.localdate() - timedelta(days=1))
    approval(lapsed, offer.drug)
    other_drug = lecheng_institution()
    approval(other_drug, special_drug())

    for buyer in (hospital, unapproved, unverified, lapsed, other_drug):
        assert codes(buyer, (offer, 1)) == ["lecheng_approval_required"], buyer


def test_an_approval_counts_only_within_its_validity(supplier):
    offer = special_offer(supplier)
    today = timezone.localdate()
    expired, future = lecheng_institution(), lecheng_institution()
    approval(expired, offer.drug, valid_from=today - timedelta(days=30), valid_until=today - timedelta(days=1))
    approval(future, offer.drug, valid_from=today + timedelta(days=1), valid_until=today + timedelta(days=30))

    assert codes(expired, (offer, 1)) == ["lecheng_approval_required"]
    assert codes(future, (offer, 1)) == ["lecheng_approval_required"]


def test_the_quantity_left_counts_what_orders_already_took(supplier):
    institution = lecheng_institution()
    offer = special_offer(supplier)
    taken = approval(institution, offer.drug, quantity=10)
    LechengApproval.objects.filter(pk=taken.pk).update(used=8)

    assert codes(institution, (offer, 2)) == []
    assert codes(institution, (offer, 3)) == ["lecheng_quantity_exceeded"]


# --- all at once ------------------------------------------------------------------------------------------------


def test_every_customs_reason_is_reported_at_once_with_the_older_rules():
    supplier = OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR)
    buyer = OrganizationFactory(kind=OrganizationKind.HOSPITAL)  # on the island, neither beneficiary nor Lecheng
    operator = MembershipFactory(organization=buyer, role=MemberRole.OPERATOR).user
    zero = zero_tariff(supplier, min_order_quantity=5)
    bonded = OfferFactory(supplier=supplier, customs_status=CustomsStatus.BONDED)
    special = special_offer(supplier)
    stock_before = dict(Offer.objects.values_list("pk", "stock"))

    response = place(client_for(operator), (zero.pk, 1), (bonded.pk, 1), (special.pk, 1))

    assert response.status_code == 409, response.json()
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("lines[0].quantity", "below_minimum_quantity"),
        ("lines[0].offer_id", "zero_tariff_beneficiary_required"),
        ("lines[1].offer_id", "bonded_not_entered"),
        ("lines[2].offer_id", "lecheng_approval_required"),
    ]
    assert Order.objects.exists() is False
    assert dict(Offer.objects.values_list("pk", "stock")) == stock_before


def test_a_mainland_buyer_gets_the_second_line_and_lecheng_reasons_together(supplier):
    mainland = OrganizationFactory(kind=OrganizationKind.HOSPITAL, province_code=MAINLAND)
    zero, special = zero_tariff(supplier), special_offer(supplier)

    assert codes(mainland, (zero, 1), (special, 1)) == ["second_line_declaration_required", "lecheng_approval_required"]
