"""Amendments racing placements on a hot offer, over real PostgreSQL connections (issue 21, RELIABILITY INV-1/2):
never oversold, never deadlocked, the stock always what the orders hold."""

from collections import Counter

import pytest

from accounts.choices import MemberRole, OrganizationKind
from catalog.models import Offer
from orders.models import Order, OrderLine
from tests.conftest import client_for
from tests.factories import MembershipFactory, OfferFactory, OrganizationFactory
from tests.orders.test_concurrency import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)

BUYERS = 12


def test_an_amendment_racing_buyers_on_a_hot_offer_never_oversells_or_deadlocks():
    supplier = OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR)
    hot, other = OfferFactory(supplier=supplier, stock=16), OfferFactory(supplier=supplier, stock=100)
    users = [
        MembershipFactory(
            organization=OrganizationFactory(kind=OrganizationKind.PHARMACY), role=MemberRole.OPERATOR
        ).user
        for _ in range(BUYERS + 1)
    ]
    amender = client_for(users[0])
    response = amender.post(
        "/api/v1/orders/",
        {"lines": [{"offer_id": hot.pk, "quantity": 1}, {"offer_id": other.pk, "quantity": 5}]},
        format="json",
    )
    assert response.status_code == 201, response.json()
    order_id = response.json()["id"]
    # The amendment takes from one offer and gives back to the other, in turns; the buyers' orders lock the same
    # two offers, listed in either order: any lock taken out of primary-key order would deadlock (a 500).
    # (`other` never returns to a quantity it had, so no amendment is refused as unchanged.)
    amendments = [[(hot.pk, 6 if n % 2 else 2), (other.pk, quantity)] for n, quantity in enumerate((1, 6, 2, 7, 3, 8))]

    def work(index: int) -> list[int]:
        if index == 0:
            statuses = []
            for lines in amendments:
                body = {"lines": [{"offer_id": offer_id, "quantity": quantity} for offer_id, quantity in lines]}
                statuses.append(
                    amender.post(
                        f"/api/v1/orders/{order_id}/amend/", body, format="json", HTTP_IF_MATCH="*"
                    ).status_code
                )
            return statuses
        offers = [hot.pk, other.pk] if index % 2 else [other.pk, hot.pk]
        body = {"lines": [{"offer_id": offer_id, "quantity": 1} for offer_id in offers]}
        return [client_for(users[index]).post("/api/v1/orders/", body, format="json").status_code]

    results = run_concurrently(BUYERS + 1, work)

    statuses = Counter(status for result in results for status in result)
    assert set(statuses) <= {200, 201, 409}, statuses  # no deadlock (500), nothing else
    for offer in (hot, other):
        held = sum(OrderLine.objects.filter(offer=offer).values_list("quantity", flat=True))
        stock = Offer.objects.get(pk=offer.pk).stock
        assert stock >= 0
        assert stock + held == offer.stock  # every unit is in stock or on exactly one order
    assert Order.objects.count() == 1 + statuses[201]
    assert Order.objects.get(pk=order_id).events.filter(action="amend").count() == statuses[200]
