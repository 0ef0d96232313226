"""Growth curves (issue 19 item 1; not a test): do PharmEx's costs stay flat as years of history pile up?

Seeds a platform's history with psycopg COPY at S, 4×S and 16×S order lines (S = --base, default 1,000,000),
growing ONE database from each size to the next (the rows of S stay; 3×S, then 12×S more are appended), and at
each size measures seven operations against a floor measured at the same size in the same run:

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/growth_bench .venv/bin/python bench/growth.py
    ... bench/growth.py --base 20000 --sizes 1,4,16          # a smoke run: seconds, not a result

Or, drift-proof: one database per size, each seeded on its own (--sizes 1, then --sizes 16 into another), then
measured in turns, each round one size after the other (each round's flatness compares two measurements minutes
apart, where the grown database's came an hour of seeding after S's):

    ... bench/growth.py --side-by-side 1=postgres://…/growth1 16=postgres://…/growth16 --rounds 3

The database in BENCH_DATABASE_URL is dropped and re-created. Env: BENCH_REPS (5; medians over all but the
first), BENCH_QUIET (wait for the machine to be this idle before each operation, 0.25; 1 = do not wait).

History, per order (the proportions of a real platform, SPEC §5–§7; what this disk can hold is noted):
  * 3 order lines; 4 order events (placed, confirmed, shipped, received);
  * 1 shipment, 3 shipment lines (one lot per line), 1 shipment event (received);
  * traceability: 1 code per line, 1 custody hop per code (supplier → buyer, accepted). A real line of 20 boxes
    carries 20 codes, each with 2–3 hops along the chain (manufacturer → distributor → pharmacy): 40–60 hops per
    line, i.e. billions a year. Scaled down 40–60× so 16×S fits this disk (at S = 1M: 16M codes + 16M hops at
    16×S, ~10 GB with their indexes); --codes-per-line raises it on a bigger disk;
  * ledger: 1 receipt entry with 4 postings (buyer receivable, supplier payable, commission) and 1 receivable;
    1 payment per 10 orders of a buyer in the month (1 entry, 2 postings, 1 payment, 10 allocations);
  * audit: 4 records (placed, confirmed, shipped, received), sealed in the hash chain with pharmex.audit's
    chain_hash / canonical_content, continuing the chain across growth steps.
  * Time: S/3/12 orders a month, so S is one year of history, 4×S four years, 16×S sixteen years (2010 on);
    each size measures "this month", the newest month, which always holds the same number of orders.
  * Parties: 20 suppliers, 200 pharmacies; one busy buyer (a chain's head office) places 2 % of all orders.
  * Not seeded: outbox events and webhook deliveries (≈ 10 per order: 5 events × 2 parties) and idempotency keys —
    no measured operation reads their history (the placement and shipping measurements write their own); nor the
    audit records' request ids (NULL), whose index's cost as it grows bench/index_keys.py measures on its own.

Every seeded row satisfies what production writes satisfy: the ledger's balance trigger (checked at each
month's commit), its append-only triggers, the receivable/statement triggers, the audit chain (verify_audit_chain
walks it), custody (every code's holder is the buyer that accepted its one hop, nothing in transit), order line
buckets (shipped = accepted = ordered).

What is measured at each size (in-process, one connection, Django ORM as the services use it; the ratio is
service ÷ floor of the same operation on the same rows; "flat" = ratio at 16×S within 10 % of ratio at S):
  * placement: orders/s of orders.services.placement.order_place (3 lines, busy buyer) vs the floor's bare writes
    (bench/floor_orders.py: 3 conditional stock updates, order INSERT, lines INSERT) — a throughput ratio;
  * order list / detail: GET /api/v1/orders/ and /orders/{id}/ for the busy buyer through the API in-process
    (APIClient.force_authenticate) vs SELECTs of the same page (buyer, pk range) and the order with its lines;
  * trace lookup p95: orders.selectors.trace_get on random codes across all of history vs the index lookups;
  * shipping 1,000 codes in one shipment: orders.services.shipping.order_ship vs bare INSERTs of the same rows;
  * statements: settlements statement_generate for the newest month vs the GROUP BY floor (settlement_scale.py);
  * audit verification: verify_audit_chain from the checkpoint over 2,000 new records vs reading + hashing them;
  * GSP records export of one month: the busy buyer's purchase records (records.selectors) through csv_stream.
Time ratios are service time ÷ floor time (bigger = slower); placement is service throughput ÷ floor throughput.
A table of ratios per size and the flatness go to stdout, a chart to bench/results/growth-S<base>.png, the raw
numbers to bench/results/growth-S<base>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
RESULTS = BASE_DIR / "bench" / "results"
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/growth_bench")
REPS = int(os.environ.get("BENCH_REPS", "5"))
QUIET_LIMIT = float(os.environ.get("BENCH_QUIET", "0.25"))
SHANGHAI = ZoneInfo("Asia/Shanghai")
START = (2010, 1)  # the first month of history

# Proportions (see the docstring).
LINES_PER_ORDER = 3
N_SUPPLIERS, N_BUYERS = 20, 200
OFFERS_PER_SUPPLIER = 10
BUSY_SHARE = 0.02
ORDERS_PER_PAYMENT = 10
RATE = Decimal("0.0300")
CENT = Decimal("0.01")
# Per measurement.
N_PLACE = int(os.environ.get("BENCH_PLACE", "100"))
N_READS = int(os.environ.get("BENCH_READS", "30"))
N_TRACE = int(os.environ.get("BENCH_TRACE", "200"))
SHIP_CODES = 1000
AUDIT_NEW = 2000
# Shipment codes the bench ships live here, far above the seeded ones (8 + 19 digits).
SHIP_CODE_BASE = 10**17


def setup_environment(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pharmex.settings.local")
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    # The anchor file of this bench's database only, never the developer's.
    os.environ["AUDIT_ANCHOR_PATH"] = str(Path(tempfile.gettempdir()) / f"growth-anchor-{os.getpid()}.json")


def recreate_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    with psycopg.connect(url.replace(parsed.path, "/postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' LC_CTYPE 'C.UTF-8'")


def month_start(index: int) -> datetime:
    year, month = divmod(START[0] * 12 + START[1] - 1 + index, 12)
    return datetime(year, month + 1, 1, tzinfo=SHANGHAI)


# --- the world: parties, drugs, offers, ledger accounts (ORM + factories, once) ------------------------------


@dataclass
class World:
    suppliers: list[int]
    buyers: list[int]  # buyers[0] is the busy buyer
    offers: dict[int, list[tuple[int, int]]]  # supplier → [(offer id, drug id)]
    accounts: dict[int, int]  # organisation → its ledger account
    bank: int
    revenue: int
    busy_user_id: int
    supplier_user_id: int  # an operator of suppliers[0]
    names: dict[int, str] = field(default_factory=dict)


def build_world() -> World:
    from accounts.choices import MemberRole, OrganizationKind
    from settlements.models import LedgerAccount
    from tests.factories import DrugFactory, MembershipFactory, OfferFactory, OrganizationFactory

    suppliers = [OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR) for _ in range(N_SUPPLIERS)]
    buyers = [OrganizationFactory(kind=OrganizationKind.PHARMACY) for _ in range(N_BUYERS)]
    drugs = [DrugFactory() for _ in range(OFFERS_PER_SUPPLIER)]
    offers = {
        s.pk: [(OfferFactory(supplier=s, drug=d, unit_price=Decimal("12.35"), stock=10**9).pk, d.pk) for d in drugs]
        for s in suppliers
    }
    busy_user = MembershipFactory(organization=buyers[0], role=MemberRole.OPERATOR).user
    supplier_user = MembershipFactory(organization=suppliers[0], role=MemberRole.OPERATOR).user
    accounts = {}
    for org in suppliers + buyers:
        kind = "supplier_payable" if org in suppliers else "buyer_receivable"
        accounts[org.pk] = LedgerAccount.objects.get_or_create(kind=kind, organization=org, currency="CNY")[0].pk
    bank = LedgerAccount.objects.get_or_create(kind="platform_bank", organization=None, currency="CNY")[0].pk
    revenue = LedgerAccount.objects.get_or_create(kind="commission_revenue", organization=None, currency="CNY")[0].pk
    return World(
        suppliers=[s.pk for s in suppliers],
        buyers=[b.pk for b in buyers],
        offers=offers,
        accounts=accounts,
        bank=bank,
        revenue=revenue,
        busy_user_id=busy_user.pk,
        supplier_user_id=supplier_user.pk,
        names={o.pk: o.legal_name for o in suppliers + buyers},
    )


def load_world() -> World:
    """The world an earlier run of this bench built in this database (--measure-only): its parties in creation
    order (the busy buyer first), their offers, ledger accounts and operators."""
    from accounts.choices import OrganizationKind
    from accounts.models import Membership, Organization
    from catalog.models import Offer
    from settlements.models import LedgerAccount

    parties = Organization.objects.order_by("pk")
    suppliers = list(parties.filter(kind=OrganizationKind.DISTRIBUTOR).values_list("pk", flat=True))
    buyers = list(parties.filter(kind=OrganizationKind.PHARMACY).values_list("pk", flat=True))
    assert len(suppliers) == N_SUPPLIERS and len(buyers) == N_BUYERS, "not a database this bench seeded"
    offers: dict[int, list[tuple[int, int]]] = {supplier: [] for supplier in suppliers}
    for offer_id, supplier_id, drug_id in Offer.objects.order_by("pk").values_list("pk", "supplier_id", "drug_id"):
        offers[supplier_id].append((offer_id, drug_id))
    accounts = dict(LedgerAccount.objects.filter(organization__isnull=False).values_list("organization_id", "pk"))
    platform = LedgerAccount.objects.filter(organization__isnull=True, fund__isnull=True)
    platform = dict(platform.values_list("kind", "pk"))

    def operator(organization_id: int) -> int:
        return (
            Membership.objects.filter(organization_id=organization_id)
            .order_by("pk")
            .values_list("user_id", flat=True)[0]
        )

    return World(
        suppliers=suppliers,
        buyers=buyers,
        offers=offers,
        accounts=accounts,
        bank=platform["platform_bank"],
        revenue=platform["commission_revenue"],
        busy_user_id=operator(buyers[0]),
        supplier_user_id=operator(suppliers[0]),
        names=dict(parties.values_list("pk", "legal_name")),
    )


# --- history: COPY, one transaction per month -----------------------------------------------------------------


def next_ids() -> dict[str, int]:
    from django.db import connection

    tables = [
        "orders_order",
        "orders_orderline",
        "orders_shipment",
        "orders_shipmentline",
        "orders_tracecode",
        "settlements_journalentry",
        "settlements_receivable",
        "settlements_payment",
        "pharmex_auditevent",
    ]
    with connection.cursor() as c:
        ids = {}
        for table in tables:
            c.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
            ids[table] = c.fetchone()[0]
    return ids


def chain_head() -> tuple[int, str]:
    from pharmex.audit import GENESIS_HASH, seal_audit_chain
    from pharmex.models import AuditEvent

    seal_audit_chain()  # what the measurements wrote joins the chain first
    last = AuditEvent.objects.filter(sequence__isnull=False).order_by("-sequence").first()
    return (last.sequence, last.hash) if last else (0, GENESIS_HASH)


def seed_months(world: World, first_month: int, last_month: int, orders_per_month: int, codes_per_line: int) -> dict:
    """Append months [first_month, last_month) of history. Returns {month index: orders paid in it}."""
    from django.db import connection, transaction

    from pharmex.audit import chain_hash
    from pharmex.models import AuditEvent
    from pharmex.partition_jobs import partitions_maintain

    with connection.cursor() as c:
        c.execute("SET statement_timeout = 0")  # bulk seeding and VACUUM only; the server keeps its own timeout
    # The monthly partitions of the history about to be written, so that COPY lands each row in its month (months
    # are UTC: a Shanghai month begins the day before, in UTC).
    partitions_maintain(history=(month_start(first_month) - timedelta(days=1), month_start(last_month)))
    ids = next_ids()
    sequence, previous = chain_head()
    assert ids["pharmex_auditevent"] == 0 or sequence > 0
    rng = random.Random(1000 + first_month)
    busy, others = world.buyers[0], world.buyers[1:]
    per_month: dict[int, int] = {}
    t0 = time.perf_counter()
    maxima = seeded_maxima()
    # Per-row foreign-key and guard triggers are off while COPYing, as a bulk loader does (superuser only): they
    # halved the seeding rate. verify_seeded checks the same rules over the whole step afterwards, set-based.
    with connection.cursor() as c:
        c.execute("SET session_replication_role = replica")
    try:
        for month in range(first_month, last_month):
            start = month_start(month)
            rows: dict[str, list] = {name: [] for name in COPY_SQL}
            paid_by_buyer: dict[int, list] = {}
            for _ in range(orders_per_month):
                ids["orders_order"] += 1
                order_id = ids["orders_order"]
                supplier = rng.choice(world.suppliers)
                buyer = busy if rng.random() < BUSY_SHARE else rng.choice(others)
                placed = start + timedelta(seconds=rng.randint(0, 20 * 86400))
                confirmed, shipped = placed + timedelta(hours=2), placed + timedelta(days=1)
                received = placed + timedelta(days=3)
                ids["orders_shipment"] += 1
                shipment_id = ids["orders_shipment"]
                gross, tax = Decimal("0.00"), Decimal("0.00")
                offers = rng.sample(world.offers[supplier], LINES_PER_ORDER)
                expiry = (placed + timedelta(days=700)).date()
                for line_no, (offer_id, drug_id) in enumerate(offers, 1):
                    ids["orders_orderline"] += 1
                    line_id = ids["orders_orderline"]
                    price = Decimal(rng.randint(100, 50_000)) / 100
                    quantity = rng.randint(1, 20)
                    line_gross = price * quantity
                    line_tax = (line_gross - line_gross / Decimal("1.13")).quantize(CENT, ROUND_HALF_UP)
                    gross, tax = gross + line_gross, tax + line_tax
                    lot = f"L{placed:%y%m}{line_no}"
                    rows["orderline"].append(
                        (line_id, order_id, line_no, offer_id, drug_id, "阿莫西林胶囊", "", "capsule", "0.25g",
                         "24粒/盒", "测试制药有限公司", "测试制药有限公司", "国药准字H00000000", "盒", price,
                         Decimal("0.13"), quantity, line_gross, line_tax, quantity, quantity, 0, 0, "")
                    )  # fmt: skip
                    ids["orders_shipmentline"] += 1
                    shipment_line_id = ids["orders_shipmentline"]
                    rows["shipmentline"].append(
                        (shipment_line_id, shipment_id, line_id, drug_id, lot, lot, expiry, quantity, quantity, 0, "",
                         codes_per_line)
                    )  # fmt: skip
                    for _code in range(codes_per_line):
                        ids["orders_tracecode"] += 1
                        code_id = ids["orders_tracecode"]
                        code = f"8{code_id:019d}"
                        rows["tracecode"].append(  # its one hop is its first and its last
                            (code_id, code, "national", drug_id, "", lot, expiry, buyer, False, shipped, received,
                             shipped)
                        )  # fmt: skip
                        rows["custodyhop"].append(
                            (code_id, shipment_id, shipment_line_id, order_id, supplier, buyer, "accepted", shipped,
                             received)
                        )  # fmt: skip
                rows["order"].append(
                    (order_id, f"PX{placed:%Y%m%d}{order_id:010d}", buyer, supplier, "received", "bench", "", "CNY",
                     gross, tax, gross, "460000", placed, placed + timedelta(days=1), confirmed, shipped, received,
                     received, world.names[buyer], "", world.names[supplier], "", "none", "", "")
                )  # fmt: skip
                for action, before, after, moment in (
                    ("place", "", "placed", placed),
                    ("confirm", "placed", "confirmed", confirmed),
                    ("ship", "confirmed", "shipped", shipped),
                    ("receive", "shipped", "received", received),
                ):
                    rows["orderevent"].append((order_id, action, before, after, "bench", "", "{}", moment))
                    ids["pharmex_auditevent"] += 1
                    sequence += 1
                    event = AuditEvent(
                        id=ids["pharmex_auditevent"],
                        sequence=sequence,
                        occurred_at=moment.astimezone(UTC),
                        actor_type="user",
                        actor_user_id=None,
                        actor_api_key_id=None,
                        actor_label="bench",
                        organization_id=supplier if action in ("confirm", "ship") else buyer,
                        action=f"order.{after}",
                        object_type="order",
                        object_id=str(order_id),
                        changes={"status": [before, after]},
                        request_id=None,
                    )
                    event.hash = chain_hash(previous, event)
                    rows["audit"].append(
                        (event.id, event.occurred_at, "user", None, None, "bench", event.organization_id, event.action,
                         "order", event.object_id, json.dumps(event.changes), None, sequence, previous, event.hash)
                    )  # fmt: skip
                    previous = event.hash
                yy = placed.year % 100
                rows["shipment"].append(
                    (shipment_id, order_id, 1, supplier, buyer, "received", "顺丰速运", f"SF{shipment_id:012d}",
                     [f"{yy:02d}461{shipment_id:015d}"], gross, gross, gross, "", "bench", shipped, "bench", received,
                     received)
                )  # fmt: skip
                rows["shipmentevent"].append(
                    (shipment_id, "receive", "in_transit", "received", "bench", "", "{}", received)
                )
                # The ledger as receipt writes it: receivable and receipt entry at receipt.
                ids["settlements_journalentry"] += 1
                entry_id = ids["settlements_journalentry"]
                commission = (gross * RATE).quantize(CENT, ROUND_HALF_UP)
                rows["entry"].append((entry_id, "receipt", "order", str(order_id), "", "bench", received))
                rows["posting"] += [
                    (entry_id, world.accounts[buyer], gross, "CNY", order_id),
                    (entry_id, world.accounts[supplier], -gross, "CNY", order_id),
                    (entry_id, world.accounts[supplier], commission, "CNY", order_id),
                    (entry_id, world.revenue, -commission, "CNY", order_id),
                ]
                ids["settlements_receivable"] += 1
                receivable = [
                    ids["settlements_receivable"],
                    order_id,
                    buyer,
                    supplier,
                    gross,
                    commission,
                    received,
                    entry_id,
                ]
                paid_by_buyer.setdefault(buyer, []).append(receivable)
            # Payments: every 10 orders of a buyer in the month, paid a day after the last of them was received.
            for buyer, items in paid_by_buyer.items():
                items.sort(key=lambda r: r[6])
                for first in range(0, len(items), ORDERS_PER_PAYMENT):
                    chunk = items[first : first + ORDERS_PER_PAYMENT]
                    paid = chunk[-1][6] + timedelta(days=1)
                    amount = sum(r[4] for r in chunk)
                    ids["settlements_journalentry"] += 1
                    ids["settlements_payment"] += 1
                    entry_id, payment_id = ids["settlements_journalentry"], ids["settlements_payment"]
                    rows["entry"].append((entry_id, "payment", "payment", str(payment_id), "", "bench", paid))
                    rows["posting"] += [
                        (entry_id, world.bank, amount, "CNY", None),
                        (entry_id, world.accounts[buyer], -amount, "CNY", None),
                    ]
                    rows["payment"].append(
                        (
                            payment_id,
                            buyer,
                            amount,
                            "CNY",
                            "",
                            paid.date(),
                            "manual",
                            Decimal("0.00"),
                            entry_id,
                            "bench",
                            paid,
                        )
                    )
                    for r in chunk:
                        rid, oid, b, s, g, c, rec, eid = r
                        rows["receivable"].append(
                            (
                                rid,
                                oid,
                                b,
                                s,
                                "CNY",
                                g,
                                c,
                                g - c,
                                RATE,
                                rec,
                                (rec + timedelta(days=30)).date(),
                                g,
                                paid,
                                eid,
                            )
                        )
                        rows["allocation"].append((rid, payment_id, g, paid))
            with transaction.atomic():
                cursor = connection.connection.cursor()
                for name, sql in COPY_SQL.items():
                    sql, defaults = with_model_defaults(sql)
                    with cursor.copy(sql) as copy:
                        for row in rows[name]:
                            copy.write_row((*row, *defaults))
            per_month[month] = orders_per_month
            if (month + 1) % 12 == 0:  # progress: a year of history
                done = (month + 1 - first_month) * orders_per_month
                rate = done / (time.perf_counter() - t0)
                print(f"    month {month}: {done:,} orders, {rate:,.0f} orders/s", flush=True)
    finally:
        with connection.cursor() as c:
            c.execute("SET session_replication_role = origin")
    verify_seeded(maxima)
    partitions_maintain()  # rows past the months created ahead went to the default partitions: their months now
    with connection.cursor() as c:
        for table, last in ids.items():
            if last:
                c.execute(f"SELECT setval('{table}_id_seq', %s)", [last])
        c.execute("VACUUM ANALYZE")
    _publish_seeded(sequence, previous)
    elapsed = time.perf_counter() - t0
    count = (last_month - first_month) * orders_per_month
    print(f"  seeded months {first_month}–{last_month - 1}: {count:,} orders in {elapsed:.1f} s")
    return per_month


def seeded_maxima() -> dict[str, int]:
    """The largest id of every table the bench COPYs into: the rows of a growth step are those above it."""
    from django.db import connection

    with connection.cursor() as c:
        maxima = {}
        for table in seeded_tables():
            c.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
            maxima[table] = c.fetchone()[0]
    return maxima


def seeded_tables() -> list[str]:
    return [sql.split()[1] for sql in COPY_SQL.values()]


def verify_seeded(before: dict[str, int]) -> None:
    """What the triggers switched off while seeding would have checked, over every row of the step at once: each
    foreign key resolves (those of partitioned tables included), each journal entry balances per currency, and no
    paid receivable falls in a period a supplier statement already settles. Raises on the first broken rule."""
    from django.db import connection

    with connection.cursor() as c:
        c.execute(
            """
            SELECT c.conrelid::regclass::text, a.attname, c.confrelid::regclass::text, af.attname
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            JOIN pg_attribute af ON af.attrelid = c.confrelid AND af.attnum = c.confkey[1]
            WHERE c.contype = 'f' AND c.conparentid = 0 AND cardinality(c.conkey) = 1
              AND c.conrelid = ANY(%s::regclass[])
            """,
            [seeded_tables()],
        )
        foreign_keys = c.fetchall()
        assert foreign_keys, "no foreign keys found on the seeded tables"
        for table, column, target, target_column in foreign_keys:
            c.execute(
                f"SELECT count(*) FROM {table} t WHERE t.id > %s AND t.{column} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {target} p WHERE p.{target_column} = t.{column})",
                [before[table]],
            )
            dangling = c.fetchone()[0]
            assert dangling == 0, f"{dangling} rows of {table}.{column} name no {target}"
        c.execute(
            "SELECT count(*) FROM (SELECT 1 FROM settlements_posting WHERE id > %s "
            "GROUP BY entry_id, currency HAVING sum(amount) <> 0) unbalanced",
            [before["settlements_posting"]],
        )
        unbalanced = c.fetchone()[0]
        assert unbalanced == 0, f"{unbalanced} seeded journal entries do not balance"
        c.execute(
            "SELECT count(*) FROM settlements_receivable r WHERE r.id > %s AND r.paid_at IS NOT NULL "
            "AND r.reversed_at IS NULL AND EXISTS (SELECT 1 FROM settlements_statement s "
            "WHERE s.supplier_id = r.supplier_id AND s.paid_from <= r.paid_at AND s.paid_to > r.paid_at)",
            [before["settlements_receivable"]],
        )
        settled = c.fetchone()[0]
        assert settled == 0, f"{settled} seeded receivables are paid inside a settled statement period"
    print(f"  verified: {len(foreign_keys)} foreign keys, ledger balance, statement periods")


def _publish_seeded(sequence: int, head: str) -> None:
    """The bench computed every hash it seeded, so the chain is intact up to its head: publish the head and a
    checkpoint there (a full verification of 16×S records would take minutes and is not what is measured)."""
    from pharmex.audit import _now_iso, _update_anchor
    from pharmex.models import AuditEvent

    if not sequence:
        return
    pk = AuditEvent.objects.get(sequence=sequence).pk
    verified = {"sequence": sequence, "id": pk, "hash": head, "verified_at": _now_iso()}
    _update_anchor(sequence=sequence, hash=head, published_at=_now_iso(), verified=verified)


def with_model_defaults(sql: str) -> tuple[str, tuple]:
    """The COPY statement with every column it leaves out that its model gives a default (columns added after this
    bench was written: Hainan snapshots, line confirmation, …), and those defaults, so seeding keeps working as the
    schema grows. A column without a default the bench must name itself; COPY then fails on it, as it should."""
    from django.apps import apps
    from django.db.models import JSONField
    from psycopg.types.json import Jsonb

    head, _, tail = sql.partition("(")
    table = head.split()[1]
    listed = {column.strip() for column in tail.partition(")")[0].split(",")}
    model = next(m for m in apps.get_models() if m._meta.db_table == table)
    extra = [
        f
        for f in model._meta.concrete_fields
        if f.column not in listed
        and not f.primary_key
        and (f.has_default() or (not f.null and f.empty_strings_allowed))
    ]
    if not extra:
        return sql, ()
    columns = ", ".join(f.column for f in extra)
    values = tuple(Jsonb(f.get_default()) if isinstance(f, JSONField) else f.get_default() for f in extra)
    return sql.replace(") FROM STDIN", f", {columns}) FROM STDIN", 1), values


COPY_SQL = {
    "order": (
        "COPY orders_order (id, number, buyer_id, supplier_id, status, placed_by, note, currency, total_gross, "
        "total_tax, accepted_gross, buyer_province, placed_at, expires_at, confirmed_at, shipped_at, received_at, "
        "updated_at, buyer_name, buyer_license_number, supplier_name, supplier_license_number, hold_status, "
        "hold_reason, hold_note) FROM STDIN"
    ),
    "orderline": (
        "COPY orders_orderline (id, order_id, line_no, offer_id, drug_id, drug_name, brand_name, dosage_form, "
        "specification, package, manufacturer_name, mah_name, approval_number, sale_unit, unit_price, vat_rate, "
        "quantity, line_gross, line_tax, shipped_quantity, accepted_quantity, rejected_quantity, closed_quantity, "
        "rejection_reason) FROM STDIN"
    ),
    "orderevent": (
        "COPY orders_orderevent (order_id, action, from_status, to_status, actor, note, data, created_at) FROM STDIN"
    ),
    "shipment": (
        "COPY orders_shipment (id, order_id, sequence, supplier_id, buyer_id, status, carrier, tracking_number, "
        "invoice_numbers, invoice_amount, gross, accepted_gross, temperature_flag, shipped_by, created_at, "
        "received_by, received_at, updated_at) FROM STDIN"
    ),
    "shipmentline": (
        "COPY orders_shipmentline (id, shipment_id, order_line_id, drug_id, lot_number, lot_key, expiry_date, "
        "quantity, accepted_quantity, rejected_quantity, rejection_reason, code_count) FROM STDIN"
    ),
    "shipmentevent": (
        "COPY orders_shipmentevent (shipment_id, action, from_status, to_status, actor, note, data, created_at) "
        "FROM STDIN"
    ),
    "tracecode": (
        "COPY orders_tracecode (id, code, kind, drug_id, gtin, lot_number, expiry_date, holder_id, is_case, "
        "created_at, updated_at, last_hop_at) FROM STDIN"
    ),
    "custodyhop": (
        "COPY orders_custodyhop (code_id, shipment_id, shipment_line_id, order_id, from_organization_id, "
        "to_organization_id, outcome, shipped_at, settled_at) FROM STDIN"
    ),
    "audit": (
        "COPY pharmex_auditevent (id, occurred_at, actor_type, actor_user_id, actor_api_key_id, actor_label, "
        "organization_id, action, object_type, object_id, changes, request_id, sequence, previous_hash, hash) "
        "FROM STDIN"
    ),
    "entry": (
        "COPY settlements_journalentry (id, kind, source_type, source_id, memo, created_by, created_at) FROM STDIN"
    ),
    "posting": "COPY settlements_posting (entry_id, account_id, amount, currency, order_id) FROM STDIN",
    "payment": (
        "COPY settlements_payment (id, buyer_id, amount, currency, reference, value_date, source, unallocated, "
        "entry_id, recorded_by, created_at) FROM STDIN"
    ),
    "receivable": (
        "COPY settlements_receivable (id, order_id, buyer_id, supplier_id, currency, gross, commission, net, "
        "commission_rate, received_at, due_date, allocated, paid_at, entry_id) FROM STDIN"
    ),
    "allocation": ("COPY settlements_paymentallocation (receivable_id, payment_id, amount, created_at) FROM STDIN"),
}


# --- measurements -----------------------------------------------------------------------------------------------


def machine_busy(interval: float = 0.5) -> float:
    def sample() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(values), values[3] + values[4]

    total, idle = sample()
    time.sleep(interval)
    total2, idle2 = sample()
    return 1 - (idle2 - idle) / max(1, total2 - total)


def wait_quiet(timeout: float = 120) -> None:
    if QUIET_LIMIT >= 1:
        return
    deadline, calm = time.monotonic() + timeout, 0
    while time.monotonic() < deadline and calm < 2:
        calm = calm + 1 if machine_busy() < QUIET_LIMIT else 0


@dataclass
class Result:
    service: float
    floor: float
    unit: str
    throughput: bool = False  # a rate (bigger = better): ratio = service ÷ floor of the rate

    @property
    def ratio(self) -> float:
        return self.service / self.floor


def interleaved(service, floor, reps: int = REPS) -> tuple[float, float]:
    """Medians of `reps` runs of each, alternating which goes first; the first repetition only warms up."""
    s, f = [], []
    for rep in range(reps):
        wait_quiet()
        for step, into in ((service, s), (floor, f)) if rep % 2 == 0 else ((floor, f), (service, s)):
            into.append(step())
    keep = slice(1, None) if reps > 1 else slice(None)
    return statistics.median(s[keep]), statistics.median(f[keep])


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


class Measure:
    def __init__(self, world: World, newest_month: int, orders_in_month: int, reps: int):
        from accounts.actor import actor_for_user
        from accounts.models import User

        self.world, self.newest_month, self.orders_in_month, self.reps = world, newest_month, orders_in_month, reps
        self.busy_user = User.objects.get(pk=world.busy_user_id)
        self.buyer_actor = actor_for_user(self.busy_user)
        self.supplier_actor = actor_for_user(User.objects.get(pk=world.supplier_user_id))
        from orders.models import Shipment

        self.rng = random.Random(7)
        self.invoice = Shipment.objects.count()  # invoice numbers never repeat across sizes

    # placement ---------------------------------------------------------------------------------------------
    def placement(self) -> Result:
        from orders.compliance import LineRequest
        from orders.services.placement import order_place

        supplier = self.world.suppliers[0]
        offers = self.world.offers[supplier]

        def lines() -> list[tuple[int, int]]:
            return sorted((offer_id, self.rng.randint(1, 3)) for offer_id, _ in self.rng.sample(offers, 3))

        def service() -> float:
            t0 = time.perf_counter()
            for _ in range(N_PLACE):
                order_place(actor=self.buyer_actor, lines=[LineRequest(o, q) for o, q in lines()])
            return N_PLACE / (time.perf_counter() - t0)

        def floor() -> float:
            t0 = time.perf_counter()
            for _ in range(N_PLACE):
                floor_place(buyer=self.world.buyers[0], supplier=supplier, offers=dict(offers), lines=lines())
            return N_PLACE / (time.perf_counter() - t0)

        s, f = interleaved(service, floor, self.reps)
        return Result(s, f, "orders/s", throughput=True)

    # order list and detail ------------------------------------------------------------------------------------
    def _client(self):
        from rest_framework.test import APIClient

        client = APIClient(HTTP_HOST="localhost")  # in ALLOWED_HOSTS by default
        client.force_authenticate(user=self.busy_user)
        return client

    def order_list(self) -> Result:
        from django.db import connection

        client, buyer = self._client(), self.world.buyers[0]

        def service() -> float:
            t0 = time.perf_counter()
            for _ in range(N_READS):
                response = client.get("/api/v1/orders/")
                assert response.status_code == 200, response.content[:300]
            return (time.perf_counter() - t0) / N_READS * 1000

        def floor() -> float:
            t0 = time.perf_counter()
            with connection.cursor() as c:
                for _ in range(N_READS):
                    c.execute("SELECT max(id) FROM orders_order WHERE buyer_id = %s", [buyer])
                    (top,) = c.fetchone()
                    c.execute(
                        "SELECT * FROM orders_order WHERE buyer_id = %s AND id <= %s ORDER BY id DESC LIMIT 50",
                        [buyer, top],
                    )
                    page = c.fetchall()
                    c.execute("SELECT * FROM orders_orderline WHERE order_id = ANY(%s)", [[row[0] for row in page]])
                    c.fetchall()
            return (time.perf_counter() - t0) / N_READS * 1000

        s, f = interleaved(service, floor, self.reps)
        return Result(s, f, "ms")

    def order_detail(self) -> Result:
        from django.db import connection

        from orders.models import Order

        client = self._client()
        ids = list(Order.objects.filter(buyer_id=self.world.buyers[0]).values_list("pk", flat=True))
        sample = [self.rng.choice(ids) for _ in range(N_READS)]

        def service() -> float:
            t0 = time.perf_counter()
            for pk in sample:
                response = client.get(f"/api/v1/orders/{pk}/")
                assert response.status_code == 200, response.content[:300]
            return (time.perf_counter() - t0) / N_READS * 1000

        def floor() -> float:
            t0 = time.perf_counter()
            with connection.cursor() as c:
                for pk in sample:
                    c.execute("SELECT * FROM orders_order WHERE id = %s", [pk])
                    c.fetchall()
                    c.execute("SELECT * FROM orders_orderline WHERE order_id = %s ORDER BY line_no", [pk])
                    c.fetchall()
            return (time.perf_counter() - t0) / N_READS * 1000

        s, f = interleaved(service, floor, self.reps)
        return Result(s, f, "ms")

    # trace lookup -----------------------------------------------------------------------------------------------
    def trace_lookup(self) -> Result:
        from django.db import connection

        from orders.selectors import trace_get
        from pharmex.actor import SYSTEM_ACTOR

        with connection.cursor() as c:
            c.execute("SELECT max(id) FROM orders_tracecode")
            (top,) = c.fetchone()

        def sample() -> list[str]:
            """Codes from anywhere in history (picked by id, untimed)."""
            with connection.cursor() as c:
                c.execute(
                    "SELECT code FROM orders_tracecode WHERE id = ANY(%s)",
                    [[self.rng.randint(1, top) for _ in range(N_TRACE)]],
                )
                return [row[0] for row in c.fetchall()]

        def service() -> float:
            times = []
            for code in sample():
                t0 = time.perf_counter()
                trace = trace_get(actor=SYSTEM_ACTOR, code=code)
                assert trace.hops
                times.append(time.perf_counter() - t0)
            return p95(times) * 1000

        def floor() -> float:
            times = []
            with connection.cursor() as c:
                for code in sample():
                    t0 = time.perf_counter()
                    c.execute("SELECT * FROM orders_tracecode WHERE code = %s", [code])
                    (row,) = c.fetchall()
                    columns = [column.name for column in c.description]
                    known_from, last_hop = row[columns.index("created_at")], row[columns.index("last_hop_at")]
                    # The partition key bounds the hops as the service bounds them (orders.selectors.trace_get).
                    c.execute(
                        "SELECT * FROM orders_custodyhop WHERE code_id = %s AND shipped_at >= %s "
                        "AND shipped_at <= %s ORDER BY id",
                        [row[0], known_from, last_hop],
                    )
                    assert c.fetchall()
                    times.append(time.perf_counter() - t0)
            return p95(times) * 1000

        s, f = interleaved(service, floor, self.reps)
        return Result(s, f, "ms p95")

    # shipping 1,000 codes -------------------------------------------------------------------------------------------
    def shipping(self) -> Result:
        from django.db import connection, transaction

        from orders.compliance import LineRequest
        from orders.models import Order
        from orders.services.lifecycle import order_confirm
        from orders.services.placement import order_place
        from orders.services.shipping import order_ship

        supplier = self.world.suppliers[0]
        offer_id, _drug = self.world.offers[supplier][0]
        counter = {"code": SHIP_CODE_BASE + self._shipped_codes()}

        def codes() -> list[str]:
            first = counter["code"]
            counter["code"] += SHIP_CODES
            return [f"8{n:019d}" for n in range(first, first + SHIP_CODES)]

        def confirmed_order() -> Order:
            order = order_place(actor=self.buyer_actor, lines=[LineRequest(offer_id, SHIP_CODES)])
            return order_confirm(order=order, actor=self.supplier_actor)

        def service() -> float:
            order = confirmed_order()  # untimed
            line = order.lines.get()
            self.invoice += 1
            data = {
                "carrier": "顺丰速运",
                "tracking_number": "SF0000000001",
                "invoice_numbers": [f"2646{self.invoice + 10**14 * 3:016d}"],
                "invoice_amount": line.line_gross,
                "lines": [
                    {
                        "order_line_id": line.pk,
                        "lot_number": "L2026G",
                        "quantity": SHIP_CODES,
                        "expiry_date": date.today() + timedelta(days=700),
                        "trace_codes": codes(),
                    }
                ],
            }
            t0 = time.perf_counter()
            order_ship(order=order, actor=self.supplier_actor, data=data)
            return (time.perf_counter() - t0) * 1000

        def floor() -> float:
            order = confirmed_order()  # untimed: the floor writes the same rows for an order of its own
            line = order.lines.get()
            batch = codes()
            t0 = time.perf_counter()
            with transaction.atomic(), connection.cursor() as c:
                c.execute(
                    "INSERT INTO orders_shipment (order_id, sequence, supplier_id, buyer_id, status, carrier, "
                    "tracking_number, invoice_numbers, invoice_amount, gross, temperature_flag, shipped_by, "
                    "created_at, received_by, updated_at) VALUES (%s, 1, %s, %s, 'in_transit', '顺丰速运', "
                    "'SF0000000001', %s, %s, %s, '', 'floor', now(), '', now()) RETURNING id",
                    [order.pk, supplier, order.buyer_id, ["x"], line.line_gross, line.line_gross],
                )
                (shipment_id,) = c.fetchone()
                c.execute(
                    "INSERT INTO orders_shipmentline (shipment_id, order_line_id, drug_id, lot_number, lot_key, "
                    "expiry_date, quantity, accepted_quantity, rejected_quantity, rejection_reason, code_count) "
                    "VALUES (%s, %s, %s, 'L2026G', 'L2026G', %s, %s, 0, 0, '', %s) RETURNING id",
                    [shipment_id, line.pk, line.drug_id, date.today() + timedelta(days=700), SHIP_CODES, SHIP_CODES],
                )
                (shipment_line_id,) = c.fetchone()
                c.execute(
                    "INSERT INTO orders_tracecode (code, kind, drug_id, gtin, lot_number, expiry_date, holder_id, "
                    "shipment_id, is_case, created_at, updated_at, last_hop_at) SELECT code, 'national', %s, '', "
                    "'L2026G', %s, %s, %s, false, now(), now(), now() FROM unnest(%s::text[]) AS code RETURNING id",
                    [line.drug_id, date.today() + timedelta(days=700), supplier, shipment_id, batch],
                )
                code_ids = [row[0] for row in c.fetchall()]
                c.execute(
                    "INSERT INTO orders_custodyhop (code_id, shipment_id, shipment_line_id, order_id, "
                    "from_organization_id, to_organization_id, outcome, shipped_at) SELECT code_id, %s, %s, %s, %s, "
                    "%s, 'in_transit', now() FROM unnest(%s::bigint[]) AS code_id",
                    [shipment_id, shipment_line_id, order.pk, supplier, order.buyer_id, code_ids],
                )
            return (time.perf_counter() - t0) * 1000

        s, f = interleaved(service, floor, self.reps)
        return Result(s, f, "ms")

    def _shipped_codes(self) -> int:
        from orders.models import TraceCode

        return TraceCode.objects.filter(code__gte=f"8{SHIP_CODE_BASE:019d}").count()

    # a month's statements -------------------------------------------------------------------------------------------
    def statements(self) -> Result:
        from django.db import connection

        from pharmex.actor import SYSTEM_ACTOR
        from settlements.services import statement_generate

        start = month_start(self.newest_month)
        end = month_start(self.newest_month + 1)
        window = [start, end]

        def service() -> float:
            with connection.cursor() as c:
                c.execute("TRUNCATE settlements_statement CASCADE")  # the bench database only
            t0 = time.perf_counter()
            statements = statement_generate(
                period_kind="month", day=start.date(), actor=SYSTEM_ACTOR, today=end.date() + timedelta(days=1)
            )
            elapsed = time.perf_counter() - t0
            assert sum(s.line_count for s in statements) == self.orders_in_month
            return elapsed * 1000

        def floor() -> float:
            with connection.cursor() as c:
                t0 = time.perf_counter()
                c.execute(
                    "SELECT supplier_id, count(*), sum(gross), sum(commission) FROM settlements_receivable "
                    "WHERE paid_at >= %s AND paid_at < %s AND reversed_at IS NULL GROUP BY supplier_id",
                    window,
                )
                assert sum(row[1] for row in c.fetchall()) == self.orders_in_month
                return (time.perf_counter() - t0) * 1000

        s, f = interleaved(service, floor, self.reps)
        return Result(s, f, "ms")

    # audit verification since the checkpoint ------------------------------------------------------------------------
    def audit_verification(self) -> Result:
        from django.db import transaction

        from pharmex.audit import SYSTEM, _update_anchor, audit_record, chain_hash, seal_audit_chain, verify_audit_chain
        from pharmex.models import AuditEvent

        seal_audit_chain()
        head = AuditEvent.objects.filter(sequence__isnull=False).order_by("-sequence").first()
        checkpoint = {"sequence": head.sequence, "id": head.pk, "hash": head.hash, "verified_at": "bench"}
        with transaction.atomic():
            for n in range(AUDIT_NEW):
                audit_record(actor=SYSTEM, action="bench.growth", object_type="bench", object_id=n, changes={"n": n})
        seal_audit_chain()

        def service() -> float:
            _update_anchor(verified=checkpoint)  # back to "verified up to before the new records"
            t0 = time.perf_counter()
            report = verify_audit_chain()
            elapsed = time.perf_counter() - t0
            assert report.intact and report.checked == AUDIT_NEW, report
            return elapsed * 1000

        def floor() -> float:
            t0 = time.perf_counter()
            previous, checked = checkpoint["hash"], 0
            for event in AuditEvent.objects.filter(sequence__gt=checkpoint["sequence"]).order_by("sequence"):
                assert chain_hash(previous, event) == event.hash
                previous, checked = event.hash, checked + 1
            assert checked == AUDIT_NEW
            return (time.perf_counter() - t0) * 1000

        s, f = interleaved(service, floor, self.reps)
        return Result(s, f, "ms")

    # GSP records export ----------------------------------------------------------------------------------------------
    def gsp_export(self) -> Result:
        """The busy buyer's GSP purchase records of one month (the newest), as the export streams them
        (records.selectors → pharmex/exports.csv_stream), vs a floor of the same rows: the records' SELECT written
        by csv_stream as it comes, without turning each row into a record."""
        from pharmex.calendar import local_days
        from pharmex.exports import csv_stream
        from records.selectors import PURCHASE, RECORD_FIELDS, received_lines, record_rows, records

        organization = self.buyer_actor.organization
        first = month_start(self.newest_month).date()
        last = month_start(self.newest_month + 1).date() - timedelta(days=1)
        start, end = local_days(first, last)

        def service() -> float:
            t0 = time.perf_counter()
            rows = record_rows(records(organization=organization, kind=PURCHASE, first_day=first, last_day=last))
            size = sum(len(chunk) for chunk in csv_stream(RECORD_FIELDS, rows))
            elapsed = time.perf_counter() - t0
            assert size > 0
            return elapsed * 1000

        def floor() -> float:
            t0 = time.perf_counter()
            lines = received_lines(organization=organization, kind=PURCHASE, start=start, end=end)
            rows = (list(row.values()) for row in lines.iterator(chunk_size=2000))
            size = sum(len(chunk) for chunk in csv_stream(RECORD_FIELDS, rows))
            elapsed = time.perf_counter() - t0
            assert size > 0
            return elapsed * 1000

        s, f = interleaved(service, floor, self.reps)
        return Result(s, f, "ms")

    def all(self) -> dict[str, Result | None]:
        return {
            "placement": self.placement(),
            "order list": self.order_list(),
            "order detail": self.order_detail(),
            "trace lookup p95": self.trace_lookup(),
            "ship 1,000 codes": self.shipping(),
            "month statements": self.statements(),
            "audit verify (new)": self.audit_verification(),
            "GSP export (month)": self.gsp_export(),
        }


def floor_place(*, buyer: int, supplier: int, offers: dict[int, int], lines: list[tuple[int, int]]) -> int:
    """bench/floor_orders.py's writes, in-process: the stock updates, the order and its lines, nothing else."""
    from django.db import connection, transaction
    from django.db.models import F
    from django.utils import timezone

    from catalog.models import Offer
    from orders.models import Order, OrderLine

    now = timezone.now()
    with transaction.atomic():
        for offer_id, quantity in lines:
            updated = Offer.objects.filter(pk=offer_id, stock__gte=quantity).update(stock=F("stock") - quantity)
            assert updated == 1
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval('orders_order_number_seq')")
            (number,) = cursor.fetchone()
        order = Order.objects.create(
            number=f"FL{number:016d}",
            buyer_id=buyer,
            supplier_id=supplier,
            placed_by="floor",
            total_gross=0,
            total_tax=0,
            buyer_province="460000",
            expires_at=now + timedelta(1),
        )
        OrderLine.objects.bulk_create([
            OrderLine(order=order, line_no=n, offer_id=offer_id, drug_id=offers[offer_id], drug_name="floor",
                      specification="", package="", sale_unit="盒", unit_price=1, vat_rate=0, quantity=quantity,
                      line_gross=quantity, line_tax=0)
            for n, (offer_id, quantity) in enumerate(lines, 1)
        ])  # fmt: skip
    return order.pk


