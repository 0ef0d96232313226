"""Random or time-ordered keys on years of history (issue 19; not a test): what one insert costs a B-tree index.

The audit log indexes every record's request id (the desk finds what one request did by it), and an order its
checkout id; neither table is partitioned or purged, so both indexes hold every year (the webhook outbox's unique
event ids hold 90 days of every party's events). A random key (UUIDv4) lands
on any leaf of the index: the more years, the more leaves, and after each checkpoint PostgreSQL writes the whole
8 kB page to the WAL the first time a leaf changes, so nearly every insert into a large index costs a page of WAL
(and of replication and backup). A time-ordered key (UUIDv7) lands on the newest leaves whatever the size.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/index_keys_bench .venv/bin/python bench/index_keys.py
    # defaults: --base 1000000 (rows at S) --sizes 1,4,16; env BENCH_REPS=3, BENCH_INSERTS=20000

The database is dropped and re-created. At each size three tables of the same rows differ only by the key of their
new rows and its index: random keys (`uuid.uuid4().hex`, what PharmEx generated before), time-ordered keys
(`pharmex.context.new_request_id`, what it generates now) and the floor, random keys with no index on them. Each
measurement starts at a CHECKPOINT, as every checkpoint interval does, and inserts BENCH_INSERTS rows one
transaction each (an audit record commits with its request): the inserts of one busy interval (100 a second for
the default 5 minutes between checkpoints is 30,000). Printed per size: µs and WAL bytes an insert, and each
scheme's ratio to the floor; raw numbers go to bench/results/index-keys-S<base>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))

import psycopg  # noqa: E402

from bench.growth import recreate_database  # noqa: E402
from pharmex.context import new_request_id  # noqa: E402

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/index_keys_bench")
REPS = int(os.environ.get("BENCH_REPS", "3"))
INSERTS = int(os.environ.get("BENCH_INSERTS", "20000"))
RESULTS = BASE_DIR / "bench" / "results"

# name: (the history's keys in SQL, a new row's key, indexed)
SCHEMES = {
    "random (uuid4)": ("md5(i::text || random()::text)", lambda: uuid.uuid4().hex, True),
    # History written in order before this run: millisecond prefixes below today's, as UUIDv7's are.
    "time-ordered (uuid7)": (
        "lpad(to_hex(1600000000000 + i), 12, '0') || left(md5(i::text), 20)",
        new_request_id,
        True,
    ),
    "floor (no index)": ("md5(i::text || random()::text)", lambda: uuid.uuid4().hex, False),
}


def table(name: str) -> str:
    return "keys_" + name.split(" ")[0].replace("-", "_")


def fill(conn: psycopg.Connection, rows: int) -> None:
    """Every table holds `rows` rows of history, its index built over them."""
    for name, (history_key, _, indexed) in SCHEMES.items():
        t = table(name)
        conn.execute(f"DROP TABLE IF EXISTS {t}")
        conn.execute(f"CREATE TABLE {t} (id bigserial PRIMARY KEY, occurred_at timestamptz NOT NULL, request_id text)")
        conn.execute(
            f"INSERT INTO {t} (occurred_at, request_id) SELECT now(), {history_key} FROM generate_series(1, %s) AS i",
            (rows,),
        )
        if indexed:
            conn.execute(f"CREATE INDEX {t}_request_id ON {t} (request_id)")
        conn.execute(f"VACUUM ANALYZE {t}")


def insert_cost(conn: psycopg.Connection, name: str) -> tuple[float, float]:
    """(µs, WAL bytes) an insert, each its own transaction, from a checkpoint on."""
    _, new_key, _ = SCHEMES[name]
    sql = f"INSERT INTO {table(name)} (occurred_at, request_id) VALUES (now(), %s)"
    conn.execute("CHECKPOINT")
    start = conn.execute("SELECT pg_current_wal_insert_lsn()").fetchone()[0]
    t0 = time.perf_counter()
    for _ in range(INSERTS):
        conn.execute(sql, (new_key(),), prepare=True)
    elapsed = time.perf_counter() - t0
    wal = conn.execute("SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), %s)", (start,)).fetchone()[0]
    return elapsed / INSERTS * 1e6, float(wal) / INSERTS


def measure(conn: psycopg.Connection) -> dict[str, dict[str, float]]:
    """Medians of REPS rounds, the schemes' order turned each round; each round's rows stay (history grows a little)."""
    names = list(SCHEMES)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    for rep in range(REPS):
        for name in names[rep % len(names) :] + names[: rep % len(names)]:
            samples[name].append(insert_cost(conn, name))
    return {
        name: {
            "us_per_insert": statistics.median(us for us, _ in got),
            "wal_bytes_per_insert": statistics.median(wal for _, wal in got),
        }
        for name, got in samples.items()
    }


def report(size: int, by_name: dict[str, dict[str, float]]) -> str:
    floor = by_name["floor (no index)"]
    lines = [
        f"{size}×S",
        "| keys | µs an insert | ÷ floor | WAL bytes an insert | ÷ floor |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, cost in by_name.items():
        us, wal = cost["us_per_insert"], cost["wal_bytes_per_insert"]
        lines.append(
            f"| {name} | {us:.1f} | {us / floor['us_per_insert']:.2f}× | {wal:,.0f} | "
            f"{wal / floor['wal_bytes_per_insert']:.2f}× |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--base", type=int, default=1_000_000, help="S: rows of history at the first size")
    parser.add_argument("--sizes", default="1,4,16", help="multiples of S")
    args = parser.parse_args()
    recreate_database(DATABASE_URL)
    results = {}
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        for size in (int(s) for s in args.sizes.split(",")):
            started = time.perf_counter()
            fill(conn, size * args.base)
            results[size] = measure(conn)
            print(f"\n{report(size, results[size])}\n(filled and measured in {time.perf_counter() - started:.0f} s)")
    path = RESULTS / f"index-keys-S{args.base}.json"
    path.write_text(json.dumps({"base": args.base, "inserts": INSERTS, "reps": REPS, "results": results}, indent=2))
    print(f"numbers: {path}")


if __name__ == "__main__":
    main()
