"""Settlement reads make a constant number of queries, whatever the page size (SPEC §10)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories.settlements import received_order

pytestmark = pytest.mark.django_db


def queries_for(client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(captured.captured_queries), len(response.json()["results"])


def test_journal_entry_list_queries_do_not_grow_with_entries_postings_or_page_size(parties):
    client = parties.supplier_client()
    received_order(buyer=parties.buyer, supplier=parties.supplier, gross="10.00", offer=parties.offer)
    few, shown = queries_for(client, "/api/v1/ledger/entries/?page_size=2")
    for gross in ("11.00", "12.00", "13.00", "14.00", "15.00", "16.00"):
        received_order(buyer=parties.buyer, supplier=parties.supplier, gross=gross, offer=parties.offer)
    many, shown_many = queries_for(client, "/api/v1/ledger/entries/?page_size=50")
    assert (shown, shown_many) == (1, 7)
    assert many == few
