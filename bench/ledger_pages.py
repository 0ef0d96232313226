"""A party's page of ledger entries on years of history (issue 19; not a test): does it cost a page, whoever asks?

Runs on a database the growth bench left behind (it never seeds one; migrations are applied first, as a deploy
would):
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/growth_bench .venv/bin/python bench/ledger_pages.py
Env: BENCH_REPS (7; medians over all but the first).

`GET /api/v1/ledger/entries/` as an owner of two organisations: the busiest (the most postings on its accounts) and
one whose only entry is among the platform's first (a new organisation given a posting on the tenth entry, in a
transaction rolled back at the end). For each: the request in this process, the page's statement as the code sends
it now, and the former code's statement (the join of entries, postings and accounts, DISTINCT, newest first) with
the account-and-entry index dropped in the same transaction — all against a floor: the bare SQL of the page, the
organisation's 51 newest entry ids read from each of its accounts' postings by that index (LATERAL) and those
entries by id. Statements are timed by EXPLAIN ANALYZE (planning + execution).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.growth import DATABASE_URL, setup_environment  # noqa: E402

REPS = int(os.environ.get("BENCH_REPS", "7"))
FLOOR = """
SELECT e.* FROM settlements_journalentry e WHERE e.id IN (
    SELECT DISTINCT newest.entry_id FROM settlements_ledgeraccount a CROSS JOIN LATERAL (
        SELECT p.entry_id FROM settlements_posting p WHERE p.account_id = a.id ORDER BY p.entry_id DESC LIMIT 51
    ) AS newest
    WHERE a.organization_id = %s ORDER BY newest.entry_id DESC LIMIT 51
) ORDER BY e.id DESC
"""


def median_ms(measure) -> float:
    return statistics.median([measure() for _ in range(REPS)][1:])


def statement_ms(cursor, sql: str, params=None) -> float:
    def once() -> float:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        (document,) = cursor.fetchone()
        return document[0]["Planning Time"] + document[0]["Execution Time"]

    return median_ms(once)


def main() -> None:
    setup_environment(DATABASE_URL)
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "localhost")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from accounts.choices import MemberRole, OrganizationKind
    from accounts.models import Organization
    from settlements.models import JournalEntry, LedgerAccount, Posting
    from tests.factories import MembershipFactory, OrganizationFactory

    call_command("migrate", verbosity=0)
    print(f"{JournalEntry.objects.count():,} journal entries, {Posting.objects.count():,} postings")
    rows = []
    with transaction.atomic(), connection.cursor() as cursor:
        busiest = (
            Posting.objects.filter(account__organization__isnull=False)
            .values("account__organization")
            .annotate(n=Count("id"))
            .order_by("-n")[0]["account__organization"]
        )
        newcomer = OrganizationFactory(kind=OrganizationKind.PHARMACY, uscc=uuid.uuid4().hex[:18].upper())
        account = LedgerAccount.objects.create(organization=newcomer, kind="buyer_receivable")
        cursor.execute("SET LOCAL session_replication_role = replica")  # one leg: the balance check is off
        tenth = JournalEntry.objects.order_by("id").values_list("id", flat=True)[9]
        Posting.objects.create(entry_id=tenth, account=account, amount=1)
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        cases = {"the busiest organisation": busiest, "an organisation whose one entry is the tenth": newcomer.pk}
        measured = {}
        for name, organization in cases.items():
            user = MembershipFactory(
                organization=Organization.objects.get(pk=organization),
                role=MemberRole.OWNER,
                user__email=f"{uuid.uuid4().hex}@bench.test",
            ).user
            client = APIClient(HTTP_HOST="localhost")
            client.force_authenticate(user=user)

            def request(client=client) -> float:
                started = time.perf_counter()
                response = client.get("/api/v1/ledger/entries/")
                assert response.status_code == 200, response.content[:300]
                return (time.perf_counter() - started) * 1000

            with CaptureQueriesContext(connection) as queries:
                request()
            [page_sql] = [q["sql"] for q in queries.captured_queries if 'FROM "settlements_journalentry"' in q["sql"]]
            former = JournalEntry.objects.filter(postings__account__organization=organization)
            former_sql, former_params = former.distinct().order_by("-id")[:51].query.sql_with_params()
            measured[name] = {
                "request": median_ms(request),
                "page": statement_ms(cursor, page_sql),
                "floor": statement_ms(cursor, FLOOR, [organization]),
                "former": (former_sql, former_params),
            }
        cursor.execute("DROP INDEX posting_account_entry")  # the former code had no such index: rolled back
        for name, found in measured.items():
            former = statement_ms(cursor, *found["former"])
            rows.append((name, found["request"], found["page"], former, found["floor"]))
        transaction.set_rollback(True)

    print()
    print(f"A page of ledger entries, {REPS} repetitions (medians of all but the first)")
    print("| organisation | request ms | page SQL ms | former SQL ms | floor ms | page ÷ floor | former ÷ floor |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, request_ms, page, former, floor in rows:
        print(
            f"| {name} | {request_ms:.1f} | {page:.2f} | {former:.2f} | {floor:.2f} | {page / floor:.2f}× "
            f"| {former / floor:.1f}× |"
        )


if __name__ == "__main__":
    main()
