"""The Hainan demo data (SPEC §4a): `make run` shows each customs rule working."""

import pytest

from accounts import demo as accounts_demo
from accounts.models import Organization
from catalog import demo
from catalog.choices import CustomsStatus
from catalog.models import LechengApproval, Offer
from orders.compliance import LineRequest, compliance_check, gate_facts
from orders.compliance import today as gate_today

pytestmark = pytest.mark.django_db
CUSTOMS_CODES = {
    "zero_tariff_beneficiary_required",
    "second_line_declaration_required",
    "bonded_not_entered",
    "lecheng_approval_required",
    "lecheng_quantity_exceeded",
}


def owner_org(key: str) -> Organization:
    return Organization.objects.get(memberships__user__email=f"{key}.owner@pharmex.example")


def codes(buyer: Organization, offer: Offer, quantity: int = 1) -> list[str]:
    lines = [LineRequest(offer_id=offer.pk, quantity=quantity)]
    result = compliance_check(buyer=buyer, lines=lines, facts=gate_facts(buyer=buyer, lines=lines, on=gate_today()))
    # the demo hospital reviews its suppliers first (首营): only the customs reasons matter here
    return [r.code for v in result.lines for r in v.reasons if r.code in CUSTOMS_CODES]


def test_the_demo_shows_each_hainan_rule_and_loads_idempotently():
    accounts_demo.load()
    demo.load()
    counts = (Offer.objects.count(), LechengApproval.objects.count())
    accounts_demo.load()
    demo.load()
    assert (Offer.objects.count(), LechengApproval.objects.count()) == counts

    pharmacy, hospital, lecheng = owner_org("pharmacy"), owner_org("hospital"), owner_org("lecheng")
    zero = Offer.objects.get(customs_status=CustomsStatus.ZERO_TARIFF)
    bonded = Offer.objects.get(customs_status=CustomsStatus.BONDED)
    special = Offer.objects.get(customs_status=CustomsStatus.LECHENG_SPECIAL)
    approval = LechengApproval.objects.get()

    assert pharmacy.is_zero_tariff_beneficiary is True
    assert codes(pharmacy, zero) == []
    assert codes(hospital, zero) == ["zero_tariff_beneficiary_required"]
    assert codes(pharmacy, bonded) == ["bonded_not_entered"]
    assert (approval.institution, approval.drug) == (lecheng, special.drug)
    assert special.drug.special_licensed is True and special.drug.approval_number == ""
    assert codes(lecheng, special) == []
    assert codes(lecheng, special, approval.quantity + 1) == ["lecheng_quantity_exceeded"]
    assert codes(hospital, special) == ["lecheng_approval_required"]
