"""Query plans as a table of millions gets them (issue 19). On the test database's few rows, with sequential scans
priced out, a query that still reads a table whole has no index that serves it (`plan`, `plan_nodes`,
`table_reads`). Which of two indexes serves a query best is a question of statistics: ask it of tables padded with
a history (`history`, `copies`, `costed_plan`)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db import connection
from django.db.models import Model


def _explain(sql: str, params: Sequence | None, options: str, *, sequential_scans: bool = False) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('enable_seqscan', %s, false)", ["on" if sequential_scans else "off"])
        try:
            cursor.execute(f"EXPLAIN {options}{sql}", params)
            return cursor.fetchall()
        finally:
            cursor.execute("RESET enable_seqscan")


def plan(sql: str, params: Sequence | None = None) -> str:
    """The plan as EXPLAIN prints it, sequential scans priced out."""
    return "\n".join(row[0] for row in _explain(sql, params, ""))


def costed_plan(sql: str, params: Sequence | None = None) -> str:
    """The plan as EXPLAIN prints it, every way of reading priced by the tables' statistics (after `history`)."""
    return "\n".join(row[0] for row in _explain(sql, params, "", sequential_scans=True))


@contextmanager
def history(tables: Sequence[str], *inserts: tuple[str, Sequence]) -> Iterator[None]:
    """Inside the block, `tables` are planned as years of history: each of `inserts` (an INSERT and its parameters)
    pads them, with triggers and foreign keys off as bench/growth.py seeds (the padding need not balance a ledger or
    name real parties), then every one of them is ANALYZEd. Asking the planner about a handful of rows instead
    leaves its choice to ties of cost, which a PostgreSQL release may break the other way.

    On leaving, the padding (every row above each table's highest id before it) is deleted and the tables are
    ANALYZEd again: ANALYZE writes a table's row count into pg_class in place, outside the test's transaction, so
    the padding's count would outlive the rollback and steer the plans of the next tests on the same database."""
    with connection.cursor() as cursor:
        marks = {}
        for table in tables:
            cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
            [[marks[table]]] = cursor.fetchall()
        _without_triggers(cursor, inserts)
        cursor.execute(f"ANALYZE {', '.join(tables)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            _without_triggers(cursor, [(f"DELETE FROM {table} WHERE id > %s", [mark]) for table, mark in marks.items()])
            cursor.execute(f"ANALYZE {', '.join(tables)}")


def copies(model: type[Model], row: int, count: int, **varying: str) -> tuple[str, list]:
    """The INSERT of `count` copies of `model`'s row `row`, but for the `varying` columns: SQL of n, 1 to `count`
    (a literal % written %%)."""
    table = model._meta.db_table
    kept = ", ".join(f.column for f in model._meta.concrete_fields if not f.primary_key and f.column not in varying)
    sql = (
        f"INSERT INTO {table} ({kept}, {', '.join(varying)}) SELECT {kept}, {', '.join(varying.values())} "
        f"FROM {table}, generate_series(1, %s) AS n WHERE id = %s"
    )
    return sql, [count, row]


def _without_triggers(cursor, statements) -> None:
    cursor.execute("SET LOCAL session_replication_role = replica")
    for sql, params in statements:
        cursor.execute(sql, params)
    cursor.execute("SET LOCAL session_replication_role = DEFAULT")


def plan_nodes(sql: str, params: Sequence | None = None) -> Iterator[dict]:
    """Every node of the plan (EXPLAIN's JSON: "Node Type", "Relation Name", "Index Name", "Index Cond", ...)."""
    document = _explain(sql, params, "(FORMAT JSON) ")[0][0]
    document = json.loads(document) if isinstance(document, str) else document
    pending = [document[0]["Plan"]]
    while pending:
        node = pending.pop()
        yield node
        pending.extend(node.get("Plans", []))


def table_reads(sql: str, params: Sequence | None = None) -> list[tuple[str, str]]:
    """(table, how the plan reads it) for each scan of a table: the index of an index scan, the indexes a bitmap
    heap scan's bitmaps come from (joined by "+"; which of the two the planner picks depends on the statistics of
    the moment), or the node's type (a sequential scan)."""
    reads = []
    for node in plan_nodes(sql, params):
        if "Relation Name" not in node:
            continue
        if node["Node Type"] == "Bitmap Heap Scan":
            bitmaps = [child for child in _below(node) if "Index Name" in child]
            how = "+".join(sorted({child["Index Name"] for child in bitmaps}))
        else:
            how = node.get("Index Name", node["Node Type"])
        reads.append((node["Relation Name"], how))
    return reads


def _below(node: dict) -> Iterator[dict]:
    for child in node.get("Plans", []):
        yield child
        yield from _below(child)
