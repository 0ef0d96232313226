"""A party's lists on years of history (issue 19; not a test): does a page cost a page, whoever asks?

Runs on a database the growth bench left behind (it never seeds one; migrations are applied first, as a deploy
would):
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/growth_bench .venv/bin/python bench/party_lists.py
Env: BENCH_REPS (7; medians over all but the first).

Two lists whose rows belong to an organisation through more than one index: its ledger entries (those with a
posting on one of its accounts) and its shipments (sent or received). Each is asked for as an owner of two
organisations: the busiest buyer, and a new one whose only entry is the platform's tenth and whose only shipment a
copy of the tenth (written in a transaction rolled back at the end). For each: the request in this process, the
page's statement as the code sends it now, and the former code's (the entries' join, DISTINCT, newest first, with
the account-and-entry index dropped in the same transaction; the shipments' OR of buyer and supplier) — against a
floor: the bare SQL of the page, the newest 51 ids read from each side's index and those rows by id. Then two
queues (`QUEUES`): orders to confirm and shipments to receive, with the platform's newest week of rows in that
state, asked for by the supplier (the buyer) with the fewest of them; the former statement is the same one without
the indexes of a party's rows under way. Statements are timed by EXPLAIN ANALYZE (planning + execution).
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
FLOORS = {
    "ledger entries": """
        SELECT e.* FROM settlements_journalentry e WHERE e.id IN (
            SELECT DISTINCT newest.entry_id FROM settlements_ledgeraccount a CROSS JOIN LATERAL (
                SELECT p.entry_id FROM settlements_posting p WHERE p.account_id = a.id ORDER BY p.entry_id DESC LIMIT 51
            ) AS newest
            WHERE a.organization_id = %(party)s ORDER BY newest.entry_id DESC LIMIT 51
        ) ORDER BY e.id DESC
    """,
    "shipments": """
        SELECT s.* FROM orders_shipment s WHERE s.id IN (
            (SELECT id FROM orders_shipment WHERE buyer_id = %(party)s ORDER BY id DESC LIMIT 51)
            UNION ALL
            (SELECT id FROM orders_shipment WHERE supplier_id = %(party)s ORDER BY id DESC LIMIT 51)
        ) ORDER BY s.id DESC LIMIT 51
    """,
}
PATHS = {"ledger entries": "/api/v1/ledger/entries/", "shipments": "/api/v1/shipments/"}
TABLES = {"ledger entries": "settlements_journalentry", "shipments": "orders_shipment"}
# A party's queue: its rows in a state under way, the platform's newest week of rows (the growth bench seeds every
# order received: the bench puts that week in the state, rolled back at the end), asked for by the party with the
# fewest of them, for which a page read along the state's own index reads the whole platform's week. The former code
# had no index of a party's rows under way. Name: (the party's column, path, table, state, the indexes).
QUEUES = {
    "orders to confirm": (
        "supplier",
        "/api/v1/orders/?status=placed&role=supplier",
        "orders_order",
        "placed",
        ("order_buyer_in_flight", "order_supplier_in_flight"),
    ),
    "shipments to receive": (
        "buyer",
        "/api/v1/shipments/?status=in_transit&role=buyer",
        "orders_shipment",
        "in_transit",
        ("shipment_buyer_in_transit", "shipment_supplier_in_transit"),
    ),
}
QUEUE_FLOOR = """
    SELECT * FROM {table} WHERE id IN (
        SELECT id FROM {table} WHERE {side}_id = %(party)s AND status = %(state)s ORDER BY id DESC LIMIT 51
    ) ORDER BY id DESC
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
    from django.db.models import Count, Q
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from accounts.choices import MemberRole, OrganizationKind
    from accounts.models import Organization
    from orders.models import Order, Shipment
    from settlements.models import JournalEntry, LedgerAccount, Posting
    from tests.factories import MembershipFactory, OrganizationFactory

    def former(name: str, party: int):
        """The statement the code before sent for the first page of `party`'s list."""
        if name == "ledger entries":
            rows = JournalEntry.objects.filter(postings__account__organization=party).distinct()
        else:
            rows = Shipment.objects.filter(Q(buyer=party) | Q(supplier=party))
        return rows.order_by("-id")[:51].query.sql_with_params()

    def owner_client(party: int) -> APIClient:
        client = APIClient(HTTP_HOST="localhost")
        email = f"{uuid.uuid4().hex}@bench.test"
        organization = Organization.objects.get(pk=party)
        client.force_authenticate(
            MembershipFactory(organization=organization, role=MemberRole.OWNER, user__email=email).user
        )
        return client

    def asked(client: APIClient, path: str, table: str) -> tuple[float, str]:
        """The first page's request (ms, median) and the statement that reads its rows."""

        def request() -> float:
            started = time.perf_counter()
            response = client.get(path)
            assert response.status_code == 200 and response.json()["results"], response.content[:300]
            return (time.perf_counter() - started) * 1000

        with CaptureQueriesContext(connection) as queries:
            request()
        [page_sql] = [q["sql"] for q in queries.captured_queries if f'FROM "{table}"' in q["sql"]]
        return median_ms(request), page_sql

    call_command("migrate", verbosity=0)
    print(f"{JournalEntry.objects.count():,} journal entries, {Shipment.objects.count():,} shipments")
    rows = []
    with transaction.atomic(), connection.cursor() as cursor:
        busiest = Order.objects.values("buyer").annotate(n=Count("id")).order_by("-n")[0]["buyer"]
        newcomer = OrganizationFactory(kind=OrganizationKind.PHARMACY, uscc=uuid.uuid4().hex[:18].upper())
        account = LedgerAccount.objects.create(organization=newcomer, kind="buyer_receivable")
        cursor.execute("SET LOCAL session_replication_role = replica")  # one leg, a copied shipment: checks off
        tenth_entry = JournalEntry.objects.order_by("id").values_list("id", flat=True)[9]
        Posting.objects.create(entry_id=tenth_entry, account=account, amount=1)
        columns = [f.column for f in Shipment._meta.concrete_fields if f.name not in ("id", "sequence", "buyer")]
        cursor.execute(
            f"INSERT INTO orders_shipment ({', '.join(columns)}, sequence, buyer_id) "
            f"SELECT {', '.join(columns)}, 1000, %s FROM orders_shipment ORDER BY id OFFSET 9 LIMIT 1",
            [newcomer.pk],
        )
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        parties = {"the busiest buyer": busiest, "an organisation whose one row is the tenth": newcomer.pk}
        measured = []
        for party_name, party in parties.items():
            client = owner_client(party)
            for name, path in PATHS.items():
                request, page_sql = asked(client, path, TABLES[name])
                measured.append(
                    {
                        "list": name,
                        "party": party_name,
                        "request": request,
                        "page": statement_ms(cursor, page_sql),
                        "floor": statement_ms(cursor, FLOORS[name], {"party": party}),
                        "former": former(name, party),
                    }
                )
        for name, (side, path, table, state, _indexes) in QUEUES.items():
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(
                f"UPDATE {table} SET status = %s WHERE id > (SELECT max(id) - count(*) / 52 FROM {table})", [state]
            )
            cursor.execute("SET LOCAL session_replication_role = DEFAULT")
            cursor.execute(
                f"SELECT {side}_id, count(*) FROM {table} WHERE status = %s "
                "GROUP BY 1 HAVING count(*) > 1 ORDER BY 2, 1 LIMIT 1",  # not the new organisation's one shipment
                [state],
            )
            party, in_state = cursor.fetchone()
            cursor.execute(f"ANALYZE {table}")
            request, page_sql = asked(owner_client(party), path, table)
            floor = QUEUE_FLOOR.format(table=table, side=side)
            measured.append(
                {
                    "list": name,
                    "party": f"the {side} with the fewest ({in_state:,} of the week's {state})",
                    "request": request,
                    "page": statement_ms(cursor, page_sql),
                    "floor": statement_ms(cursor, floor, {"party": party, "state": state}),
                    "former": (page_sql, None),  # the same statement, without the indexes of the rows under way
                }
            )
        cursor.execute("DROP INDEX posting_account_entry")  # the former code had no such index: rolled back
        for *_, indexes in QUEUES.values():
            cursor.execute(f"DROP INDEX {', '.join(indexes)}")
        for found in measured:
            rows.append({**found, "former": statement_ms(cursor, *found["former"])})
        transaction.set_rollback(True)
    with connection.cursor() as cursor:  # the statistics of the tables as they are again, not as the queues left them
        cursor.execute(f"ANALYZE {', '.join({table for _side, _path, table, *_ in QUEUES.values()})}")

    print()
    print(f"A party's first page, {REPS} repetitions (medians of all but the first)")
    print(
        "| list | organisation | request ms | page SQL ms | former SQL ms | floor ms | page ÷ floor | former ÷ floor |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['list']} | {row['party']} | {row['request']:.1f} | {row['page']:.2f} | {row['former']:.2f} "
            f"| {row['floor']:.2f} | {row['page'] / row['floor']:.2f}× | {row['former'] / row['floor']:.1f}× |"
        )


if __name__ == "__main__":
    main()
