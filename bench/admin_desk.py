"""The operations desk on years of history (issue 19; not a test): does a search of the admin site cost what opening
the page costs, whatever the tables hold?

Runs on a database the growth bench left behind (it never seeds one; migrations are applied first, as a deploy
would, and their time is printed):
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/growth_bench .venv/bin/python bench/admin_desk.py
Env: BENCH_REPS (7; medians over all but the first).

Each page is a changelist of a table that grows with every order, fetched as a signed-in superuser through Django's
test client in this process: first as the desk opens it (no search, newest first: the floor, which reads an index
and 100 rows whatever the size), then searched by a whole value a staff member has in hand (an order number, a
tracking number, a code, an object id, a bank's transaction id) or part of a text (a pharmacy's name; what a payer
and the bank wrote on a payment or bank line: the growth bench seeds neither, so `money_searches` writes them for
the run and rolls them back); the audit records are also filtered by an action that is rare (a few records, or
none). The ratio is searched ÷ opened; alternated, so load on the machine falls on both.

Then the pages whose rows are computed, against the journal entries page opened (a page of 100 rows with no
computed column), alternated the same way: the ledger accounts page, whose every row shows a balance; the
receivables aging report (what is still owed, by days overdue); the admin index, whose dashboard shows the aging
buckets and the last 30 days' orders. Where the code has balance checkpoints, the checkpoint
job runs first (timed: its first run sums the whole book, later runs the postings since).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

from bench.growth import DATABASE_URL, setup_environment  # noqa: E402

REPS = int(os.environ.get("BENCH_REPS", "7"))


def timed_page(client, path: str, term: str | dict | None) -> float:
    """The page at `path`, searched for `term` (a text) or filtered by it (query parameters), in ms."""
    started = time.perf_counter()
    response = client.get(path, term if isinstance(term, dict) else {"q": term} if term is not None else {})
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (path, response.status_code)
    return elapsed


def main() -> None:
    setup_environment(DATABASE_URL)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from accounts.models import Organization, User
    from orders.models import Order, Shipment, TraceCode
    from settlements.models import Receivable

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrate: {time.perf_counter() - started:.1f} s")

    user = User.objects.filter(email="desk-bench@platform.test").first()
    if user is None:
        user = User.objects.create_superuser(email="desk-bench@platform.test")
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)

    order = Order.objects.order_by("-pk").first()
    shipment = Shipment.objects.filter(order__lt=order.pk).order_by("-pk").first()
    pharmacy = Organization.objects.get(pk=order.buyer_id).legal_name
    cases = [
        ("orders", "/admin/orders/order/", "a whole order number", order.number),
        ("orders", "/admin/orders/order/", "part of a pharmacy's name", pharmacy[-6:]),
        ("shipments", "/admin/orders/shipment/", "a whole order number", shipment.order.number),
        ("shipments", "/admin/orders/shipment/", "a tracking number", shipment.tracking_number),
        ("trace codes", "/admin/orders/tracecode/", "a whole code", TraceCode.objects.order_by("pk")[1000].code),
        ("audit records", "/admin/pharmex/auditevent/", "an object id", str(order.pk - 1000)),
        ("audit records", "/admin/pharmex/auditevent/", "(filtered) a rare action", {"action": "statement.generated"}),
        ("journal entries", "/admin/settlements/journalentry/", "a whole order number", shipment.order.number),
    ]
    rows = searched_against_opened(client, cases) + money_searches(client, pharmacy[-6:])

    try:
        from settlements.services import balances_checkpoint
    except ImportError:  # code from before the checkpoints: balances are summed from the first posting
        balances_checkpoint = None
    if balances_checkpoint is not None:
        for run in ("first", "next"):
            started = time.perf_counter()
            moved = balances_checkpoint()
            print(f"balance checkpoints, {run} run: {moved} accounts, {time.perf_counter() - started:.2f} s")
    # Pages whose rows are computed, against the journal entries page opened (100 rows, nothing computed).
    floor_path = "/admin/settlements/journalentry/"
    computed = [
        ("ledger accounts", "(opened, with balances)", "/admin/settlements/ledgeraccount/"),
        ("receivables aging", "(opened: what is owed, by days overdue)", "/admin/settlements/receivable/aging/"),
        ("admin index", "(opened: the dashboard)", "/admin/"),
    ]
    open_dues = Receivable.objects.filter(paid_at__isnull=True, reversed_at__isnull=True).count()
    print(f"open receivables: {open_dues:,} of {Receivable.objects.count():,}")
    for page, kind, path in computed:
        floor, service = alternated(client, (floor_path, None), (path, None))
        rows.append((page, kind, floor, service))
        print(f"  {page}: {service:.1f} ms; journal entries opened {floor:.1f} ms")

    open_reads = open_dues_reads()

    print()
    print(f"The admin desk on {Order.objects.count():,} orders, {REPS} repetitions (medians of all but the first)")
    print("| page | searched by | opened (floor) ms | searched ms | ratio |")
    print("|---|---|---:|---:|---:|")
    for page, kind, floor, service in rows:
        print(f"| {page} | {kind} | {floor:.1f} | {service:.1f} | {service / floor:.2f}× |")
    print()
    print("Reads of what is owed with the last 30 days open, without and with the partial indexes of open rows")
    print("| read | without ms | with ms | plan with |")
    print("|---|---:|---:|---|")
    for name, without, with_, scans in open_reads:
        print(f"| {name} | {without:.2f} | {with_:.2f} | {scans} |")


def alternated(client, floor: tuple[str, str | None], measured: tuple[str, str | dict | None]) -> tuple[float, float]:
    """The medians (of all but the first) of two pages, each a path and a search term or None, fetched in turn."""
    floors, pages = [], []
    for _ in range(REPS):
        floors.append(timed_page(client, *floor))
        pages.append(timed_page(client, *measured))
    return statistics.median(floors[1:]), statistics.median(pages[1:])


def searched_against_opened(client, cases) -> list[tuple[str, str, float, float]]:
    rows = []
    for page, path, kind, term in cases:
        floor, service = alternated(client, (path, None), (path, term))
        rows.append((page, kind, floor, service))
        print(f"  {page}, {kind}: opened {floor:.1f} ms, searched {service:.1f} ms, ratio {service / floor:.2f}×")
    return rows


def money_searches(client, name_part: str) -> list[tuple[str, str, float, float]]:
    """Payments and bank lines searched by part of what the payer and the bank wrote. The growth bench seeds
    payments without a reference and no bank statement, so each payment gets the first order it paid as its
    reference, and a matched bank line as the bank would report it (the buyer's name, an account, the reference),
    in a transaction rolled back at the end."""
    from django.db import connection, transaction

    from settlements.models import BankLine, BankStatement, Payment

    with transaction.atomic(), connection.cursor() as cursor:
        started = time.perf_counter()
        cursor.execute(
            "UPDATE settlements_payment p SET reference = '货款 ' || o.number FROM ("
            "SELECT DISTINCT ON (a.payment_id) a.payment_id, r.order_id FROM settlements_paymentallocation a "
            "JOIN settlements_receivable r ON r.id = a.receivable_id ORDER BY a.payment_id, a.receivable_id) first "
            "JOIN orders_order o ON o.id = first.order_id WHERE p.id = first.payment_id"
        )
        statement = BankStatement.objects.create(
            file_name="admin-desk-bench.csv", file_sha256="0" * 64, imported_by="bench", status="imported"
        ).pk
        cursor.execute(
            "INSERT INTO settlements_bankline (statement_id, transaction_id, booked_on, amount, currency, "
            "counterparty_account, counterparty_name, reference, status, payment_id, candidates, note, matched_by, "
            "updated_at) SELECT %s, 'BOC' || lpad(p.id::text, 14, '0'), p.value_date, p.amount, p.currency, "
            "'6217' || lpad((p.buyer_id * 7919)::text, 12, '0'), org.legal_name, p.reference, 'matched', p.id, "
            "'[]', '', 'bench', now() FROM settlements_payment p JOIN accounts_organization org ON org.id = p.buyer_id",
            [statement],
        )
        written = cursor.rowcount
        # A GIN index takes new rows into a pending list first, which autovacuum merges; its rows here are the
        # transaction's own, which no vacuum sees, so they are merged by hand (bounded in production by
        # gin_pending_list_limit, 4 MB, whatever the history).
        cursor.execute(
            "SELECT gin_clean_pending_list(indexrelid) FROM pg_index JOIN pg_class i ON i.oid = indexrelid "
            "JOIN pg_am ON pg_am.oid = i.relam WHERE amname = 'gin' AND indrelid IN "
            "('settlements_payment'::regclass, 'settlements_bankline'::regclass)"
        )
        cursor.execute("ANALYZE settlements_payment; ANALYZE settlements_bankline")
        print(f"payments given references, {written:,} bank lines: {time.perf_counter() - started:.1f} s")
        line = BankLine.objects.order_by("-pk")[100]
        payment = Payment.objects.get(pk=line.payment_id)
        order_number = payment.reference.split()[-1]
        payments, lines = "/admin/settlements/payment/", "/admin/settlements/bankline/"
        cases = [
            ("payments", payments, "part of the reference (an order number)", order_number),
            ("payments", payments, "part of a pharmacy's name", name_part),
            ("bank lines", lines, "a whole transaction id", line.transaction_id),
            ("bank lines", lines, "part of the reference (an order number)", order_number),
            ("bank lines", lines, "part of the counterparty's name", name_part),
            ("bank lines", lines, "an account's last 8 digits", line.counterparty_account[-8:]),
        ]
        rows = searched_against_opened(client, cases)
        transaction.set_rollback(True)
    return rows


OPEN_INDEXES = {
    "settlements_receivable": ("receivable_open_buyer_due", "receivable_open_fund_due"),
    "settlements_payment": ("payment_buyer_credit",),
    "settlements_fundpayment": ("fund_payment_fund_credit",),
}


def open_dues_reads() -> list[tuple[str, float, float, str]]:
    """The reads of open dues and live credit, with and without the partial indexes of open rows, on the book as it
    stands a month after receipt: the growth bench pays every order it seeds, so the last 30 days' receivables are
    opened again (and a tenth of that month's payments hold credit) in a transaction rolled back at the end. The
    indexes are dropped in it too: nothing outlives the measurement."""
    from django.db import connection, transaction
    from django.db.models import Count, F

    from settlements.models import Payment, Receivable
    from settlements.services.allocation import BUYER

    buyer_id = Receivable.objects.values("buyer_id").annotate(n=Count("id")).order_by("-n")[0]["buyer_id"]
    reads = {
        "a payment's allocation: the busiest buyer's open dues": Receivable.objects.filter(
            buyer_id=buyer_id,
            currency="CNY",
            paid_at__isnull=True,
            reversed_at__isnull=True,
            allocated__lt=BUYER.part,
        ).order_by("due_date", "id"),
        "a refund: the busiest buyer's live credit": Payment.objects.filter(
            buyer_id=buyer_id, currency="CNY", unallocated__gt=0, reversed_at__isnull=True
        ).order_by("id"),
        "aging and dashboard: every buyer's live credit": Payment.objects.filter(
            reversed_at__isnull=True, unallocated__gt=0
        )
        .values("buyer_id", "currency")
        .annotate(n=Count("id")),
        "aging and dashboard: every open due": Receivable.objects.filter(
            paid_at__isnull=True, reversed_at__isnull=True, allocated__lt=F("gross") - F("fund_gross")
        )
        .values("buyer_id", "currency")
        .annotate(n=Count("id")),
    }

    def measure(cursor) -> dict[str, tuple[float, str]]:
        cursor.execute("ANALYZE settlements_receivable; ANALYZE settlements_payment")
        found = {}
        for name, queryset in reads.items():
            sql, params = queryset.query.sql_with_params()
            times = []
            for _ in range(REPS):
                cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
                (document,) = cursor.fetchone()
                times.append(document[0]["Planning Time"] + document[0]["Execution Time"])
            cursor.execute(f"EXPLAIN {sql}", params)
            scans = [row[0].strip().split("  (")[0].lstrip("-> ") for row in cursor.fetchall() if "Scan" in row[0]]
            found[name] = (statistics.median(times[1:]), "; ".join(scans))
        return found

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")  # the settled statements' guards: rolled back
        cursor.execute(
            "UPDATE settlements_receivable SET paid_at = NULL, allocated = 0 WHERE received_at >= "
            "(SELECT max(received_at) - interval '30 days' FROM settlements_receivable)"
        )
        opened = cursor.rowcount
        cursor.execute(
            "UPDATE settlements_payment SET unallocated = amount WHERE id % 10 = 0 AND value_date >= "
            "(SELECT max(value_date) - 30 FROM settlements_payment)"
        )
        print(f"open dues: {opened:,} receivables of the last 30 days, {cursor.rowcount:,} payments holding credit")
        with_indexes = measure(cursor)
        cursor.execute("DROP INDEX " + ", ".join(name for names in OPEN_INDEXES.values() for name in names))
        without_indexes = measure(cursor)
        transaction.set_rollback(True)
    return [(name, without_indexes[name][0], with_indexes[name][0], with_indexes[name][1]) for name in reads]


if __name__ == "__main__":
    main()
