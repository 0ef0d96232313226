"""Tests that write history commit monthly partitions that outlive their flush: `drop_history_partitions` puts the
partitioned tables back as a fresh database has them (this month on), so the tests after see the same tables."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import connection

from pharmex import partitions
from pharmex.partition_jobs import partitioned_tables


def drop_history_partitions() -> None:
    this_month = partitions.month_start(datetime.now(UTC))
    with connection.cursor() as cursor:
        for table, _ in partitioned_tables():
            for name, month in partitions.partitions(cursor, table):
                if month is not None and month < this_month:
                    cursor.execute(f"DROP TABLE {connection.ops.quote_name(name)}")
