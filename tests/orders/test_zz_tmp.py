import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.factories import OfferFactory
from tests.orders.conftest import place

pytestmark = pytest.mark.django_db

def test_print(market, django_capture_on_commit_callbacks):
    offers = [market.offer, *(OfferFactory(supplier=market.supplier, stock=50) for _ in range(2))]
    client = market.buyer_client()
    place(client, (offers[0].pk, 1), key="warm")
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=False):
        response = place(client, *((o.pk, 1) for o in offers), key="k")
    assert response.status_code == 201
    for q in queries:
        print("----", q["time"]); print(q["sql"][:1500])
