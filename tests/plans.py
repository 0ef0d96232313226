"""Query plans as a table of millions gets them, read on the test database's few rows: with sequential scans priced
out, a query that still reads a table whole has no index that serves it (issue 19)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from django.db import connection


def _explain(sql: str, params: Sequence | None, options: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        try:
            cursor.execute(f"EXPLAIN {options}{sql}", params)
            return cursor.fetchall()
        finally:
            cursor.execute("RESET enable_seqscan")


def plan(sql: str, params: Sequence | None = None) -> str:
    """The plan as EXPLAIN prints it."""
    return "\n".join(row[0] for row in _explain(sql, params, ""))


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
