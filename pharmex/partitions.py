"""Monthly RANGE partitions of the append-only history tables (issue 19 item 2; docs/scaling.md, "Partitioning").

The one home of partition DDL: the migrations that convert a table, the beat job that creates the months ahead,
and the detach of months past their retention all call these functions. Django knows nothing of partitions (the
model state is unchanged), so everything here reads the catalogue instead of the models: a conversion recreates
whatever indexes, constraints and triggers the table has at that moment, whichever migration added them.

Layout, for a table `t` partitioned on the timestamp column `c`:

* `t` is the partitioned parent, primary key `(id, c)` (a partitioned table's unique keys must hold the partition
  key); its unique constraints get `c` appended for the same reason;
* `t_pYYYY_MM` holds the rows with `c` in that month, bounds in UTC (`[YYYY-MM-01 00:00Z, next month)`);
* `t_default` catches rows of months not created yet; the job moves them into their months (`split_default`);
* `id` takes its values from the sequence `t_id_seq`, owned by `t.id` (PostgreSQL 15 has no identity column on a
  partitioned table; the bench and `sql_sequence_reset` find the sequence by that name).

Table and column names come from the migrations and `PARTITIONED` below, never from input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import connection

from pharmex.calendar import add_months

# model label → the timestamp column it is partitioned on (the column every row has from its insert on)
PARTITIONED = {"orders.CustodyHop": "shipped_at", "orders.OrderEvent": "created_at"}

_MONTH_SUFFIX = re.compile(r"_p(\d{4})_(\d{2})$")


def month_start(moment: datetime | date) -> date:
    if isinstance(moment, datetime):
        moment = moment.astimezone(UTC) if moment.tzinfo else moment
    return date(moment.year, moment.month, 1)


def partition_name(table: str, month: date) -> str:
    return f"{table}_p{month.year:04d}_{month.month:02d}"


def default_name(table: str) -> str:
    return f"{table}_default"


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _bound(month: date) -> str:
    return f"'{month.isoformat()} 00:00:00+00'"


def _months(first: date, last: date) -> list[date]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def is_partitioned(cursor, table: str) -> bool:
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [table])
    row = cursor.fetchone()
    return row is not None and row[0] == "p"


def partitions(cursor, table: str) -> list[tuple[str, date | None]]:
    """The table's partitions as (name, month), the default partition with month None; oldest first."""
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
        [table],
    )
    found = []
    for (name,) in cursor.fetchall():
        match = _MONTH_SUFFIX.search(name)
        found.append((name, date(int(match[1]), int(match[2]), 1) if match else None))
    return sorted(found, key=lambda item: (item[1] is not None, item[1] or date.min))


def _columns(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped "
        "ORDER BY attnum",
        [table],
    )
    return [_q(name) for (name,) in cursor.fetchall()]


@dataclass(frozen=True)
class _Definitions:
    """What a table carries besides its columns, as DDL to run again on its replacement."""

    keys: list[tuple[str, str, list[str]]]  # (name, PRIMARY KEY | UNIQUE, columns)
    foreign_keys: list[str]
    indexes: list[str]
    triggers: list[str]


def _definitions(cursor, table: str) -> _Definitions:
    cursor.execute(
        "SELECT con.conname, con.contype, array_agg(a.attname ORDER BY k.ordinality) "
        "FROM pg_constraint con CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ordinality) "
        "JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum "
        "WHERE con.conrelid = %s::regclass AND con.contype IN ('p', 'u') GROUP BY con.oid, con.conname, con.contype "
        "ORDER BY con.conname",
        [table],
    )
    keys = [(name, "PRIMARY KEY" if kind == "p" else "UNIQUE", list(cols)) for name, kind, cols in cursor.fetchall()]
    cursor.execute(
        "SELECT format('ALTER TABLE %%I ADD CONSTRAINT %%I %%s', %s::text, conname, pg_get_constraintdef(oid)) "
        "FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
        [table, table],
    )
    foreign_keys = [sql for (sql,) in cursor.fetchall()]
    cursor.execute(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = %s::regclass "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid "
        "AND con.conrelid = i.indrelid) ORDER BY i.indexrelid::regclass::text",
        [table],
    )
    # A partitioned parent's index is defined ON ONLY the parent; the replacement's must cascade to partitions.
    indexes = [sql.replace(" ON ONLY ", " ON ") for (sql,) in cursor.fetchall()]
    cursor.execute(
        "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal "
        "ORDER BY tgname",
        [table],
    )
    triggers = [sql for (sql,) in cursor.fetchall()]
    return _Definitions(keys, foreign_keys, indexes, triggers)


