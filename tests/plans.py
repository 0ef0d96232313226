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
