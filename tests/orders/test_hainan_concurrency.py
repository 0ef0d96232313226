"""A Lecheng approval's quantity under concurrent orders on real PostgreSQL connections (SPEC §4a)."""

from collections import Counter

import pytest

from accounts.choices import MemberRole, OrganizationKind
from catalog.models import LechengApproval, Offer
from orders.models import Order, OrderLine
from tests.conftest import client_for
from tests.factories import MembershipFactory, OrganizationFactory
from tests.orders.hainan import approval, lecheng_institution, special_drug, special_offer
from tests.orders.test_concurrency import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)


def test_thirty_concurrent_lecheng_orders_never_exceed_the_approved_quantity():
    institution = lecheng_institution()
    operators = [MembershipFactory(organization=institution, role=MemberRole.OPERATOR).user for _ in range(30)]
    # thirty suppliers of the drug, so stock never limits: only the approval does
    drug = special_drug()
    offers = [
        special_offer(OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR), drug=drug, stock=100) for _ in range(30)
    ]
    granted = approval(institution, drug, quantity=40)

    def order_two(index: int) -> int:
        body = {"lines": [{"offer_id": offers[index].pk, "quantity": 2}]}
        return client_for(operators[index]).post("/api/v1/orders/", body, format="json").status_code

    statuses = Counter(run_concurrently(30, order_two))

    assert statuses == {201: 20, 409: 10}
    assert LechengApproval.objects.get(pk=granted.pk).used == 40
    assert Order.objects.count() == 20
    assert sum(OrderLine.objects.filter(lecheng_approval=granted).values_list("quantity", flat=True)) == 40
    # the refused orders took no stock either
    assert sum(100 - stock for stock in Offer.objects.values_list("stock", flat=True)) == 40