# --- report -------------------------------------------------------------------------------------------------------


def table(results: dict[int, dict[str, Result | None]]) -> str:
    """Ratios per size and their flatness, then what each side's own cost did: a ratio that is not flat may be a
    service that grew or a floor that did while the service stayed."""
    sizes = sorted(results)
    names = list(results[sizes[0]])
    span = f"{sizes[-1]}×S ÷ {sizes[0]}×S"
    head = [
        "operation",
        *[f"{k}×S ratio" for k in sizes],
        f"flatness ({span})",
        f"service cost ({span})",
        f"floor cost ({span})",
        f"service / floor at {sizes[-1]}×S",
    ]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in names:
        first, last = results[sizes[0]][name], results[sizes[-1]][name]
        if first is None:
            out.append(f"| {name} | " + " | ".join("not measured" for _ in sizes) + " | – | – | – | – |")
            continue
        ratios = [f"{results[k][name].ratio:.2f}×" for k in sizes]
        flat = last.ratio / first.ratio
        service, floor = cost_growth(first.service, last.service, first), cost_growth(first.floor, last.floor, first)
        detail = f"{last.service:.2f} / {last.floor:.2f} {last.unit}"
        out.append(f"| {name} | " + " | ".join(ratios) + f" | {flat:.2f} | {service:.2f} | {floor:.2f} | {detail} |")
    return "\n".join(out)


