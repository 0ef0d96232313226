"""Settlement scale benchmark (not a test): 1,000,000 received order lines across 500 suppliers, one month
of buyer payments, then statement generation for the month against the floor measured in the same run (one
SQL GROUP BY supplier over the same rows), peak memory, and a 1,000,000-line statement export streamed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/settlements_bench .venv/bin/python bench/settlement_scale.py
    DATABASE_URL=... .venv/bin/python bench/settlement_scale.py --measure   # re-measure the seeded database

The database named in DATABASE_URL is dropped and re-created (not with --measure, which only truncates the
statements). Seeding uses psycopg COPY (PERF-FLOOR §4); ledger rows go through the same append-only, balance
and settled-receivable triggers as production writes. The floor is the GROUP BY over the rows generation reads:
the month's paid receivables (200,000 orders), not the 1,000,000 order lines, which generation never touches
(that GROUP BY is printed too, for scale). Each repetition commits its generation and is timed through COMMIT.
Env: BENCH_REPS (5), BENCH_QUIET (wait for the machine to be this idle, 0.25), BENCH_NO_EXPORT, BENCH_XLSX.
Results go to stdout.
"""

from __future__ import annotations

import os
import random
import resource
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from urllib.parse import urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pharmex.settings.local")
N_SUPPLIERS, N_BUYERS, N_ORDERS, LINES_PER_ORDER = 500, 2000, 200_000, 5
ORDERS_PER_PAYMENT = 10
REPS = int(os.environ.get("BENCH_REPS", "5"))
QUIET_LIMIT = float(os.environ.get("BENCH_QUIET", "0.25"))  # wait for the machine to be this idle before a rep
RATE = Decimal("0.0300")
CENT = Decimal("0.01")
random.seed(42)


