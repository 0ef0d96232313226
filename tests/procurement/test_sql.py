"""procurement/sql.py against the ORM: the buyer's negotiated prices (协议价) in force for the drugs of a cart, read
alone (the market view) and in the gate's one statement."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.choices import OrganizationKind
from orders.sql import gate_reads
from procurement import sql
from procurement.gate import RULE
from procurement.models import ContractPrice
from tests.factories import DrugFactory, OfferFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def test_negotiated_prices_are_the_ones_the_orm_filter_finds():
    today = timezone.localdate()
    buyer, other_buyer = (OrganizationFactory(kind=OrganizationKind.PHARMACY) for _ in range(2))
    supplier, other_supplier = (OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR) for _ in range(2))
    drug, other_drug, unasked_drug = DrugFactory(), DrugFactory(), DrugFactory()
    for seller, payer, priced_drug, price, starts, ends in (
        (supplier, buyer, drug, "9.50", -10, 10),
        (other_supplier, buyer, drug, "9.40", 0, 0),  # in force today only
        (supplier, buyer, other_drug, "3.00", -10, -1),  # ended yesterday
        (supplier, buyer, other_drug, "3.10", 1, 10),  # starts tomorrow
        (supplier, buyer, unasked_drug, "1.00", -10, 10),  # a drug not in the cart
        (supplier, other_buyer, drug, "1.00", -10, 10),  # someone else's price
    ):
        ContractPrice.objects.create(
            supplier=seller,
            buyer=payer,
            drug=priced_drug,
            unit_price=Decimal(price),
            valid_from=today + timedelta(days=starts),
            valid_until=today + timedelta(days=ends),
        )
    drugs = [drug.pk, other_drug.pk]
    cart = [OfferFactory(drug=drug, supplier=supplier), OfferFactory(drug=other_drug, supplier=supplier)]

    by_sql = sql.negotiated_prices(buyer_id=buyer.pk, drug_ids=drugs, on=today)  # the market view's read
    # the gate's, inside its one statement, for the drugs of the cart
    by_gate = gate_reads(buyer_id=buyer.pk, offer_ids=[o.pk for o in cart], on=today, reviews=False).rules[RULE.name]

    by_orm = ContractPrice.objects.filter(
        buyer=buyer, drug_id__in=drugs, valid_from__lte=today, valid_until__gte=today
    ).values_list("supplier_id", "drug_id", "unit_price")
    assert sorted(by_sql) == sorted(by_orm) == sorted(by_gate)
    assert sorted(price for _s, _d, price in by_sql) == [Decimal("9.40"), Decimal("9.50")]