def cost_growth(first: float, last: float, result: Result) -> float:
    """How much dearer the operation got (above 1: dearer), a time's growth or a rate's fall alike."""
    return first / last if result.throughput else last / first


def chart(results: dict[int, dict[str, Result | None]], path: Path, title: str) -> None:
    """Each ratio ÷ its value at S, against history size (log scale); the ±10 % band is 'flat'. Pillow only."""
    import math

    from PIL import Image, ImageDraw, ImageFont

    sizes = sorted(results)
    names = [n for n, r in results[sizes[0]].items() if r is not None]
    series = {n: [results[k][n].ratio / results[sizes[0]][n].ratio for k in sizes] for n in names}
    values = [v for s in series.values() for v in s] + [0.9, 1.1]
    low, high = min(0.8, min(values) * 0.95), max(1.2, max(values) * 1.05)
    width, height, left, right, top, bottom = 900, 560, 70, 250, 50, 60
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()

    def xy(size: int, value: float) -> tuple[float, float]:
        span = math.log(sizes[-1] / sizes[0]) or 1
        x = left + (width - left - right) * math.log(size / sizes[0]) / span
        y = top + (height - top - bottom) * (high - value) / (high - low)
        return x, y

    band = [xy(sizes[0], 1.1), xy(sizes[-1], 0.9)]
    draw.rectangle([band[0], band[1]], fill=(225, 245, 225))
    draw.rectangle([left, top, width - right, height - bottom], outline="black")
    step = 0.1 if high - low < 1.5 else 0.5 if high - low < 6 else 1.0
    for tick in range(int(low / step), int(high / step) + 1):
        value = tick * step
        if low <= value <= high:
            _, y = xy(sizes[0], value)
            draw.line([left - 5, y, left, y], fill="black")
            draw.text((left - 40, y - 6), f"{value:.1f}", fill="black", font=font)
    for size in sizes:
        x, _ = xy(size, low)
        draw.line([x, height - bottom, x, height - bottom + 5], fill="black")
        draw.text((x - 10, height - bottom + 8), f"{size}xS", fill="black", font=font)
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]
    for index, (name, points) in enumerate(series.items()):
        colour = colours[index % len(colours)]
        coordinates = [xy(size, value) for size, value in zip(sizes, points, strict=True)]
        draw.line(coordinates, fill=colour, width=3)
        for x, y in coordinates:
            draw.ellipse([x - 4, y - 4, x + 4, y + 4], fill=colour)
        ly = top + 10 + index * 18
        draw.line([width - right + 15, ly + 6, width - right + 40, ly + 6], fill=colour, width=3)
        draw.text((width - right + 45, ly), name, fill="black", font=font)
    draw.text((left, 15), title, fill="black", font=font)
    legend = "ratio to floor / ratio at S (1.0 = flat; green: within 10 %)"
    draw.text((left, height - 25), legend, fill="black", font=font)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)


