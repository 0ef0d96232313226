"""The order search of the admin site reads indexes, not every order ever placed (issue 19): a whole order number
by the number's unique index, any other text as part of a party's name, its orders by the buyer and supplier
indexes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order
from tests.factories import UserFactory
from tests.orders.conftest import place

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(
        UserFactory(email="orders-desk@platform.test", staff_role="admin", is_staff=True, is_superuser=True)
    )
    return client


def found(staff_client, term: str) -> tuple[list[str], list[str]]:
    with CaptureQueriesContext(connection) as queries:
        page = staff_client.get("/admin/orders/order/", {"q": term})
    assert page.status_code == 200
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "orders_order"' in q["sql"]]
    return [order.number for order in page.context["cl"].result_list], reads


def test_an_order_is_found_by_its_number_or_a_party_name_without_matching_text_over_orders(market, staff_client):
    client = market.buyer_client()
    numbers = [place(client, (market.offer.pk, 1)).json()["number"] for _ in range(2)]

    by_number, reads = found(staff_client, f" {numbers[0].lower()} ")
    assert by_number == [numbers[0]]
    assert all('"orders_order"."number" = ' in sql and "LIKE" not in sql for sql in reads), reads

    by_buyer, reads = found(staff_client, "康宁")
    assert by_buyer == numbers[::-1]
    assert reads and all('UPPER("orders_order"' not in sql for sql in reads), reads
    assert found(staff_client, "康泰")[0] == numbers[::-1]  # the supplier's name
    assert found(staff_client, "不存在的药房")[0] == []
    assert found(staff_client, numbers[0][:-1])[0] == []  # not a whole number: no party is called that
    assert Order.objects.count() == 2
