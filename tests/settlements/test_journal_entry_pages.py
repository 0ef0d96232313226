"""A page of ledger entries reads the accounts' postings, not every newer entry (issue 19).

An organisation's entries are those with a posting on one of its accounts: a join, which PostgreSQL read newest first
along the entries' primary key until the page was full — every entry of the platform for an organisation with few or
old ones (0.6 s at one year of the growth bench, and growing with it). The page is now taken from each account's
newest postings (posting_account_entry; NewestFirstCursorPagination.bounded); these tests show it is the same page,
with the same cursors, and that the plan reads that index.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import MemberRole, OrganizationKind
from settlements.choices import AccountKind
from settlements.models import JournalEntry, LedgerAccount
from tests import plans
from tests.conftest import client_for
from tests.cursor_pages import walk
from tests.factories import MembershipFactory, OrganizationFactory
from tests.factories.settlements import received_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def distributor(parties):
    """The parties' distributor sells to the pharmacy and buys from a manufacturer, in turns (entries on its payable
    and its receivable account); the pharmacy also buys from the manufacturer (no business of the distributor's)."""
    maker = OrganizationFactory(kind=OrganizationKind.MANUFACTURER, legal_name="海南制药厂")
    for turn in range(9):
        buyer, supplier = [(parties.buyer, parties.supplier), (parties.supplier, maker), (parties.buyer, maker)][
            turn % 3
        ]
        received_order(buyer=buyer, supplier=supplier, gross=Decimal("100.00") + turn)
    return parties.supplier


def entries_of(organization, **filters) -> list[int]:
    mine = JournalEntry.objects.filter(postings__account__organization=organization, **filters).distinct()
    return list(mine.order_by("-id").values_list("id", flat=True))


@pytest.mark.parametrize("account", [None, AccountKind.BUYER_RECEIVABLE, AccountKind.SUPPLIER_PAYABLE])
def test_an_organisation_pages_through_its_entries_on_every_account_as_one_list(parties, distributor, account):
    # given: what the distributor may see, newest first (the unbounded list), all or of one account
    query, filters = "", {}
    if account:
        pk = LedgerAccount.objects.get(organization=distributor, kind=account).pk
        query, filters = f"&account={pk}", {"postings__account": pk}
    expected = entries_of(distributor, **filters)
    assert len(expected) > 2  # more than one page of two

    # when: the list is walked forward two at a time, then back
    forward, backward = walk(parties.supplier_client(), f"/api/v1/ledger/entries/?page_size=2{query}")

    # then: every entry once, in order, on pages of two; the way back shows the same pages
    assert [pk for page in forward for pk in page] == expected
    assert all(len(page) == 2 for page in forward[:-1])
    assert backward == forward[-2::-1]


def test_staff_page_through_one_accounts_entries(parties, distributor, finance_admin_user):
    receivable = LedgerAccount.objects.get(organization=distributor, kind=AccountKind.BUYER_RECEIVABLE)
    expected = list(
        JournalEntry.objects.filter(postings__account=receivable)
        .distinct()
        .order_by("-id")
        .values_list("id", flat=True)
    )

    forward, backward = walk(
        client_for(finance_admin_user), f"/api/v1/ledger/entries/?page_size=2&account={receivable.pk}"
    )

    assert [pk for page in forward for pk in page] == expected
    assert backward == forward[-2::-1]


def test_a_filter_on_the_entries_themselves_keeps_the_plain_list(parties, distributor):
    response = parties.supplier_client().get("/api/v1/ledger/entries/?page_size=200&kind=receipt")

    assert [entry["id"] for entry in response.json()["results"]] == entries_of(distributor, kind="receipt")


def test_an_organisation_with_no_account_has_no_entries_and_its_filters_still_answer(distributor):
    newcomer = client_for(MembershipFactory(organization=OrganizationFactory(), role=MemberRole.FINANCE).user)

    assert newcomer.get("/api/v1/ledger/entries/").json()["results"] == []
    assert newcomer.get("/api/v1/ledger/entries/?account=abc").status_code == 400


def test_the_page_reads_the_accounts_postings_not_every_newer_entry(parties, distributor):
    # given: the statement the list sends for its page; and a history: 20,000 newer entries of another
    # organisation's account, with the planner's statistics (the balance triggers are off for the padding, as
    # bench/growth.py seeds)
    with CaptureQueriesContext(connection) as queries:
        assert parties.supplier_client().get("/api/v1/ledger/entries/?page_size=2").status_code == 200
    [page_sql] = [q["sql"] for q in queries.captured_queries if 'FROM "settlements_journalentry"' in q["sql"]]
    other = LedgerAccount.objects.get(organization=parties.buyer, kind=AccountKind.BUYER_RECEIVABLE)
    entries = (
        "INSERT INTO settlements_journalentry (kind, source_type, source_id, memo, created_by, created_at) "
        "SELECT 'receipt', 'pad', n::text, '', 'pad', now() FROM generate_series(1, 20000) AS n"
    )
    postings = (
        "INSERT INTO settlements_posting (entry_id, account_id, amount, currency) "
        "SELECT id, %s, 1, 'CNY' FROM settlements_journalentry WHERE source_type = 'pad'"
    )
    tables = ["settlements_journalentry", "settlements_posting", "settlements_ledgeraccount"]

    # when
    join = JournalEntry.objects.filter(postings__account__organization=distributor).distinct().order_by("-id")[:3]
    with plans.history(tables, (entries, []), (postings, [other.pk])):
        plan = plans.costed_plan(page_sql)
        joined = join.explain()

    # then: each account's postings are an index read in entry order cut at the page size, and the page's entries
    # are fetched by id: neither the entries nor the postings are read whole or walked along a primary key
    whole_reads = ("Backward using settlements_journalentry_pkey", "Seq Scan on settlements_journalentry")
    assert "Index Only Scan Backward using posting_account_entry" in plan, plan
    assert not any(read in plan for read in (*whole_reads, "Seq Scan on settlements_posting")), plan
    assert any(read in joined for read in whole_reads)  # what it avoids
