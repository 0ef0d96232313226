"""The admin site's searches of the tables that grow with every order read indexes, not every row ever written
(issue 19; `pharmex.admin.indexed_search`): the order search finds a whole order number by the number's unique index
and any other text as part of a party's name, its orders by the buyer and supplier indexes; shipments, trace codes,
suspected diversions, audit records and journal entries are found by whole values the same way."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders.models import Order, TraceCode
from pharmex import admin as pharmex_admin
from pharmex.models import AuditEvent
from settlements.models import JournalEntry
from tests import plans
from tests.factories import UserFactory
from tests.orders.conftest import place
from tests.orders.returns import received
from tests.orders.shipping import code

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


# The organisations are read by part of a name (`__icontains`): a table of participants, not of history.
SMALL_TABLES = {"accounts_organization"}


def search(staff_client, page: str, term: str) -> tuple[list, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(f"/admin/{page}/", {"q": term})
    assert response.status_code == 200
    return list(response.context["cl"].result_list), [
        q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")
    ]


def test_every_search_of_a_growing_table_is_answered_by_indexes(market, staff_client):
    order, shipment = received(market, 2, codes=[code(1), code(2)])
    audited = AuditEvent.objects.filter(object_id=str(order.pk), request_id__isnull=False).first()
    entry = JournalEntry.objects.get(source_type="order", source_id=str(order.pk))
    cases = [
        ("orders/order", order.number, [order]),
        ("orders/order", "康宁", [order]),
        ("orders/shipment", order.number, [shipment]),
        ("orders/shipment", shipment.tracking_number, [shipment]),
        ("orders/shipment", shipment.invoice_numbers[0], [shipment]),
        ("orders/tracecode", f" {code(1)} ", list(TraceCode.objects.filter(code=code(1)))),
        ("orders/suspecteddiversion", order.number, []),
        ("orders/suspecteddiversion", code(1), []),
        ("pharmex/auditevent", str(order.pk), list(AuditEvent.objects.filter(object_id=str(order.pk)))),
        ("pharmex/auditevent", audited.request_id, list(AuditEvent.objects.filter(request_id=audited.request_id))),
        ("settlements/journalentry", str(entry.pk), [entry]),
        ("settlements/journalentry", order.number, [entry]),
    ]
    for page, term, expected in cases:
        rows, sqls = search(staff_client, page, term)
        assert sorted(row.pk for row in rows) == sorted(row.pk for row in expected), (page, term)
        for sql, plan in zip(sqls, map(plans.plan, sqls), strict=True):
            assert "LIKE" not in sql or any(f'FROM "{table}"' in sql for table in SMALL_TABLES), (page, term, sql)
            full_reads = [line for line in plan.splitlines() if "Seq Scan on" in line]
            assert all(any(table in line for table in SMALL_TABLES) for line in full_reads), (page, term, sql, plan)


def test_a_term_no_searched_field_can_hold_finds_nothing_and_breaks_nothing(market, staff_client):
    order, _shipment = received(market, 1)
    for page in ["pharmex/auditevent", "settlements/journalentry", "orders/shipment", "orders/tracecode"]:
        for term in ["不是编号", "9" * 30, "x" * 500, "'; DROP TABLE orders_order; --"]:
            assert search(staff_client, page, term)[0] == [], (page, term)
    assert search(staff_client, "settlements/journalentry", "  ")[0] != []  # a blank search is no search
    assert Order.objects.filter(pk=order.pk).exists()


def test_past_the_bound_a_relation_s_matches_are_read_in_the_same_query(market, staff_client, monkeypatch):
    client = market.buyer_client()
    numbers = [place(client, (market.offer.pk, 1)).json()["number"] for _ in range(2)]
    monkeypatch.setattr(pharmex_admin, "SEARCH_KEYS_AT_MOST", 0)
    rows, sqls = search(staff_client, "orders/order", "康宁")
    assert [row.number for row in rows] == numbers[::-1]
    assert any('FROM "orders_order"' in sql and 'FROM "accounts_organization"' in sql for sql in sqls)
