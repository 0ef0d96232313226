"""The webhooks app's hand-written SQL (pharmex/db.py has the policy; tests/webhooks/test_sql.py the parity).

Every order change announces itself: the events and their deliveries go in one statement.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from pharmex.db import column, fetch_all, table
from webhooks.models import OutboxEvent, WebhookDelivery, WebhookEndpoint

_E, _D, _P = OutboxEvent, WebhookDelivery, WebhookEndpoint


def _columns(model, *names: str) -> str:
    return ", ".join(column(model, name) for name in names)


# An event row per recipient, and a pending delivery per active endpoint of that recipient subscribed to the type.
PUBLISH = f"""
    WITH event AS (
        INSERT INTO {table(_E)}
            ({
    _columns(_E, "event_id", "event_type", "organization", "object_type", "object_id", "payload", "created_at")
})
        SELECT recipient.event_id, %(event_type)s, recipient.organization_id, %(object_type)s, %(object_id)s,
               %(payload)s::jsonb, %(now)s
        FROM unnest(%(event_ids)s::uuid[], %(organization_ids)s::bigint[]) AS recipient (event_id, organization_id)
        RETURNING {column(_E, "id")}, {column(_E, "organization")}
    ), delivery AS (
        INSERT INTO {table(_D)}
            ({
    _columns(
        _D,
        "event",
        "endpoint",
        "status",
        "attempts",
        "max_attempts",
        "next_attempt_at",
        "dispatched_at",
        "last_error",
        "created_at",
        "updated_at",
    )
})
        SELECT event.{column(_E, "id")}, endpoint.{column(_P, "id")}, %(pending)s, 0, %(max_attempts)s, %(now)s,
               %(now)s, '', %(now)s, %(now)s
        FROM event JOIN {table(_P, "endpoint")}
            ON endpoint.{column(_P, "organization")} = event.{column(_E, "organization")}
        WHERE endpoint.{column(_P, "is_active")}
          AND endpoint.{column(_P, "event_types")} @> ARRAY[%(event_type)s]::varchar[]
        ORDER BY endpoint.{column(_P, "id")}
        RETURNING {column(_D, "id")}
    )
    SELECT {column(_E, "id")}, {column(_E, "organization")} FROM event
    UNION ALL
    SELECT {column(_D, "id")}, NULL FROM delivery
"""


def outbox_insert(
    *,
    event_type: str,
    object_type: str,
    object_id: str,
    payload: dict,
    now: datetime,
    event_ids: Sequence[UUID],
    organization_ids: Sequence[int],
    pending: str,
    max_attempts: int,
) -> tuple[dict[int, int], list[int]]:
    """Write the events and their deliveries; returns ({organisation id: event id}, [delivery id, …])."""
    rows = fetch_all(
        PUBLISH,
        {
            "event_type": event_type,
            "object_type": object_type,
            "object_id": object_id,
            "payload": json.dumps(payload),
            "now": now,
            "event_ids": list(event_ids),
            "organization_ids": list(organization_ids),
            "pending": pending,
            "max_attempts": max_attempts,
        },
    )
    events = {organization_id: pk for pk, organization_id in rows if organization_id is not None}
    return events, [pk for pk, organization_id in rows if organization_id is None]