def _next_id(cursor, table: str) -> int:
    """The value the table's id sequence would hand out next (never below max(id) + 1)."""
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    sequence = cursor.fetchone()[0]
    cursor.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {_q(table)}")
    after_rows = cursor.fetchone()[0]
    if sequence is None:
        return after_rows
    cursor.execute(f"SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM {sequence}")
    return max(after_rows, cursor.fetchone()[0])


def _restore(cursor, table: str, definitions: _Definitions, key_columns) -> None:
    for name, kind, cols in definitions.keys:
        cols = key_columns(cols)
        cursor.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {kind} ({', '.join(map(_q, cols))})")
    for sql in definitions.indexes + definitions.foreign_keys + definitions.triggers:
        cursor.execute(sql)


def convert_to_partitioned(cursor, table: str, column: str, *, months_ahead: int = 3) -> None:
    """Replace the plain table by a monthly-partitioned one holding the same rows, ids, keys, indexes and triggers.

    Partitions cover every month from the oldest row to `months_ahead` months after this one, plus the default.
    Rows are copied (INSERT … SELECT): the tables converted are young when this migration runs on a live platform
    (docs/scaling.md, "Partitioning", says how to attach a large table instead). Run inside the migration's
    transaction: a failure leaves the plain table as it was.
    """
    if is_partitioned(cursor, table):
        return
    definitions = _definitions(cursor, table)
    next_id = _next_id(cursor, table)
    cursor.execute(f"SELECT min({_q(column)}), max({_q(column)}) FROM {_q(table)}")
    oldest, newest = cursor.fetchone()
    this_month = month_start(datetime.now(UTC))
    first = min(month_start(oldest), this_month) if oldest else this_month
    last = max(month_start(newest), this_month) if newest else this_month
    building = f"{table}__partitioned"
    cursor.execute(
        f"CREATE TABLE {_q(building)} (LIKE {_q(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE "
        f"INCLUDING COMMENTS) PARTITION BY RANGE ({_q(column)})"
    )
    for month in _months(first, add_months(last, months_ahead)):
        _create_month(cursor, building, month, name=partition_name(table, month))
    cursor.execute(f"CREATE TABLE {_q(default_name(table))} PARTITION OF {_q(building)} DEFAULT")
    columns = ", ".join(_columns(cursor, table))
    cursor.execute(f"INSERT INTO {_q(building)} ({columns}) SELECT {columns} FROM {_q(table)}")
    cursor.execute(f"DROP TABLE {_q(table)}")  # with its identity sequence
    cursor.execute(f"ALTER TABLE {_q(building)} RENAME TO {_q(table)}")
    sequence = f"{table}_id_seq"
    cursor.execute(f"CREATE SEQUENCE {_q(sequence)} AS bigint START WITH {int(next_id)} OWNED BY {_q(table)}.id")
    cursor.execute(f"ALTER TABLE {_q(table)} ALTER COLUMN id SET DEFAULT nextval('{sequence}'::regclass)")
    _restore(cursor, table, definitions, lambda cols: cols if column in cols else [*cols, column])
    analyze_parent(cursor, table)


def analyze_parent(cursor, table: str) -> None:
    """Autovacuum analyzes the partitions but never a partitioned parent, whose statistics the planner uses for
    queries it cannot prune: the conversion and the job (when it added months) refresh them."""
    cursor.execute(f"ANALYZE {_q(table)}")


def convert_to_plain(cursor, table: str, column: str) -> None:
    """The reverse of `convert_to_partitioned`: one plain table with an identity id, the same rows and ids."""
    if not is_partitioned(cursor, table):
        return
    definitions = _definitions(cursor, table)
    next_id = _next_id(cursor, table)
    building = f"{table}__plain"
    cursor.execute(
        f"CREATE TABLE {_q(building)} (LIKE {_q(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE "
        "INCLUDING COMMENTS)"
    )
    cursor.execute(f"ALTER TABLE {_q(building)} ALTER COLUMN id DROP DEFAULT")
    columns = ", ".join(_columns(cursor, table))
    cursor.execute(f"INSERT INTO {_q(building)} ({columns}) SELECT {columns} FROM {_q(table)}")
    cursor.execute(f"DROP TABLE {_q(table)}")  # with its partitions and its owned sequence
    cursor.execute(f"ALTER TABLE {_q(building)} RENAME TO {_q(table)}")
    cursor.execute(
        f"ALTER TABLE {_q(table)} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (START WITH {int(next_id)})"
    )
    _restore(cursor, table, definitions, lambda cols: [col for col in cols if col != column] or cols)


def _create_month(cursor, parent: str, month: date, *, name: str) -> None:
    cursor.execute(
        f"CREATE TABLE {_q(name)} PARTITION OF {_q(parent)} "
        f"FOR VALUES FROM ({_bound(month)}) TO ({_bound(add_months(month, 1))})"
    )


