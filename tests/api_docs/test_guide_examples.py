"""Every example of the API guide runs against the demo data and answers what the guide shows (issue 11).

Each page of `api_docs/guide/` runs on its own, from the top, on a database holding exactly what a fresh
`make run` holds: the demo data, loaded into this test's transaction with the id sequences of the empty tables
restarted, so rows get the ids a fresh `make run` gives them (organisation 4 is the demo pharmacy, offer 12 a
drug of the demo distributor …). How a page is read: `tests/api_docs/guide_examples.py`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from accounts.models import Organization, User
from catalog.models import Drug, Offer
from orders.models import Order
from pharmex.management.commands.load_demo_data import load_demo_data
from tests.api_docs.guide_examples import PageRunner, read_blocks

GUIDE = Path(settings.BASE_DIR) / "api_docs" / "guide"
PAGES = sorted(path.name for path in GUIDE.glob("*.md"))

# The blocks each page shows without running them, and why (the page says so in a directive). A change here is a
# decision: an example that stops running is not silently skipped.
NOT_EXECUTABLE = {
    "audit.md": 2,  # a broken chain's errors (need a tampered record, a rewritten chain)
    "authentication.md": 2,  # the emailed codes: password reset, invitation
    "first-business.md": 2,  # a multipart upload, a download saved to disk
    "money.md": 1,  # a multipart upload: an invoice from its 数电发票 file
    "orders.md": 1,  # the state diagram
    "pagination.md": 2,  # shapes: a cursor page without demo audit records, a capped search count
    "procurement.md": 3,  # a plan file, a result file, multipart uploads (curl -F) and the plan they keep
    "regulators.md": 1,  # an inspector's request (they join by the emailed invitation)
    "webhooks.md": 5,  # the receiver's side: a delivery, three recipes (run by their own test), the log
}


def _restart_sequences_of_empty_tables() -> None:
    """Restart the id sequence of every empty table at 1, inside this test's transaction (PostgreSQL rolls the
    restart back with it), so the demo data gets the ids of a fresh database."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT seq.oid::regclass::text, tab.oid::regclass::text
            FROM pg_class seq
            JOIN pg_depend dep ON dep.objid = seq.oid AND dep.classid = 'pg_class'::regclass
                AND dep.deptype IN ('a', 'i')
            JOIN pg_class tab ON tab.oid = dep.refobjid
            WHERE seq.relkind = 'S' AND tab.relnamespace = current_schema()::regnamespace
            """
        )
        for sequence, table in cursor.fetchall():
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {table})")
            if not cursor.fetchone()[0]:
                cursor.execute(f"ALTER SEQUENCE {sequence} RESTART WITH 1")
        # The order number's sequence belongs to no table (orders 0002), and a test that placed orders in a
        # transaction rolled back still advanced it: restart it too while there are no orders.
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {Order._meta.db_table})")
        if not cursor.fetchone()[0]:
            cursor.execute("ALTER SEQUENCE orders_order_number_seq RESTART WITH 1")


@pytest.fixture
def demo_data(db):
    """The demo data with the ids of a fresh `make run`."""
    for model in (Organization, User, Drug, Offer):
        assert not model.objects.exists(), f"{model.__name__} rows left by another test: the ids would differ"
    _restart_sequences_of_empty_tables()
    load_demo_data()
    assert Organization.objects.get(pk=4).legal_name == "海口市龙华区康宁大药房有限公司"


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES)
def test_guide_page_examples_run_against_the_demo_data(page, request):
    # given: the demo data, for a page with examples to run
    if any(block.directive("not executable") is None for block in read_blocks(GUIDE / page)):
        request.getfixturevalue("demo_data")
    # when: the page's examples run from the top
    census = PageRunner(GUIDE / page).run()
    # then: every block ran, answered as shown, or is one of the page's declared exceptions
    assert len(census.not_executable) == NOT_EXECUTABLE.get(page, 0), census.not_executable
    blocks = read_blocks(GUIDE / page)
    assert len(census.run) + len(census.answers) + len(census.not_executable) == len(blocks)
    print(f"{page}: {len(census.run)} blocks run ({census.requests} requests), {len(census.not_executable)} not")


def test_guide_census_every_block_is_run_or_declared():
    # The whole guide at a glance (printed with -s): how many blocks run, answer, or are marked and why.
    total = {"run": 0, "answer": 0, "not executable": 0}
    for page in PAGES:
        for block in read_blocks(GUIDE / page):
            reason = block.directive("not executable")
            if reason is not None:
                assert reason, f"{block.where}: `not executable` needs a reason"
                total["not executable"] += 1
                print(f"not executable {block.where}: {reason}")
            elif block.directive("answer") is not None:
                total["answer"] += 1
            else:
                total["run"] += 1
    print(f"API guide blocks: {total}")
    assert total["not executable"] == sum(NOT_EXECUTABLE.values())
    assert total["run"] >= 20