def measure_only(*, base: int, size: int, reps: int) -> dict:
    """Measure again at the size an earlier full run left the database at (code changed since): no seeding."""
    orders_per_month = max(1, round(base / LINES_PER_ORDER / 12))
    world = load_world()
    sequence, head = chain_head()
    _publish_seeded(sequence, head)  # the earlier run verified and published this chain; this process's anchor
    measure = Measure(world, newest_month=12 * size - 1, orders_in_month=orders_per_month, reps=reps)
    results = {size: measure.all()}
    report(results[size])
    return results


def side_by_side(*, base: int, databases: dict[int, str], rounds: int) -> tuple[dict, dict[str, list[float]]]:
    """Measure the databases earlier runs left at two sizes in turns, round after round (each a --measure-only run
    of its own), so that the machine's drift between two moments falls on both sizes alike: the flatness of each
    round compares two measurements minutes apart, not a seeding's hour apart. Returns each side's median over the
    rounds and each round's flatness."""
    sizes = sorted(databases)
    rounds_measured: list[dict[int, dict[str, Result | None]]] = []
    for index in range(rounds):
        measured = {}
        for size in sizes if index % 2 == 0 else sizes[::-1]:
            print(f"round {index + 1}/{rounds}: {size}×S", flush=True)
            with tempfile.TemporaryDirectory() as scratch:
                out = Path(scratch) / "measured.json"
                command = [sys.executable, __file__, "--base", str(base), "--measure-only", str(size), "--out", out]
                subprocess.run(command, env={**os.environ, "BENCH_DATABASE_URL": databases[size]}, check=True)
                measured[size] = load_results(out, base)[size]
        rounds_measured.append(measured)
    return combine_rounds(rounds_measured)


