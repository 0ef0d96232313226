"""Order-placement benchmark (not a test; issue #4).

Seeds 10 suppliers × 1,000 offers and 32 licensed pharmacies, then drives POST /api/v1/orders/
(3 lines, JWT, Idempotency-Key; each request from a random pharmacy) through gunicorn with the
production settings at 32 concurrent connections for 30 s — lines spread over all 10,000 offers,
then every order hitting one hot offer — and, in the same run and server, the floor: a minimal
endpoint doing the same stock updates + order + 3 lines in one transaction with no validation
(bench/floor_orders.py). The two take turns in three 10-second slices (BENCH_SLICES), so the machine's drift
falls on both. Every slice starts after VACUUM ANALYZE; the audit sealer runs every second
throughout, as in production. Afterwards it checks that no offer oversold and that every offer's
stock taken equals the quantities on its order lines.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/pharmex_bench_orders .venv/bin/python bench/order_placement.py

Needs `wrk` (Debian package wrk). The database is dropped and re-created.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pharmex_bench_orders")
PORT = int(os.environ.get("BENCH_PORT", "8766"))
DURATION = int(os.environ.get("BENCH_SECONDS", "30"))
# Floor and PharmEx take turns in slices of DURATION / SLICES seconds, so the machine's drift (up to 15 % between
# consecutive runs on this shared machine) falls on both sides of each ratio.
SLICES = int(os.environ.get("BENCH_SLICES", "3"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
WORKERS = int(os.environ.get("BENCH_WORKERS", str(2 * (os.cpu_count() or 2) + 1)))
SUPPLIERS, OFFERS_PER_SUPPLIER, STOCK = 10, 1_000, 10_000_000
BUYERS = int(os.environ.get("BENCH_BUYERS", str(CONNECTIONS)))  # one licensed pharmacy per client
PROFILE_ORDERS = int(os.environ.get("BENCH_PROFILE_ORDERS", "400"))
PROFILE_ONLY = os.environ.get("BENCH_PROFILE_ONLY") == "1"  # the in-process profile alone, no load (minutes less)
TARGETS = {"spread": 0.65, "hot": 0.80}  # PharmEx ÷ floor throughput (issue 19 item 6)

ENV = {
    **os.environ,
    "DATABASE_URL": DATABASE_URL,
    "DJANGO_SETTINGS_MODULE": "bench.settings_orders",
    "DJANGO_SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFGH",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "JWT_ACCESS_MINUTES": "600",
    "DB_CONN_MAX_AGE": "600",  # persistent connections (PERF-FLOOR: never CONN_MAX_AGE=0)
    "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "memory://"),
    # Production runs with Redis for the throttle counters (docker-compose.yml); so does the benchmark.
    "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3"),
}
os.environ.update(ENV)


def recreate_database() -> None:
    import psycopg

    parsed = urlparse(DATABASE_URL)
    admin = DATABASE_URL.replace(parsed.path, "/postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.path[1:]}"')
        conn.execute(f"CREATE DATABASE \"{parsed.path[1:]}\" TEMPLATE template0 ENCODING 'UTF8' LC_CTYPE 'C.UTF-8'")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=BASE_DIR, env=ENV, check=True)
    subprocess.run([sys.executable, "manage.py", "createcachetable"], cwd=BASE_DIR, env=ENV, check=True)


def seed() -> dict:
    import django

    django.setup()
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.choices import LicenseStatus, MemberRole, OrganizationKind, OrganizationStatus
    from accounts.models import License, Membership, Organization, User
    from accounts.validators import uscc_check_character
    from catalog.models import Drug, Offer
    from firstbusiness.choices import ReviewStatus
    from firstbusiness.models import FirstBusinessReview

    def organization(n: int, kind: str, license_type: str) -> Organization:
        body = f"9146000{n:010d}"
        org = Organization.objects.create(
            legal_name=f"基准机构{n}",
            uscc=body + uscc_check_character(body),
            kind=kind,
            province_code="460000",
            status=OrganizationStatus.VERIFIED,
        )
        License.objects.create(
            organization=org,
            type=license_type,
            number=f"BENCH{n}",
            status=LicenseStatus.APPROVED,
            scope_tags=["chemical", "rx", "otc"],
            valid_from=timezone.localdate() - timedelta(1),
            valid_until=timezone.localdate() + timedelta(365),
        )
        return org

    suppliers = [organization(n, OrganizationKind.DISTRIBUTOR, "drug_wholesale") for n in range(SUPPLIERS)]
    buyers = []
    for n in range(BUYERS):
        buyer = organization(1000 + n, OrganizationKind.PHARMACY, "drug_retail")
        user = User.objects.create_user(f"buyer{n}@bench.example", "bench-password-2026")
        Membership.objects.create(user=user, organization=buyer, role=MemberRole.OPERATOR)
        buyers.append((buyer.pk, str(AccessToken.for_user(user))))
    total = SUPPLIERS * OFFERS_PER_SUPPLIER
    Drug.objects.bulk_create([
        Drug(approval_number=f"国药准字H{20000000 + i:08d}", generic_name=f"基准药品{i}片", dosage_form="tablet",
             specification="0.25g", package="24片/盒", sale_unit="盒", min_unit="片", units_per_pack=24,
             manufacturer_name="基准制药", drug_type="chemical", category="rx", status="active")
        for i in range(1, total + 1)
    ], batch_size=1000)  # fmt: skip
    drug_ids = list(Drug.objects.order_by("pk").values_list("pk", flat=True))
    Offer.objects.bulk_create([
        Offer(supplier=suppliers[i // OFFERS_PER_SUPPLIER], drug_id=drug_ids[i], unit_price=Decimal("12.35"),
              vat_rate=Decimal("0.13"), stock=STOCK)
        for i in range(total)
    ], batch_size=2000)  # fmt: skip
    offer_ids = list(Offer.objects.order_by("pk").values_list("pk", flat=True))
    assert offer_ids == drug_ids, "the floor relies on drug id = offer id"
    # Pharmacies review their suppliers and drugs before buying (首营, on by default): every buyer has approved
    # every supplier and drug here, so each order passes the review check the gate makes, as a trading buyer's does.
    until, now = timezone.localdate() + timedelta(365), timezone.now()
    approved = {"status": ReviewStatus.APPROVED, "valid_until": until, "decided_at": now}
    FirstBusinessReview.objects.bulk_create(
        [FirstBusinessReview(buyer_id=b, supplier=s, **approved) for b, _token in buyers for s in suppliers]
    )
    for buyer_id, _token in buyers:
        FirstBusinessReview.objects.bulk_create(
            [
                FirstBusinessReview(
                    buyer_id=buyer_id, supplier=suppliers[i // OFFERS_PER_SUPPLIER], drug_id=drug_ids[i], **approved
                )
                for i in range(total)
            ],
            batch_size=5000,
        )  # fmt: skip
    return {
        "buyers": buyers,
        "suppliers": [
            (s.pk, offer_ids[k * OFFERS_PER_SUPPLIER], offer_ids[(k + 1) * OFFERS_PER_SUPPLIER - 1])
            for k, s in enumerate(suppliers)
        ],
    }


LUA = r"""
local mode, floor, slice = "%(mode)s", %(floor)s, "%(slice)s"
local buyers = {%(buyers)s}
local suppliers = {%(suppliers)s}
local counter = 0
local thread_id = 0
function setup(thread) thread_id = thread_id + 1; thread:set("tid", thread_id) end
function request()
  counter = counter + 1
  local buyer = buyers[math.random(#buyers)]
  local s = suppliers[1]
  if mode == "spread" then s = suppliers[math.random(#suppliers)] end
  local first, last = s[2], s[3]
  local ids = {}
  if mode == "hot" then ids[1] = first end
  while #ids < 3 do
    local candidate = math.random(first + 1, last)
    local seen = false
    for _, v in ipairs(ids) do if v == candidate then seen = true end end
    if not seen then ids[#ids + 1] = candidate end
  end
  local lines = {}
  for i, id in ipairs(ids) do lines[i] = string.format('{"offer_id": %%d, "quantity": %%d}', id, math.random(1, 3)) end
  local body = string.format('{"lines": [%%s]}', table.concat(lines, ","))
  if floor then  -- the floor does no lookups, so it is told the parties
    local parties = string.format('"buyer_id": %%d, "supplier_id": %%d', buyer[1], s[1])
    body = string.format('{%%s, "lines": [%%s]}', parties, table.concat(lines, ","))
  end
  local headers = {["Content-Type"] = "application/json"}
  if not floor then
    headers["Authorization"] = "Bearer " .. buyer[2]
    headers["Idempotency-Key"] = string.format("bench-%%s-%%d-%%d", slice, tid or 0, counter)
  end
  return wrk.format("POST", floor and "/floor/orders/" or "/api/v1/orders/", headers, body)
end
function done(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%.3f %%.3f %%.3f %%d\n", summary.requests, summary.duration,
    summary.errors.status, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
"""


def vacuum_analyze() -> None:
    """Start every run from the same table state: planner statistics, and none of the dead row versions
    the previous run's stock updates left (the runs alternate, so neither side inherits the other's)."""
    import psycopg

    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def run_case(seeded: dict, mode: str) -> list[dict]:
    """The floor's and PharmEx's figures for one case, each summed over SLICES slices taken in turn."""
    taken: dict[bool, list[dict]] = {True: [], False: []}
    for n in range(SLICES):
        for floor in (True, False) if n % 2 == 0 else (False, True):
            taken[floor].append(run_wrk(seeded, mode, floor, seconds=max(1, round(DURATION / SLICES))))
    return [combine(mode, floor, taken[floor]) for floor in (True, False)]


def combine(mode: str, floor: bool, slices: list[dict]) -> dict:
    ok, busy, client = (sum(one[name] for one in slices) for name in ("ok", "busy", "client"))
    by_kind: dict[str, float] = {}
    for one in slices:
        for kind, seconds in one["by_kind"].items():
            by_kind[kind] = by_kind.get(kind, 0.0) + seconds
    weight = max(1, ok)
    return {
        "mode": mode,
        "endpoint": "floor" if floor else "PharmEx",
        "orders_per_s": ok / sum(one["seconds"] for one in slices),
        "non_2xx": sum(one["non_2xx"] for one in slices),
        "socket_errors": sum(one["socket_errors"] for one in slices),
        "machine_ms_per_order": busy * 1000 / weight,
        "server_ms_per_order": (busy - client) * 1000 / weight,
        "ms_per_order_by_kind": {kind: seconds * 1000 / weight for kind, seconds in by_kind.items()},
        # wrk reports each slice's percentiles: their mean, weighted by the slice's orders
        **{name: sum(one[name] * one["ok"] for one in slices) / weight for name in ("p50_ms", "p95_ms", "p99_ms")},
    }


def count_orders() -> int:
    import psycopg

    with psycopg.connect(DATABASE_URL) as conn:
        return conn.execute("SELECT count(*) FROM orders_order").fetchone()[0]


def run_wrk(seeded: dict, mode: str, floor: bool, *, seconds: int) -> dict:
    vacuum_analyze()
    suppliers = ", ".join(f"{{{pk}, {first}, {last}}}" for pk, first, last in seeded["suppliers"])
    script = LUA % {
        "buyers": ", ".join(f'{{{pk}, "{token}"}}' for pk, token in seeded["buyers"]),
        "mode": mode,
        "floor": "true" if floor else "false",
        "suppliers": suppliers,
        "slice": uuid.uuid4().hex,  # keys never repeat across slices: a repeated key is answered from storage
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    orders_before = count_orders()
    busy, client, processes = machine_busy_seconds(), children_cpu_seconds(), cpu_by_process_kind()
    output = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{CONNECTIONS}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            handle.name,
            f"http://127.0.0.1:{PORT}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    busy, client = machine_busy_seconds() - busy, children_cpu_seconds() - client
    requests, duration_us, non_2xx, p50, p95, p99, socket_errors = re.search(r"RESULT (.*)", output).group(1).split()
    ok = int(requests) - int(non_2xx)
    # Every success wrote an order (none was a replay answered from storage); up to one order per connection more
    # was still being placed when wrk stopped counting.
    written = count_orders() - orders_before
    assert ok <= written <= ok + CONNECTIONS, (written, ok)
    return {
        "ok": ok,
        "seconds": int(duration_us) / 1e6,
        "non_2xx": int(non_2xx),
        "socket_errors": int(socket_errors),
        "busy": busy,
        "client": client,
        "by_kind": {**cpu_by_kind_since(processes), "wrk": client},
        "p50_ms": float(p50),
        "p95_ms": float(p95),
        "p99_ms": float(p99),
    }


PROCESS_KINDS = (
    ("gunicorn", "web"),
    ("postgres", "postgres"),
    ("redis", "redis"),
    ("seal_audit_chain", "sealer"),
    ("wrk", "wrk"),
)


def cpu_by_process_kind() -> dict[int, tuple[str, float]]:
    """Every live process's CPU seconds, with its kind (web, postgres, redis, sealer, wrk, other)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            command = command or (entry / "comm").read_text()
            seconds = process_cpu_seconds(int(entry.name))
        except OSError:  # it ended meanwhile
            continue
        kind = next((kind for needle, kind in PROCESS_KINDS if needle in command), "other")
        found[int(entry.name)] = (kind, seconds)
    return found


def cpu_by_kind_since(before: dict[int, tuple[str, float]]) -> dict[str, float]:
    """CPU seconds by process kind since `before` (processes started meanwhile count whole; wrk, reaped before
    this is read, is counted from its rusage by the caller)."""
    spent: dict[str, float] = {}
    for pid, (kind, seconds) in cpu_by_process_kind().items():
        spent[kind] = spent.get(kind, 0.0) + seconds - before.get(pid, (kind, 0.0))[1]
    return spent


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent (every process: gunicorn, PostgreSQL, wrk, the sealer)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    """CPU seconds of this process's reaped children: after a run, wrk's (the load generator's share of the machine,
    which a real platform's clients spend on their own machines)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def profile_in_process(seeded: dict, count: int = PROFILE_ORDERS) -> dict:
    """One request at a time in this process, the same POST as wrk's spread case (JWT, Idempotency-Key): CPU per
    placement of Python and of its PostgreSQL backend, and the SQL statements one placement sends."""
    import random

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    rng = random.Random(7)
    client = APIClient(HTTP_HOST="localhost")

    def place(n: int) -> None:
        _buyer, token = rng.choice(seeded["buyers"])
        _supplier, first, last = rng.choice(seeded["suppliers"])
        lines = [{"offer_id": pk, "quantity": rng.randint(1, 3)} for pk in rng.sample(range(first, last + 1), 3)]
        response = client.post(
            "/api/v1/orders/",
            {"lines": lines},
            format="json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
            HTTP_IDEMPOTENCY_KEY=f"profile-{os.getpid()}-{n}",
        )
        assert response.status_code == 201, response.content[:500]

    for n in range(20):  # warm: imports, prepared statements, caches
        place(n)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    python0, postgres0 = time.process_time(), process_cpu_seconds(backend)
    for n in range(20, 20 + count):
        place(n)
    python_ms = (time.process_time() - python0) * 1000 / count
    postgres_ms = (process_cpu_seconds(backend) - postgres0) * 1000 / count
    with CaptureQueriesContext(connection) as queries:
        place(20 + count)
    return {"python_ms": python_ms, "postgres_ms": postgres_ms, "statements": len(queries)}


def check_invariants() -> dict:
    import psycopg

    with psycopg.connect(DATABASE_URL) as conn:
        negative = conn.execute("SELECT count(*) FROM catalog_offer WHERE stock < 0").fetchone()[0]
        mismatched = conn.execute(
            """
            SELECT count(*) FROM catalog_offer o
            LEFT JOIN (SELECT offer_id, sum(quantity) AS taken FROM orders_orderline GROUP BY offer_id) l
              ON l.offer_id = o.id
            WHERE %s - o.stock <> coalesce(l.taken, 0)
            """,
            [STOCK],
        ).fetchone()[0]
        orders = conn.execute("SELECT count(*) FROM orders_order").fetchone()[0]
        audit_total, audit_unsealed = conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE sequence IS NULL) FROM pharmex_auditevent"
        ).fetchone()
    return {
        "orders": orders,
        "negative_stock_offers": negative,
        "offers_where_stock_taken_differs": mismatched,
        "audit_records": audit_total,
        "audit_unsealed": audit_unsealed,
    }


SEALER = """
import time, django
django.setup()
from pharmex.audit import seal_audit_chain
while True:
    seal_audit_chain()
    time.sleep(1)
"""


def start_audit_sealer() -> subprocess.Popen:
    """The production beat job seals every few seconds in a long-lived worker; here every second,
    concurrently with the load."""
    return subprocess.Popen([sys.executable, "-c", SEALER], cwd=BASE_DIR, env=ENV)


def main() -> None:
    recreate_database()
    seeded = seed()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "pharmex.wsgi",
            "-w",
            str(WORKERS),
            "-b",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=BASE_DIR,
        env=ENV,
    )
    sealer = None
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        sealer = start_audit_sealer()
        results = [] if PROFILE_ONLY else [row for mode in ("spread", "hot") for row in run_case(seeded, mode)]
    finally:
        for process in (sealer, server):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from pharmex.audit import seal_audit_chain, verify_audit_chain; seal_audit_chain(); "
            "r = verify_audit_chain(); "
            "print('audit chain', 'intact' if r.first_broken is None else 'BROKEN', r.checked)",
        ],
        cwd=BASE_DIR,
        env=ENV,
        check=True,
    )
    profile = profile_in_process(seeded)
    invariants = check_invariants()
    print(
        f"\nin-process, one request at a time ({PROFILE_ORDERS} placements): CPU per placement "
        f"{profile['python_ms']:.2f} ms Python + {profile['postgres_ms']:.2f} ms PostgreSQL; "
        f"{profile['statements']} SQL statements per placement (BEGIN and COMMIT counted)"
    )
    print("invariants:", json.dumps(invariants))
    assert invariants["negative_stock_offers"] == 0 and invariants["offers_where_stock_taken_differs"] == 0
    if PROFILE_ONLY:
        return
    print(f"\nwrk -t2 -c{CONNECTIONS}, {DURATION} s per endpoint in {SLICES} slices, ", end="")
    print(f"alternating with the floor; gunicorn -w {WORKERS} (sync), production settings, ", end="")
    print(f"{os.cpu_count()} cores")
    print(
        f"{'case':<8} {'endpoint':<9} {'orders/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'non-2xx':>8} "
        f"{'socket errors':>13} {'machine ms/order':>16} {'server ms/order':>15}"
    )
    for row in results:
        print(
            f"{row['mode']:<8} {row['endpoint']:<9} {row['orders_per_s']:>9.1f} {row['p50_ms']:>8.1f} "
            f"{row['p95_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['non_2xx']:>8} {row['socket_errors']:>13} "
            f"{row['machine_ms_per_order']:>16.2f} {row['server_ms_per_order']:>15.2f}"
        )
    print("\nCPU per order by process (ms; machine minus all processes: interrupts and the kernel's own work):")
    kinds = ("web", "postgres", "redis", "sealer", "wrk", "other")
    print(f"{'case':<8} {'endpoint':<9} " + " ".join(f"{kind:>8}" for kind in kinds) + f" {'unattributed':>12}")
    for row in results:
        spent = row["ms_per_order_by_kind"]
        unattributed = row["machine_ms_per_order"] - sum(spent.values())
        print(
            f"{row['mode']:<8} {row['endpoint']:<9} "
            + " ".join(f"{spent.get(kind, 0.0):>8.2f}" for kind in kinds)
            + f" {unattributed:>12.2f}"
        )
    for mode in ("spread", "hot"):
        floor = next(r for r in results if r["mode"] == mode and r["endpoint"] == "floor")
        ours = next(r for r in results if r["mode"] == mode and r["endpoint"] == "PharmEx")
        print(
            f"{mode}: PharmEx / floor throughput = {ours['orders_per_s'] / floor['orders_per_s']:.2f}  "
            f"(target ≥ {TARGETS[mode]:.2f}); p95 ratio = {ours['p95_ms'] / floor['p95_ms']:.2f}"
        )


if __name__ == "__main__":
    main()
