"""The one way to write SQL by hand (the policy is in README, "Hand-written SQL").

Compiling a `select_related` queryset costs the ORM about a millisecond of Python on every call, more
than PostgreSQL spends running it, and each INSERT costs a compile and a round trip of its own. The
order-placement path reads and writes several tables on every request, and every state change writes
an audit record, so there the SQL is written once. The rules for such SQL:

* it lives in one module per app, `<app>/sql.py` (`pharmex/sql.py` for the kernel), next to a parity test
  against the ORM (tests/*/test_sql.py);
* table and column names come from the models through the helpers below (`table`, `column`, `RowModel`,
  `InsertColumns`), never typed by hand, so a renamed field cannot silently go missing;
* values — status values from the `TextChoices` included — are parameters, never literals;
* rows become model instances the way the ORM makes them (`Model.from_db` after the fields' database
  converters), and instances become values the way the ORM prepares them.

Everything else uses the ORM.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, time
from decimal import Decimal
from functools import cached_property
from uuid import UUID

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import NOT_PROVIDED, Model
from django.db.models.expressions import Col
from django.db.models.signals import post_save, pre_save
from psycopg.types.json import Jsonb


def quote(name: str) -> str:
    return connection.ops.quote_name(name)


def table(model: type[Model], alias: str | None = None) -> str:
    """The model's quoted table name, `AS alias` when given."""
    name = quote(model._meta.db_table)
    return f"{name} AS {alias}" if alias else name


def column(model: type[Model], field_name: str, alias: str | None = None) -> str:
    """A field's quoted column (`alias."column"` when given): `column(Order, "buyer")` → `"buyer_id"`."""
    name = quote(model._meta.get_field(field_name).column)
    return f"{alias}.{name}" if alias else name


class RowModel:
    """One model's columns in a hand-written SELECT, under a table alias."""

    def __init__(self, model: type[Model], alias: str):
        self.model, self.alias = model, alias
        self.fields = model._meta.concrete_fields
        self.attnames = [field.attname for field in self.fields]

    @property
    def table(self) -> str:
        return table(self.model, self.alias)

    @property
    def columns(self) -> str:
        return ", ".join(f"{self.alias}.{quote(field.column)}" for field in self.fields)

    def column(self, field_name: str) -> str:
        return column(self.model, field_name, self.alias)

    @cached_property
    def _converters(self) -> list[tuple[int, Col, list]]:
        converters = []
        for index, field in enumerate(self.fields):
            col = field.get_col(self.alias)
            found = connection.ops.get_db_converters(col) + field.get_db_converters(connection)
            if found:
                converters.append((index, col, found))
        return converters

    def build(self, values: Sequence) -> Model:
        values = list(values)
        wrapper = connections[DEFAULT_DB_ALIAS]  # once: every use of the `connection` proxy is a thread-local lookup
        for index, col, converters in self._converters:
            for converter in converters:
                values[index] = converter(values[index], col, wrapper)
        return self.model.from_db(DEFAULT_DB_ALIAS, self.attnames, values)


def split_row(row: Sequence, *parts: RowModel) -> list[Model]:
    """The instances of a row selected as `parts[0].columns, parts[1].columns, …`, in that order."""
    instances, start = [], 0
    for part in parts:
        end = start + len(part.fields)
        instances.append(part.build(row[start:end]))
        start = end
    return instances


class RawInsertRefused(TypeError):
    """A hand-written INSERT would skip what Model.save() does for this model."""


_insert_columns: weakref.WeakSet[InsertColumns] = weakref.WeakSet()  # every one alive, for the system check


class InsertColumns:
    """A model's columns for a hand-written INSERT (all but the primary key and `skip`), with each
    instance's values prepared as the ORM prepares them (pre_save, then get_db_prep_save).

    Generated fields and fields with a `db_default` are left to the database, as Django leaves them. A model
    with a custom `save()` or with pre/post-save signal receivers is refused: the raw INSERT would skip them
    without a word (`refusal()`; the system check pharmex.E001 and the first `values()` call both ask it).
    """

    def __init__(self, model: type[Model], *, skip: tuple[str, ...] = ()):
        self.model = model
        self.fields = [
            field
            for field in model._meta.concrete_fields
            if not field.primary_key
            and field.attname not in skip
            and not getattr(field, "generated", False)
            and field.db_default is NOT_PROVIDED
        ]
        self._checked = False
        _insert_columns.add(self)

    def refusal(self) -> str | None:
        """Why a raw INSERT would not do what save() does for this model, or None."""
        if self.model.save is not Model.save:
            return f"{self.model._meta.label} overrides save()"
        for signal, name in ((pre_save, "pre_save"), (post_save, "post_save")):
            if signal.has_listeners(self.model):
                return f"{self.model._meta.label} has {name} receivers"
        return None

    @property
    def table(self) -> str:
        return table(self.model)

    @property
    def columns(self) -> str:
        return ", ".join(quote(field.column) for field in self.fields)

    def placeholders(self) -> str:
        # Types without their length or precision, as Django's own bulk insert does: a cast to
        # varchar(n) would silently truncate what the column itself refuses.
        return ", ".join(f"%s::{field.db_type(connection).split('(')[0]}" for field in self.fields)

    def recordset(self, alias: str, parameter: str = "%s") -> str:
        """`FROM` item of the rows passed as one `rows_json` parameter, typed by the table's own row type; select
        `aliased_columns(alias)` from it. Rows come in the order of the parameter's array."""
        return f"jsonb_populate_recordset(NULL::{self.table}, {parameter}::jsonb) AS {alias}"

    def aliased_columns(self, alias: str) -> str:
        return ", ".join(f"{alias}.{quote(field.column)}" for field in self.fields)

    def values(self, instance: Model) -> list:
        if not self._checked:
            if reason := self.refusal():
                raise RawInsertRefused(f"A hand-written INSERT would skip what save() does: {reason}.")
            self._checked = True
        # The connection once, not through the `connection` proxy in each field's preparation: a thread-local lookup
        # each time, half the cost of preparing a row of plain columns (an order line: 80 → 40 µs).
        wrapper = connections[DEFAULT_DB_ALIAS]
        return [field.get_db_prep_save(field.pre_save(instance, True), wrapper) for field in self.fields]

    def rows_json(self, instances: Sequence[Model]) -> str:
        """Several instances as one JSON parameter for `recordset()`: one parameter whatever the number of rows.
        (One array parameter per column made the order INSERT a statement of 69 parameters, and psycopg parses
        again every statement of more than 50: half a millisecond of each placement.)"""
        names = [field.column for field in self.fields]
        return json.dumps([dict(zip(names, self.values(instance), strict=True)) for instance in instances],
                          default=_json_value)  # fmt: skip


