"""The partition jobs (issue 19 item 2): months created ahead by beat, months past retention detached on request.

The DDL is in pharmex/partitions.py; this module picks the tables (`PARTITIONED`), reads the settings, takes the
lock that keeps two runs apart and audits what it detached.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction

from pharmex import partitions
from pharmex.actor import SYSTEM_ACTOR
from pharmex.audit import audit_record
from pharmex.db import advisory_xact_lock, lock_timeout

# GSP records are kept five years after the business (records 0001, `records_retained_until`): no month younger
# than that is even looked at; the rows' own retention is then checked one by one.
RETENTION_YEARS = 5


def partitioned_tables() -> Iterator[tuple[str, str]]:
    """(table, timestamp column) of every partitioned table."""
    for label, field_name in partitions.PARTITIONED.items():
        model = apps.get_model(label)
        yield model._meta.db_table, model._meta.get_field(field_name).column


def partitions_maintain(*, months_ahead: int | None = None, history=None) -> list[partitions.Maintained]:
    """Create this month and the next PARTITIONS_MONTHS_AHEAD months of every partitioned table (and the months of
    `history`, (first day, last day), when given), and split off the months whose rows landed in a default
    partition. Idempotent; one transaction."""
    ahead = settings.PARTITIONS_MONTHS_AHEAD if months_ahead is None else months_ahead
    with transaction.atomic():
        advisory_xact_lock("pharmex.partitions")
        # DDL on the parent waits for every transaction reading it; better to fail and retry at the next run
        # than to queue every insert behind the wait.
        with lock_timeout(settings.PARTITIONS_LOCK_TIMEOUT), connection.cursor() as cursor:
            return [
                partitions.maintain(cursor, table, column, months_ahead=ahead, history=history)
                for table, column in partitioned_tables()
            ]


def partitions_analyze(tables: list[str]) -> None:
    """Refresh the parents' statistics, outside the DDL's transaction (ANALYZE does not block inserts; the DDL's
    lock would, for as long as ANALYZE ran)."""
    with connection.cursor() as cursor:
        for table in tables:
            partitions.analyze_parent(cursor, table)


@dataclass(frozen=True)
class DetachResult:
    enabled: bool
    detached: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)  # partition → why it stays


def partitions_detach_past_retention(*, today=None) -> DetachResult:
    """Detach every monthly partition whose records are all past their retention period (off unless
    PARTITIONS_DETACH_ENABLED). Detached partitions stay in the database as plain tables, out of every query, for
    the operator to archive (pg_dump -t) and drop. One transaction per partition."""
    if not settings.PARTITIONS_DETACH_ENABLED:
        return DetachResult(enabled=False)
    detached, kept = [], {}
    for table, _ in partitioned_tables():
        with connection.cursor() as cursor:
            months = partitions.months_past_retention(cursor, table, retention_years=RETENTION_YEARS, today=today)
        for month in months:
            try:
                name = _detach(table, month, today=today)
            except partitions.PartitionRetained as refusal:
                kept[partitions.partition_name(table, month)] = str(refusal)
            else:
                detached.append(name)
    return DetachResult(enabled=True, detached=detached, kept=kept)


def partition_detach(*, table: str, month, today=None) -> str:
    """Detach one named month now (the operator's command); PartitionRetained when it is still retained."""
    if not settings.PARTITIONS_DETACH_ENABLED:
        raise partitions.PartitionRetained("detaching partitions is off (PARTITIONS_DETACH_ENABLED is not set)")
    if table not in dict(partitioned_tables()):
        raise partitions.PartitionRetained(f"{table} is not a partitioned table")
    return _detach(table, month, today=today)


def _detach(table: str, month, *, today) -> str:
    """Detach one month in a transaction of its own, audited; PartitionRetained when it is still retained."""
    with transaction.atomic():
        advisory_xact_lock("pharmex.partitions")
        with lock_timeout(settings.PARTITIONS_LOCK_TIMEOUT), connection.cursor() as cursor:
            name = partitions.detach_month(cursor, table, month, retention_years=RETENTION_YEARS, today=today)
        audit_record(
            actor=SYSTEM_ACTOR.audit,
            action="partition.detached",
            object_type="partition",
            object_id=name,
            changes={"table": table, "month": month.isoformat()},
        )
    return name