def combine_rounds(rounds_measured: list[dict[int, dict[str, Result | None]]]) -> tuple[dict, dict[str, list[float]]]:
    """Each side's median over the rounds, per size and operation, and each round's flatness (largest size's
    ratio ÷ smallest's, both of that round)."""
    sizes = sorted(rounds_measured[0])
    first, last = sizes[0], sizes[-1]
    names = [name for name, result in rounds_measured[0][first].items() if result is not None]
    flatness = {
        name: [measured[last][name].ratio / measured[first][name].ratio for measured in rounds_measured]
        for name in names
    }
    medians = {
        size: {
            name: Result(
                statistics.median(measured[size][name].service for measured in rounds_measured),
                statistics.median(measured[size][name].floor for measured in rounds_measured),
                rounds_measured[0][size][name].unit,
                rounds_measured[0][size][name].throughput,
            )
            for name in names
        }
        for size in sizes
    }
    return medians, flatness


def flatness_table(flatness: dict[str, list[float]]) -> str:
    rounds = len(next(iter(flatness.values())))
    head = ["operation", *[f"round {index + 1}" for index in range(rounds)], "median"]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, values in flatness.items():
        cells = [f"{value:.2f}" for value in values] + [f"{statistics.median(values):.2f}"]
        out.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def report(by_name: dict[str, Result | None]) -> None:
    for name, result in by_name.items():
        if result is not None:
            numbers = f"service {result.service:.2f}, floor {result.floor:.2f} {result.unit}"
            print(f"  {name}: {numbers}, ratio {result.ratio:.2f}×")