def _json_value(value):
    """A prepared value JSON cannot hold as it is, as the text its column's input function reads back exactly."""
    if isinstance(value, Jsonb):  # a JSONField's: what its own encoder writes (it refuses what it cannot encode)
        return json.loads(value.dumps(value.obj))
    if isinstance(value, date | time):  # a datetime is a date; Django's are aware, so their offset goes along
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} has no JSON form for a hand-written INSERT")


def side_by_side(parts: Sequence[str]) -> str:
    """One SELECT of the rows of several parts (CTEs named `parts`), each part's columns keeping their own types: a
    row of one part has every other part's columns NULL. (A UNION of NULL-padded parts would need one type per
    column.) Each part's first column must never be NULL: `rows_by_part` tells the parts apart by it."""
    return f"SELECT * FROM {parts[0]}" + "".join(f" FULL JOIN {part} ON false" for part in parts[1:])


def rows_by_part(rows: Sequence[Sequence], widths: Sequence[int]) -> list[list[tuple]]:
    """The rows of a `side_by_side` SELECT, split back into each part's rows; `widths`: each part's column count."""
    spans, start = [], 0
    for width in widths:
        spans.append((start, start + width))
        start += width
    found: list[list[tuple]] = [[] for _width in widths]
    for row in rows:
        part, (start, end) = next((n, span) for n, span in enumerate(spans) if row[span[0]] is not None)
        found[part].append(tuple(row[start:end]))
    return found


def insert_columns_refusals() -> list[str]:
    """Every InsertColumns whose model a raw INSERT would mistreat (the system check pharmex.E001)."""
    return [reason for columns in _insert_columns if (reason := columns.refusal())]


def mark_saved(instance: Model, pk: int) -> None:
    """What Model.save() leaves on an instance it inserted."""
    instance.pk = pk
    instance._state.adding = False
    instance._state.db = DEFAULT_DB_ALIAS


def fetch_all(sql: str, params: Sequence | dict | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def fetch_one(sql: str, params: Sequence | dict | None = None, *, using: str = DEFAULT_DB_ALIAS) -> tuple | None:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def execute(sql: str, params: Sequence | dict | None = None) -> int:
    """Run a statement; returns the rows it touched."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def advisory_xact_lock(name: str) -> None:
    """Wait for the transaction-level advisory lock called `name` (a mutex that says what it guards)."""
    execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [name])


def advisory_xact_lock_shared(name: str) -> None:
    """Wait for the named transaction-level advisory lock in shared mode: many holders at once, none beside an
    exclusive `advisory_xact_lock` of the same name."""
    execute("SELECT pg_advisory_xact_lock_shared(hashtextextended(%s, 0))", [name])


def try_advisory_xact_lock(name: str) -> bool:
    """Take the named transaction-level advisory lock if it is free; False when another transaction holds it."""
    return fetch_one("SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))", [name])[0]


def any_of(array: str) -> str:
    """`column = {any_of("%(ids)s::bigint[]")}`: `= ANY` of an array parameter, planned once for arrays of any size.

    A custom plan counts the elements of an array it is given (three offers) and a generic plan assumes ten, so for
    a plain `= ANY(%(ids)s)` of fewer than ten the generic plan always looks costlier and PostgreSQL plans again on
    every call (on a placement's offers read, stock take and first-business read that was a quarter of PostgreSQL's
    CPU, BENCHMARKS.md, order placement). Read through a sub-select, the array has no size the planner can see in
    either plan, both cost the same, and after its five trial plans PostgreSQL keeps the generic one. Only for
    statements whose best plan does not depend on how many ids they get. Cast the parameter (`"%(ids)s::bigint[]"`):
    an empty list travels untyped, and `unnest` cannot tell which array it is.
    """
    return f"ANY(ARRAY(SELECT unnest({array})))"


@contextmanager
def lock_timeout(timeout: str) -> Iterator[None]:
    """PostgreSQL's `lock_timeout` for the statements inside (e.g. "10s"), then back to what it was.

    Call inside a transaction: the setting is local to it (and to a savepoint), so a failure inside — after
    which the transaction can run nothing more — leaves nothing to undo.
    """
    previous = fetch_one("SELECT current_setting('lock_timeout')")[0]
    execute("SELECT set_config('lock_timeout', %s, true)", [timeout])
    yield
    execute("SELECT set_config('lock_timeout', %s, true)", [previous])
