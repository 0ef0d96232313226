"""Concurrency on real PostgreSQL connections (RELIABILITY INV-1, INV-2)."""

from collections import Counter

import pytest

from accounts.choices import MemberRole, OrganizationKind
from catalog.models import Offer
from orders.models import Order, OrderLine
from tests.concurrency import run_concurrently
from tests.conftest import client_for
from tests.factories import MembershipFactory, OfferFactory, OrganizationFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_inv_1_fifty_buyers_racing_for_twenty_units_never_oversell():
    supplier = OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR)
    offer = OfferFactory(supplier=supplier, stock=20)
    buyers = [
        MembershipFactory(
            organization=OrganizationFactory(kind=OrganizationKind.PHARMACY), role=MemberRole.OPERATOR
        ).user
        for _ in range(50)
    ]

    def order_one(index: int) -> int:
        body = {"lines": [{"offer_id": offer.pk, "quantity": 1}]}
        return client_for(buyers[index]).post("/api/v1/orders/", body, format="json").status_code

    statuses = Counter(run_concurrently(50, order_one))

    assert statuses == {201: 20, 409: 30}
    assert Order.objects.count() == 20
    assert Offer.objects.get(pk=offer.pk).stock == 0
    assert sum(OrderLine.objects.values_list("quantity", flat=True)) == 20


def test_inv_2_carts_locking_the_same_offers_in_opposite_order_never_deadlock():
    supplier_a, supplier_b = OrganizationFactory(), OrganizationFactory()
    offer_a = OfferFactory(supplier=supplier_a, stock=1000)
    offer_b = OfferFactory(supplier=supplier_b, stock=1000)
    buyer = OrganizationFactory(kind=OrganizationKind.PHARMACY)
    operators = [MembershipFactory(organization=buyer, role=MemberRole.OPERATOR).user for _ in range(2)]
    carts = [[offer_a.pk, offer_b.pk], [offer_b.pk, offer_a.pk]]

    def checkout_repeatedly(index: int) -> list[int]:
        client = client_for(operators[index], organization_id=buyer.pk)
        statuses = []
        for _ in range(15):
            body = {"lines": [{"offer_id": offer_id, "quantity": 1} for offer_id in carts[index]]}
            statuses.append(client.post("/api/v1/checkout/", body, format="json").status_code)
        return statuses

    results = run_concurrently(2, checkout_repeatedly)

    assert [status for statuses in results for status in statuses] == [201] * 30
    assert Offer.objects.get(pk=offer_a.pk).stock == Offer.objects.get(pk=offer_b.pk).stock == 970
    assert Order.objects.count() == 60


def test_two_shipments_racing_for_one_trace_code_ship_it_once_and_flag_the_other_as_in_transit():
    from datetime import timedelta

    from django.utils import timezone

    from orders.models import SuspectedDiversion, TraceCode

    supplier = OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR)
    offer = OfferFactory(supplier=supplier, stock=100)
    operator = MembershipFactory(organization=supplier, role=MemberRole.OPERATOR).user
    buyer_users = [
        MembershipFactory(
            organization=OrganizationFactory(kind=OrganizationKind.PHARMACY), role=MemberRole.OPERATOR
        ).user
        for _ in range(2)
    ]
    orders = []
    for user in buyer_users:
        order_id = (
            client_for(user)
            .post("/api/v1/orders/", {"lines": [{"offer_id": offer.pk, "quantity": 1}]}, format="json")
            .json()["id"]
        )
        client_for(operator).post(f"/api/v1/orders/{order_id}/confirm/", {}, format="json")
        orders.append(Order.objects.get(pk=order_id))

    def ship(index: int) -> int:
        order = orders[index]
        body = {
            "carrier": "EMS",
            "tracking_number": f"E{index}",
            "invoice_numbers": [f"2646000000001234567{index}"],
            "invoice_amount": "12.50",
            "lines": [
                {
                    "order_line_id": order.lines.get().pk,
                    "lot_number": "L1",
                    "quantity": 1,
                    "expiry_date": (timezone.localdate() + timedelta(days=400)).isoformat(),
                    "trace_codes": ["81000000000000000001"],
                }
            ],
        }
        return client_for(operator).post(f"/api/v1/orders/{order.pk}/ship/", body, format="json").status_code

    assert sorted(run_concurrently(2, ship)) == [200, 409]
    assert TraceCode.objects.count() == 1
    assert SuspectedDiversion.objects.count() == 1