def run(*, base: int, sizes: list[int], codes_per_line: int, reps: int, recreate: bool = True) -> dict:
    """Seed, grow and measure; returns {size: {operation: Result | None}}. Django must be set up."""
    orders_per_month = max(1, round(base / LINES_PER_ORDER / 12))
    world = build_world()
    results: dict[int, dict[str, Result | None]] = {}
    seeded_months = 0
    for size in sorted(sizes):
        months = 12 * size
        print(f"size {size}×S = {months * orders_per_month * LINES_PER_ORDER:,} order lines ({months} months)")
        seed_months(world, seeded_months, months, orders_per_month, codes_per_line)
        seeded_months = months
        measure = Measure(world, newest_month=months - 1, orders_in_month=orders_per_month, reps=reps)
        results[size] = measure.all()
        report(results[size])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--base", type=int, default=1_000_000, help="S: order lines at the first size")
    parser.add_argument("--sizes", default="1,4,16", help="multiples of S, grown in this order")
    parser.add_argument("--codes-per-line", type=int, default=1, help="trace codes (and hops) per order line")
    parser.add_argument(
        "--report",
        nargs="+",
        metavar="JSON",
        help="no database: the table and chart of result files of one --base (a later file's sizes win)",
    )
    parser.add_argument(
        "--measure-only",
        type=int,
        metavar="SIZE",
        help="no seeding: measure again on the database an earlier run (same --base) left at SIZE×S",
    )
    parser.add_argument(
        "--side-by-side",
        nargs=2,
        metavar="SIZE=URL",
        help="no seeding: measure two databases earlier runs left at two sizes (e.g. 1=postgres://…/growth1 "
        "16=postgres://…/growth16) in turns, --rounds times",
    )
    parser.add_argument("--rounds", type=int, default=3, help="with --side-by-side: rounds of both sizes")
    parser.add_argument("--out", type=Path, help="with --measure-only: the numbers' file (default bench/results/…)")
    args = parser.parse_args()
    if args.report:
        report_files(args.base, [Path(name) for name in args.report])
        return
    if args.side_by_side:
        report_side_by_side(args.base, dict(pair.split("=", 1) for pair in args.side_by_side), args.rounds)
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    setup_environment(DATABASE_URL)
    if args.measure_only is None:
        recreate_database(DATABASE_URL)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if args.measure_only is None:
        results = run(base=args.base, sizes=sizes, codes_per_line=args.codes_per_line, reps=REPS)
        sized = "" if sizes == [1, 4, 16] else "-sizes-" + "-".join(map(str, sizes))  # never overwrites the full run's
        stem = RESULTS / f"growth-S{args.base}{sized}"
    else:
        results = measure_only(base=args.base, size=args.measure_only, reps=REPS)
        stem = RESULTS / f"growth-S{args.base}-remeasured-{args.measure_only}xS"
    print()
    print(f"Growth curves, S = {args.base:,} order lines, {REPS} repetitions ({time.perf_counter() - started:.0f} s)")
    print(table(results))
    if args.measure_only is None:
        chart(results, stem.with_suffix(".png"), f"PharmEx growth curves, S = {args.base:,} order lines")
    numbers = args.out or stem.with_suffix(".json")
    numbers.write_text(results_json(results, base=args.base))
    print(f"numbers: {numbers}")
    anchor = Path(os.environ["AUDIT_ANCHOR_PATH"])
    for leftover in (anchor, anchor.with_name(anchor.name + ".lock")):
        leftover.unlink(missing_ok=True)  # the anchor of a database this run created and leaves behind


