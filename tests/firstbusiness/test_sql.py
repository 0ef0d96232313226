"""firstbusiness/sql.py against the ORM: a buyer's decisions about the suppliers and drugs of a cart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Q
from django.utils import timezone

from accounts.choices import OrganizationKind
from firstbusiness import sql
from firstbusiness.choices import ReviewStatus
from firstbusiness.models import FirstBusinessReview
from tests.factories import DrugFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def test_review_decisions_are_the_ones_the_orm_filter_finds():
    buyer, other_buyer = (OrganizationFactory(kind=OrganizationKind.PHARMACY) for _ in range(2))
    supplier, other_supplier, unasked = (OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR) for _ in range(3))
    drug, other_drug, unasked_drug = DrugFactory(), DrugFactory(), DrugFactory()
    until = timezone.localdate() + timedelta(days=30)
    for reviewer, reviewed, reviewed_drug, status in (
        (buyer, supplier, None, ReviewStatus.APPROVED),
        (buyer, supplier, drug, ReviewStatus.APPROVED),
        (buyer, supplier, unasked_drug, ReviewStatus.APPROVED),  # a drug not in the cart
        (buyer, other_supplier, None, ReviewStatus.REJECTED),
        (buyer, other_supplier, other_drug, ReviewStatus.PENDING),
        (buyer, unasked, None, ReviewStatus.APPROVED),  # a supplier not in the cart
        (other_buyer, supplier, drug, ReviewStatus.APPROVED),  # someone else's decision
    ):
        FirstBusinessReview.objects.create(
            buyer=reviewer, supplier=reviewed, drug=reviewed_drug, status=status, valid_until=until
        )
    suppliers, drugs = [supplier.pk, other_supplier.pk], [drug.pk, other_drug.pk]

    by_sql = sql.review_decisions(buyer_id=buyer.pk, supplier_ids=suppliers, drug_ids=drugs)

    by_orm = (
        FirstBusinessReview.objects.filter(buyer_id=buyer.pk, supplier_id__in=suppliers)
        .filter(Q(drug__isnull=True) | Q(drug_id__in=drugs))
        .values_list("supplier_id", "drug_id", "status", "valid_until")
    )
    assert sorted(by_sql, key=repr) == sorted(by_orm, key=repr)
    assert len(by_sql) == 4


def test_no_suppliers_or_drugs_read_no_decisions():
    buyer = OrganizationFactory(kind=OrganizationKind.PHARMACY)
    assert sql.review_decisions(buyer_id=buyer.pk, supplier_ids=[], drug_ids=[]) == []
