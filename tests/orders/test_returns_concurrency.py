"""Concurrent return requests racing for the same units, on real connections: never more than accepted."""

from collections import Counter

import pytest

from orders.models import ReturnLine
from tests.orders.returns import received, request_return
from tests.orders.test_concurrency import run_concurrently

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_return_requests_never_claim_more_than_was_accepted(market):
    order, shipment = received(market, 5, rejected=1)  # 4 accepted

    def ask(index: int) -> int:
        return request_return(market.buyer_client(), order, shipment, 1).status_code

    statuses = Counter(run_concurrently(8, ask))

    assert statuses == {201: 4, 409: 4}
    assert sum(ReturnLine.objects.values_list("claimed_quantity", flat=True)) == 4