def results_json(results: dict[int, dict[str, Result | None]], *, base: int) -> str:
    raw = {
        str(size): {name: r and {**r.__dict__, "ratio": r.ratio} for name, r in by_name.items()}
        for size, by_name in results.items()
    }
    return json.dumps({"base": base, "reps": REPS, "results": raw}, indent=1)


def report_files(base: int, paths: list[Path]) -> None:
    """One table and chart from several runs' JSON (e.g. S and 4×S from a fresh run, 16×S measured again on the
    database a full run grew): growth-S<base>-report.png beside the last file."""
    results: dict[int, dict[str, Result | None]] = {}
    for path in paths:
        results.update(load_results(path, base))
    print(table(results))
    stem = paths[-1].parent / f"growth-S{base}-report"
    chart(results, stem.with_suffix(".png"), f"PharmEx growth curves, S = {base:,} order lines")
    print(f"chart: {stem.with_suffix('.png')}")


def report_side_by_side(base: int, databases: dict[str, str], rounds: int) -> None:
    started = time.perf_counter()
    results, flatness = side_by_side(base=base, databases={int(k): url for k, url in databases.items()}, rounds=rounds)
    sizes = "-".join(str(size) for size in sorted(results))
    stem = RESULTS / f"growth-S{base}-side-by-side-{sizes}"
    print(f"\nSide by side, S = {base:,} order lines, {rounds} rounds ({time.perf_counter() - started:.0f} s)")
    print("Medians over the rounds:")
    print(table(results))
    print("\nFlatness of each round (the larger size's ratio ÷ the smaller's, measured minutes apart):")
    print(flatness_table(flatness))
    chart(results, stem.with_suffix(".png"), f"PharmEx growth curves side by side, S = {base:,} order lines")
    raw = json.loads(results_json(results, base=base))
    stem.with_suffix(".json").write_text(json.dumps({**raw, "rounds": rounds, "flatness": flatness}, indent=1))
    print(f"numbers: {stem.with_suffix('.json')}, chart: {stem.with_suffix('.png')}")


def load_results(path: Path, base: int) -> dict[int, dict[str, Result | None]]:
    data = json.loads(path.read_text())
    assert data["base"] == base, f"{path} is a run at S = {data['base']:,}"
    return {
        int(size): {
            name: None if raw is None else Result(raw["service"], raw["floor"], raw["unit"], raw["throughput"])
            for name, raw in by_name.items()
        }
        for size, by_name in data["results"].items()
    }


if __name__ == "__main__":
    main()