def _default_months(cursor, table: str, column: str) -> list[date]:
    cursor.execute(
        f"SELECT DISTINCT date_trunc('month', {_q(column)} AT TIME ZONE 'UTC')::date FROM {_q(default_name(table))}"
    )
    return sorted(month for (month,) in cursor.fetchall())


@dataclass(frozen=True)
class Maintained:
    table: str
    created: list[date]  # months created ahead
    split: list[date]  # months whose rows had landed in the default partition and now have their own


def maintain(
    cursor,
    table: str,
    column: str,
    *,
    months_ahead: int,
    today: date | None = None,
    history: tuple[date, date] | None = None,
) -> Maintained:
    """Create this month and the next `months_ahead` months if missing (and the months of `history`, first and last
    day, when given: a bulk load of history creates its months before it writes), and give every month found in
    the default partition a partition of its own, moving its rows there. Idempotent; call inside a transaction.

    A month cannot be created while the default partition holds rows of it, so those months are split: the default
    is detached, the months created, a new default attached, and the old default's rows inserted through the
    parent (each lands in its month; ids kept). Nothing is deleted row by row, so the retention guard on DELETE is
    not in the way. The default stays empty in a healthy platform: this runs under ACCESS EXCLUSIVE on the parent
    for as long as it takes to move what is there.
    """
    this_month = month_start(today or datetime.now(UTC))
    existing = {month for _, month in partitions(cursor, table) if month is not None}
    wanted = set(_months(this_month, add_months(this_month, months_ahead)))
    if history:
        wanted |= set(_months(month_start(history[0]), month_start(history[1])))
    wanted = sorted(wanted - existing)
    stray = [month for month in _default_months(cursor, table, column) if month not in existing]
    if stray:
        held = f"{default_name(table)}__held"
        cursor.execute(f"LOCK TABLE {_q(table)} IN ACCESS EXCLUSIVE MODE")
        cursor.execute(f"ALTER TABLE {_q(table)} DETACH PARTITION {_q(default_name(table))}")
        cursor.execute(f"ALTER TABLE {_q(default_name(table))} RENAME TO {_q(held)}")
        for month in sorted(set(stray) | set(wanted)):
            _create_month(cursor, table, month, name=partition_name(table, month))
        cursor.execute(f"CREATE TABLE {_q(default_name(table))} PARTITION OF {_q(table)} DEFAULT")
        columns = ", ".join(_columns(cursor, table))
        cursor.execute(f"INSERT INTO {_q(table)} ({columns}) SELECT {columns} FROM {_q(held)}")
        # Deferred foreign-key checks of rows written earlier in this transaction are queued on the held table and
        # block its drop: run them now, then defer again (every deferrable constraint here is initially deferred).
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(f"DROP TABLE {_q(held)}")
    else:
        for month in wanted:
            _create_month(cursor, table, month, name=partition_name(table, month))
    return Maintained(table=table, created=[month for month in wanted if month not in stray], split=stray)


class PartitionRetained(Exception):
    """A partition still holds records within their retention period: it stays attached."""


def retained_orders(cursor, name: str) -> int:
    """Orders with rows in the partition whose records are still within their retention period (records 0001).
    One `records_retained_until` per order, not per row: a month of hops holds dozens of rows per order."""
    cursor.execute(
        f"SELECT count(*) FROM (SELECT DISTINCT order_id FROM {_q(name)}) AS held "
        "WHERE coalesce(records_retained_until(held.order_id) > now(), false)"
    )
    return cursor.fetchone()[0]


def detach_month(cursor, table: str, month: date, *, retention_years: int, today: date | None = None) -> str:
    """Detach one month's partition from its table, leaving it a plain table to archive (pg_dump) and drop.

    Refused (PartitionRetained) while the month is younger than the retention period, or while any of its rows
    belongs to an order whose records are still retained (`records_retained_until`: five years after the
    business, one year past the goods' latest expiry). Call inside a transaction.
    """
    name = partition_name(table, month)
    if (name, month) not in partitions(cursor, table):
        raise PartitionRetained(f"{name} is not a partition of {table}")
    this_month = month_start(today or datetime.now(UTC))
    if add_months(month, 1 + 12 * retention_years) > this_month:
        raise PartitionRetained(f"{name} is within the {retention_years}-year retention period")
    if retained := retained_orders(cursor, name):
        raise PartitionRetained(f"{name} holds records of {retained} orders still within their retention period")
    cursor.execute(f"ALTER TABLE {_q(table)} DETACH PARTITION {_q(name)}")
    return name


def months_past_retention(cursor, table: str, *, retention_years: int, today: date | None = None) -> list[date]:
    """Months of the table whose whole range ended more than `retention_years` ago (candidates for detaching)."""
    this_month = month_start(today or datetime.now(UTC))
    return [
        month
        for _, month in partitions(cursor, table)
        if month is not None and add_months(month, 1 + 12 * retention_years) <= this_month
    ]
