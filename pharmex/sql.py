"""The kernel's hand-written SQL (pharmex/db.py has the policy; tests/pharmex/test_sql.py the parity).

Every state change writes an audit record, and every keyed POST claims its Idempotency-Key and stores its
response: all run on every placement, the audit record and the stored response in one statement (pharmex.appends).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder

from pharmex.appends import write_kept
from pharmex.db import InsertColumns, column, execute, fetch_one, table
from pharmex.models import AuditEvent, IdempotencyKey, RateCounter

_AUDIT = InsertColumns(AuditEvent)
_AUDIT_ID = column(AuditEvent, "id")
# Audit records as rows appended with the change (pharmex.appends: pharmex.audit registers the kind). They go in in
# the order of the parameter's array, so their ids, from one sequence, rise in that order.
AUDIT_ROWS = f"""audit_rows AS (
    INSERT INTO {_AUDIT.table} ({_AUDIT.columns})
    SELECT {_AUDIT.aliased_columns("row")} FROM {_AUDIT.recordset("row", "%(audit_rows)s")}
    RETURNING {_AUDIT_ID}
)"""
AUDIT_ROWS_WRITTEN = f"SELECT {_AUDIT_ID} FROM audit_rows"


def audit_rows_params(events: Sequence[AuditEvent]) -> dict:
    return {"audit_rows": _AUDIT.rows_json(events)}


_SEQUENCE, _PREVIOUS_HASH, _HASH = (column(AuditEvent, name) for name in ("sequence", "previous_hash", "hash"))
# The sealer's batch in one statement with four array parameters: bulk_update's CASE expressions cost about 0.3 ms
# of Python per record, most of the sealer's CPU on a busy platform (BENCHMARKS.md, order placement).
SEAL_AUDIT_EVENTS = f"""
    UPDATE {table(AuditEvent, "event")}
    SET {_SEQUENCE} = link.sequence, {_PREVIOUS_HASH} = link.previous_hash, {_HASH} = link.hash
    FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[], %s::varchar[]) AS link (id, sequence, previous_hash, hash)
    WHERE {column(AuditEvent, "id", "event")} = link.id
"""


def audit_events_seal(events: Sequence[AuditEvent]) -> None:
    """Write each event's sequence, previous_hash and hash (set on the instances)."""
    execute(
        SEAL_AUDIT_EVENTS,
        [
            [event.pk for event in events],
            [event.sequence for event in events],
            [event.previous_hash for event in events],
            [event.hash for event in events],
        ],
    )


_KEY = IdempotencyKey
_SCOPE, _KEY_COLUMN = column(_KEY, "scope"), column(_KEY, "key")

# Claims the key inside the request's transaction (RELIABILITY §1, "our design"): a transaction-level
# advisory lock on the key tells a request still running (lock not granted) from a finished one (the
# stored row), without waiting on the other transaction; the INSERT then claims the key, and it
# vanishes with the transaction if the request fails, so no claim can be left behind by a crash.
CLAIM_IDEMPOTENCY_KEY = f"""
    WITH lock AS (SELECT pg_try_advisory_xact_lock(hashtextextended(%(lock)s, 0)) AS held),
    claim AS (
        INSERT INTO {table(_KEY)} ({_SCOPE}, {_KEY_COLUMN}, {column(_KEY, "method")}, {column(_KEY, "path")},
            {column(_KEY, "fingerprint")}, {column(_KEY, "response_headers")}, {column(_KEY, "created_at")})
        SELECT %(scope)s, %(key)s, %(method)s, %(path)s, %(fingerprint)s, '{{}}', %(now)s FROM lock WHERE lock.held
        ON CONFLICT ({_SCOPE}, {_KEY_COLUMN}) DO NOTHING
        RETURNING {column(_KEY, "id")}
    )
    SELECT lock.held, EXISTS (SELECT FROM claim) FROM lock
"""

# The body is encoded once, on every keyed request. It goes in the statement that writes the rows the request kept
# (pharmex.appends): its parameters are named for that.
STORE_IDEMPOTENT_RESPONSE = f"""
    UPDATE {table(_KEY)} SET {column(_KEY, "response_status")} = %(store_status)s,
        {column(_KEY, "response_body")} = %(store_body)s::jsonb,
        {column(_KEY, "response_headers")} = %(store_headers)s::jsonb
    WHERE {_SCOPE} = %(store_scope)s AND {_KEY_COLUMN} = %(store_key)s
"""


def idempotency_key_claim(
    *, scope: str, key: str, method: str, path: str, fingerprint: str, now: datetime
) -> tuple[bool, bool]:
    """(the key's lock was free, this transaction inserted the claim)."""
    held, claimed = fetch_one(
        CLAIM_IDEMPOTENCY_KEY,
        {
            "lock": f"idempotency\n{scope}\n{key}",
            "scope": scope,
            "key": key,
            "method": method,
            "path": path,
            "fingerprint": fingerprint,
            "now": now,
        },
    )
    return held, claimed


def idempotent_response_store(*, scope: str, key: str, status: int, body: object, headers: dict) -> None:
    """Store the response for replays, in one statement with the rows the request appended (pharmex.appends)."""
    params = {
        "store_status": status,
        "store_body": json.dumps(body, cls=DjangoJSONEncoder),
        "store_headers": json.dumps(headers),
        "store_scope": scope,
        "store_key": key,
    }
    write_kept(also=(STORE_IDEMPOTENT_RESPONSE, params))


_COUNT = column(RateCounter, "count")
# One hit in a fixed window: insert the window's counter or add one to it, atomically (ON CONFLICT takes the
# row lock), so concurrent requests can never both read the same count.
RATE_HIT = f"""
    INSERT INTO {table(RateCounter, "counter")} ({column(RateCounter, "key")}, {_COUNT},
        {column(RateCounter, "expires_at")})
    VALUES (%s, 1, %s)
    ON CONFLICT ({column(RateCounter, "key")}) DO UPDATE SET {_COUNT} = counter.{_COUNT} + 1
    RETURNING {_COUNT}
"""


def rate_hit(*, key: str, expires_at: datetime) -> int:
    """Count one hit on the window counter `key`; returns the count including it."""
    return fetch_one(RATE_HIT, [key, expires_at])[0]


# Positions in the write-ahead log, in bytes (pharmex.replica, read-your-writes). The insert position, not the
# write or flush one: it is past the commit record of every transaction this connection has committed, even
# with synchronous_commit off; a replica that has replayed up to it shows all of them.
WAL_INSERT_POSITION = "SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn"
# NULL on a server that is not a standby (recovering from the primary's WAL).
WAL_REPLAY_POSITION = "SELECT pg_last_wal_replay_lsn() - '0/0'::pg_lsn"


def wal_insert_position() -> int:
    """Where the primary (`default`) is writing its log now."""
    return int(fetch_one(WAL_INSERT_POSITION)[0])


def wal_replay_position(*, using: str) -> int | None:
    """How far the standby behind `using` has replayed the primary's log; None when it is not a standby."""
    (position,) = fetch_one(WAL_REPLAY_POSITION, using=using)
    return None if position is None else int(position)