def rss_mb() -> float:
    """Peak resident memory of this process (VmHWM: unlike ru_maxrss, it is not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def recreate_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    with psycopg.connect(url.replace(parsed.path, "/postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def seed(cursor) -> None:
    from tests.factories.accounts import valid_uscc

    now = datetime(2026, 12, 1, tzinfo=UTC)
    t0 = time.perf_counter()
    with cursor.copy(
        "COPY accounts_organization (id, legal_name, uscc, kind, ownership, province_code, "
        "credit_terms_days, min_shelf_life_days, simplified_vat, contact_phone, address, status, "
        "status_reason, created_at, updated_at) FROM STDIN"
    ) as copy:
        for i in range(1, N_SUPPLIERS + N_BUYERS + 1):
            kind = "distributor" if i <= N_SUPPLIERS else "pharmacy"
            copy.write_row(
                (
                    i,
                    f"bench org {i}",
                    valid_uscc(i),
                    kind,
                    "",
                    "460000",
                    30,
                    180,
                    False,
                    "",
                    "",
                    "verified",
                    "",
                    now,
                    now,
                )
            )
    cursor.execute("SELECT setval('accounts_organization_id_seq', %s)", [N_SUPPLIERS + N_BUYERS])
    print(f"organisations: {time.perf_counter() - t0:.1f} s")


def main() -> None:
    url = os.environ["DATABASE_URL"]
    import django

    if "--measure" in sys.argv:
        django.setup()
        measure()
        return
    from django.core.management import call_command

    recreate_database(url)
    django.setup()
    call_command("migrate", verbosity=0)
    print("migrated")
    seed_all()
    # A fresh process measures, so its peak memory is generation and export, not the seeding lists.
    import subprocess

    subprocess.run([sys.executable, __file__, "--measure"], check=True)


def seed_all() -> None:
    from django.db import connection, transaction

    from tests.factories.catalog import DrugFactory

    cursor = connection.cursor().cursor  # the psycopg cursor, for COPY
    connection.ensure_connection()
    with transaction.atomic():
        seed(cursor)
        drug = DrugFactory()
    cursor = connection.connection.cursor()
    t0 = time.perf_counter()
    with transaction.atomic():
        with cursor.copy(
            "COPY catalog_offer (id, supplier_id, drug_id, unit_price, currency, vat_rate, stock, "
            "min_order_quantity, order_multiple, lead_time_days, provinces, status, created_at, "
            "updated_at) FROM STDIN"
        ) as copy:
            for s in range(1, N_SUPPLIERS + 1):
                copy.write_row(
                    (
                        s,
                        s,
                        drug.pk,
                        Decimal("10.00"),
                        "CNY",
                        Decimal("0.13"),
                        1000,
                        1,
                        1,
                        2,
                        [],
                        "active",
                        datetime(2026, 1, 1, tzinfo=UTC),
                        datetime(2026, 1, 1, tzinfo=UTC),
                    )
                )
        connection.cursor().execute("SELECT setval('catalog_offer_id_seq', %s)", [N_SUPPLIERS])
    print(f"offers: {time.perf_counter() - t0:.1f} s")

    # Orders received in October 2026, paid in November 2026 (Asia/Shanghai); the month under test is November.
    t0 = time.perf_counter()
    october, november = datetime(2026, 9, 30, 16, tzinfo=UTC), datetime(2026, 10, 31, 16, tzinfo=UTC)
    orders = []  # (id, buyer, supplier, gross, received_at)
    with transaction.atomic():
        with cursor.copy(
            "COPY orders_orderline (order_id, line_no, offer_id, drug_id, drug_name, brand_name, "
            "specification, package, approval_number, sale_unit, unit_price, vat_rate, quantity, "
            "line_gross, line_tax, shipped_quantity, accepted_quantity, rejected_quantity, "
            "rejection_reason, dosage_form, manufacturer_name, mah_name) FROM STDIN"
        ) as copy:
            for order_id in range(1, N_ORDERS + 1):
                supplier = random.randint(1, N_SUPPLIERS)
                buyer = random.randint(N_SUPPLIERS + 1, N_SUPPLIERS + N_BUYERS)
                gross = Decimal("0.00")
                for line_no in range(1, LINES_PER_ORDER + 1):
                    price = Decimal(random.randint(100, 50_000)) / 100
                    quantity = random.randint(1, 20)
                    line_gross = price * quantity
                    tax = (line_gross - line_gross / Decimal("1.13")).quantize(CENT, ROUND_HALF_UP)
                    gross += line_gross
                    copy.write_row(
                        (
                            order_id,
                            line_no,
                            supplier,
                            drug.pk,
                            "阿莫西林胶囊",
                            "",
                            "0.25g",
                            "24粒/盒",
                            "",
                            "盒",
                            price,
                            Decimal("0.13"),
                            quantity,
                            line_gross,
                            tax,
                            quantity,
                            quantity,
                            0,
                            "",
                            "capsule",
                            "测试制药有限公司",
                            "测试制药有限公司",
                        )
                    )
                received = october + timedelta(seconds=random.randint(0, 30 * 86400))
                orders.append((order_id, buyer, supplier, gross, received))
        with cursor.copy(
            "COPY orders_order (id, number, buyer_id, supplier_id, status, placed_by, note, currency, "
            "total_gross, total_tax, accepted_gross, buyer_province, placed_at, expires_at, "
            "received_at, updated_at, buyer_name, buyer_license_number, supplier_name, supplier_license_number, "
            "hold_status, hold_reason, hold_note) FROM STDIN"
        ) as copy:
            for order_id, buyer, supplier, gross, received in orders:
                copy.write_row(
                    (
                        order_id,
                        f"PX20261001{order_id:08d}",
                        buyer,
                        supplier,
                        "received",
                        "bench",
                        "",
                        "CNY",
                        gross,
                        Decimal("0.00"),
                        gross,
                        "460000",
                        received - timedelta(days=2),
                        received - timedelta(days=1),
                        received,
                        received,
                        f"bench org {buyer}",
                        "",
                        f"bench org {supplier}",
                        "",
                        "none",
                        "",
                        "",
                    )
                )
        connection.cursor().execute("SELECT setval('orders_order_id_seq', %s)", [N_ORDERS])
    print(f"orders and {N_ORDERS * LINES_PER_ORDER:,} lines: {time.perf_counter() - t0:.1f} s")

    # The ledger as the services write it: accounts, a receipt entry per order, a payment entry per
    # ORDERS_PER_PAYMENT orders of one buyer, allocations, receivables marked paid in November.
    t0 = time.perf_counter()
    with transaction.atomic():
        account = {}
        with cursor.copy(
            "COPY settlements_ledgeraccount (id, kind, organization_id, currency, created_at) FROM STDIN"
        ) as copy:
            aid = 0
            for org in range(1, N_SUPPLIERS + N_BUYERS + 1):
                aid += 1
                kind = "supplier_payable" if org <= N_SUPPLIERS else "buyer_receivable"
                account[org] = aid
                copy.write_row((aid, kind, org, "CNY", november))
            bank, revenue = aid + 1, aid + 2
            copy.write_row((bank, "platform_bank", None, "CNY", november))
            copy.write_row((revenue, "commission_revenue", None, "CNY", november))
        entries, postings, receivables = [], [], []
        entry_id = 0
        by_buyer: dict[int, list] = {}
        for order_id, buyer, supplier, gross, received in orders:
            entry_id += 1
            commission = (gross * RATE).quantize(CENT, ROUND_HALF_UP)
            entries.append((entry_id, "receipt", "order", str(order_id), received))
            postings += [
                (entry_id, account[buyer], gross, order_id),
                (entry_id, account[supplier], -gross, order_id),
                (entry_id, account[supplier], commission, order_id),
                (entry_id, revenue, -commission, order_id),
            ]
            receivables.append([order_id, buyer, supplier, gross, commission, received, entry_id])
            by_buyer.setdefault(buyer, []).append(receivables[-1])
        payments, allocations = [], []
        payment_id = 0
        for buyer, items in by_buyer.items():
            for start in range(0, len(items), ORDERS_PER_PAYMENT):
                chunk = items[start : start + ORDERS_PER_PAYMENT]
                payment_id += 1
                entry_id += 1
                paid = november + timedelta(seconds=random.randint(0, 30 * 86400 - 1))
                amount = sum(r[3] for r in chunk)
                entries.append((entry_id, "payment", "payment", str(payment_id), paid))
                postings += [(entry_id, bank, amount, None), (entry_id, account[buyer], -amount, None)]
                payments.append((payment_id, buyer, amount, paid, entry_id))
                for r in chunk:
                    r.append(paid)
                    allocations.append((payment_id, r[0], r[3], paid))
        with cursor.copy(
            "COPY settlements_journalentry (id, kind, source_type, source_id, memo, created_by, created_at) FROM STDIN"
        ) as copy:
            for e in entries:
                copy.write_row((e[0], e[1], e[2], e[3], "", "bench", e[4]))
        with cursor.copy("COPY settlements_posting (entry_id, account_id, amount, currency, order_id) FROM STDIN") as c:
            for p in postings:
                c.write_row((p[0], p[1], p[2], "CNY", p[3]))
        with cursor.copy(
            "COPY settlements_receivable (id, order_id, buyer_id, supplier_id, currency, gross, "
            "commission, net, commission_rate, received_at, due_date, allocated, paid_at, entry_id) "
            "FROM STDIN"
        ) as copy:
            for r in receivables:
                copy.write_row(
                    (
                        r[0],
                        r[0],
                        r[1],
                        r[2],
                        "CNY",
                        r[3],
                        r[4],
                        r[3] - r[4],
                        RATE,
                        r[5],
                        (r[5] + timedelta(days=30)).date(),
                        r[3],
                        r[7],
                        r[6],
                    )
                )
        with cursor.copy(
            "COPY settlements_payment (id, buyer_id, amount, currency, reference, value_date, source, "
            "unallocated, entry_id, recorded_by, created_at) FROM STDIN"
        ) as copy:
            for p in payments:
                copy.write_row(
                    (p[0], p[1], p[2], "CNY", "", p[3].date(), "manual", Decimal("0.00"), p[4], "bench", p[3])
                )
        with cursor.copy(
            "COPY settlements_paymentallocation (receivable_id, payment_id, amount, created_at) FROM STDIN"
        ) as copy:
            for payment_id_, receivable_id, amount, paid in allocations:
                copy.write_row((receivable_id, payment_id_, amount, paid))
        for table, last in (
            ("settlements_ledgeraccount", bank + 1),
            ("settlements_journalentry", entry_id),
            ("settlements_receivable", N_ORDERS),
            ("settlements_payment", payment_id),
        ):
            connection.cursor().execute(f"SELECT setval('{table}_id_seq', %s)", [last])
    del entries, postings, receivables, payments, allocations, by_buyer, orders
    print(f"ledger ({entry_id:,} entries, balance trigger checked at commit): {time.perf_counter() - t0:.1f} s")
    connection.cursor().execute("VACUUM ANALYZE")
    print(f"seeding process peak RSS: {rss_mb():.0f} MB")


def machine_busy(interval: float = 0.5) -> float:
    """Fraction of the machine's CPU time that was busy over `interval` (all processes, /proc/stat)."""

    def sample() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(values), values[3] + values[4]

    total, idle = sample()
    time.sleep(interval)
    total2, idle2 = sample()
    return 1 - (idle2 - idle) / max(1, total2 - total)


