"""The rows a change appends about itself — its audit record, its outbox events — written together.

Every state change writes an audit record (pharmex.audit) and most announce themselves through the outbox
(webhooks), each an INSERT of its own: on this machine a round trip costs about 2 % of an order placement
(BENCHMARKS.md, order placement). Nothing in a request reads back the rows it appended, so inside `kept()` — the
transaction of a creating POST (pharmex.api.idempotency) — they are kept and written at its end, all in one statement
with what that end writes itself (the stored response of an Idempotency-Key): `write_kept(also=…)`.

Outside `kept()` (Celery tasks, the admin, commands), and inside a savepoint opened since it began, rows are written
at once, so a savepoint rolled back takes its rows with it; rows kept before it stay kept (written inside the
savepoint, its rollback would take them too). A transaction that fails, or is marked for rollback, writes nothing it
kept. Kept rows get their ids in the order they were appended.

Each app describes its kind of row once (`AppendKind`, registered with `register`); the kernel knows none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

from pharmex.db import fetch_all, rows_by_part, side_by_side


@dataclass(frozen=True)
class AppendKind:
    """How one kind of appended row is written, as CTEs of the one statement that writes everything kept.

    `ctes`: `name AS (INSERT …)[, …]` over named parameters that begin with the kind's name; `params(items)` gives
    them. `result`: a SELECT over those CTEs of what `written(items, rows)` needs back (ids to set, tasks to queue),
    its first column never NULL, `result_columns` wide.
    """

    name: str
    ctes: str
    params: Callable[[list[Any]], dict]
    result: str
    result_columns: int
    written: Callable[[list[Any], list[tuple]], None]


_kinds: dict[str, AppendKind] = {}


def register(kind: AppendKind) -> AppendKind:
    _kinds[kind.name] = kind
    return kind


@dataclass
class _Kept:
    savepoints: tuple[str, ...]  # those open when keeping began: a row appended inside another is written at once
    items: dict[str, list[Any]] = field(default_factory=dict)


def append(kind: AppendKind, items: Sequence[Any]) -> None:
    """Append rows of this kind in the current transaction (or in autocommit, at once)."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    kept: _Kept | None = getattr(wrapper, "_kept_appends", None)
    if kept is not None and _savepoints(wrapper) == kept.savepoints:
        kept.items.setdefault(kind.name, []).extend(items)
    else:
        _write({kind.name: list(items)})


@contextmanager
def kept() -> Iterator[None]:
    """Keep appended rows until `write_kept`, or the end of the block; inside a transaction. Nested: one keeping."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    if getattr(wrapper, "_kept_appends", None) is not None:
        yield
        return
    if not wrapper.in_atomic_block:
        raise RuntimeError("appends.kept() keeps rows until the end of a transaction: open one first.")
    wrapper._kept_appends = _Kept(savepoints=_savepoints(wrapper))
    try:
        yield
        write_kept()
    finally:
        wrapper._kept_appends = None


def write_kept(*, also: tuple[str, dict] | None = None) -> None:
    """Write the kept rows now, with `also` — a statement that writes (named parameters, none beginning with a
    kind's name) — in the same statement. Nothing is written in a transaction marked for rollback."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    waiting = _take(getattr(wrapper, "_kept_appends", None))
    if wrapper.needs_rollback:
        return
    if waiting or also:
        _write(waiting, also)


def _savepoints(wrapper) -> tuple[str, ...]:
    # An atomic block without a savepoint (savepoint=False) counts as None: what it writes is the enclosing block's.
    return tuple(savepoint for savepoint in wrapper.savepoint_ids if savepoint is not None)


def _take(kept: _Kept | None) -> dict[str, list[Any]]:
    if kept is None:
        return {}
    items, kept.items = kept.items, {}
    return items


def _write(waiting: dict[str, list[Any]], also: tuple[str, dict] | None = None) -> None:
    names = tuple(sorted(name for name, items in waiting.items() if items))
    statement = _statement(names, also[0] if also else None)
    params = dict(also[1]) if also else {}
    for name in names:
        params.update(_kinds[name].params(waiting[name]))
    rows = fetch_all(statement, params)
    if names:
        for name, found in zip(names, rows_by_part(rows, [_kinds[name].result_columns for name in names]), strict=True):
            _kinds[name].written(waiting[name], found)


@lru_cache
def _statement(names: tuple[str, ...], also: str | None) -> str:
    kinds = [_kinds[name] for name in names]
    ctes = [kind.ctes for kind in kinds] + [f"{kind.name}_written AS ({kind.result})" for kind in kinds]
    if also:
        ctes.append(f"also AS ({also})")
    select = side_by_side([f"{kind.name}_written" for kind in kinds]) if kinds else "SELECT NULL WHERE false"
    return "WITH " + ",\n".join(ctes) + "\n" + select