def wait_quiet(limit: float = QUIET_LIMIT, timeout: float = 300) -> float:
    """Wait (up to `timeout`) until the machine is below `limit` busy twice in a row; returns the last reading."""
    deadline, calm, busy = time.monotonic() + timeout, 0, 1.0
    while time.monotonic() < deadline and calm < 2:
        busy = machine_busy()
        calm = calm + 1 if busy < limit else 0
    return busy


def measure() -> None:
    from django.db import connection

    from pharmex.actor import SYSTEM_ACTOR
    from pharmex.exports import csv_stream, xlsx_stream
    from settlements.models import Statement
    from settlements.services import statement_generate
    from settlements.services.exports import HEADER, export_rows

    november = datetime(2026, 10, 31, 16, tzinfo=UTC)
    november_day, today = date(2026, 11, 1), date(2026, 12, 1)

    def reset() -> None:
        # The bench database only: start every repetition from "no statements yet" (TRUNCATE: a fresh table,
        # no dead rows left behind by the previous repetition).
        with connection.cursor() as c:
            c.execute("TRUNCATE settlements_statement CASCADE")

    def generate() -> list:
        # Autocommit outside: statement_generate is its own transaction, so the clock includes COMMIT (and
        # anything deferred to it, such as foreign-key checks), as in production.
        return statement_generate(period_kind="month", day=november_day, actor=SYSTEM_ACTOR, today=today)

    # --- generation vs floor, interleaved; every repetition commits (timed through COMMIT) -----------------
    floor_sql = (
        "SELECT supplier_id, count(*), sum(gross), sum(commission) FROM settlements_receivable "
        "WHERE paid_at >= %s AND paid_at < %s AND reversed_at IS NULL GROUP BY supplier_id"
    )
    lines_floor_sql = (
        "SELECT o.supplier_id, count(*), sum(l.line_gross) FROM orders_orderline l "
        "JOIN orders_order o ON o.id = l.order_id GROUP BY o.supplier_id"
    )
    floor, lines_floor, generation, rerun, busy = [], [], [], [], []
    window = [november, november + timedelta(days=30)]

    def time_floor() -> None:
        with connection.cursor() as c:
            t0 = time.perf_counter()
            c.execute(floor_sql, window)
            assert len(c.fetchall()) == N_SUPPLIERS
            floor.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            c.execute(lines_floor_sql)
            c.fetchall()
            lines_floor.append(time.perf_counter() - t0)

    def time_generation() -> None:
        t0 = time.perf_counter()
        statements = generate()
        generation.append(time.perf_counter() - t0)
        assert len(statements) == N_SUPPLIERS and sum(s.line_count for s in statements) == N_ORDERS
        t0 = time.perf_counter()
        again = generate()  # idempotent rerun: the same statements, nothing written
        rerun.append(time.perf_counter() - t0)
        assert [(s.pk, s.line_count, s.gross) for s in again] == [(s.pk, s.line_count, s.gross) for s in statements]

    rss_before_generation = rss_mb()
    for rep in range(REPS):
        reset()
        busy.append(wait_quiet())
        with connection.cursor() as c:  # untimed: whichever runs first does not pay for an idle machine
            c.execute(floor_sql, window)
        # Alternate which goes first, so neither profits from the other's warm caches in every repetition.
        for step in (time_floor, time_generation) if rep % 2 == 0 else (time_generation, time_floor):
            step()
    # The first repetition warms caches and plans; medians over the rest.
    g, f, lf = statistics.median(generation[1:]), statistics.median(floor[1:]), statistics.median(lines_floor[1:])
    print(f"machine busy before each repetition: {[round(b, 2) for b in busy]}")
    print(f"generation runs (s): {[round(x, 3) for x in generation]}")
    print(f"rerun (no-op) runs (s): {[round(x, 3) for x in rerun]}")
    print(f"floor (same rows, GROUP BY supplier) runs (s): {[round(x, 3) for x in floor]}")
    print(f"1M order lines GROUP BY supplier (s): {[round(x, 3) for x in lines_floor]}")
    print(
        f"RESULT generation median {g:.3f} s, floor {f:.3f} s, ratio {g / f:.2f}x "
        f"(vs 1M-line GROUP BY {lf:.3f} s: {g / lf:.2f}x); rerun median {statistics.median(rerun[1:]):.3f} s; "
        f"peak RSS {rss_mb():.0f} MB (before generation {rss_before_generation:.0f} MB)"
    )

    # --- 1,000,000-line export, streamed ------------------------------------------------------------------
    writers = [] if os.environ.get("BENCH_NO_EXPORT") else [("csv", csv_stream)]
    writers += [("xlsx", xlsx_stream)] if os.environ.get("BENCH_XLSX") else []
    for label, writer in writers:
        statements = Statement.objects.filter(period_kind="month", period_start=date(2026, 11, 1))
        start_rss, t0, size, chunks = rss_mb(), time.perf_counter(), 0, 0
        for chunk in writer(HEADER, export_rows(statements=statements)):
            size += len(chunk)
            chunks += 1
        print(
            f"RESULT export {label}: {size / 1e6:.1f} MB in {chunks} chunks, {time.perf_counter() - t0:.1f} s, "
            f"peak RSS {rss_mb():.0f} MB (before {start_rss:.0f} MB)"
        )


if __name__ == "__main__":
    main()
