"""The webhooks app's hand-written SQL (pharmex/db.py has the policy; tests/webhooks/test_sql.py the parity).

Every order change announces itself: the events and their deliveries go in one statement, with the rest of what the
change appends (pharmex.appends).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from pharmex.db import column, table
from webhooks.models import OutboxEvent, WebhookDelivery, WebhookEndpoint

_E, _D, _P = OutboxEvent, WebhookDelivery, WebhookEndpoint


def _columns(model, *names: str) -> str:
    return ", ".join(column(model, name) for name in names)


# Outbox events as rows appended with the change (pharmex.appends; webhooks.services.outbox registers the kind): an
# event row per recipient of each announcement, and a pending delivery per active endpoint of that recipient
# subscribed to the event's type, created when the event was.
OUTBOX_ROWS = f"""outbox_event AS (
    INSERT INTO {table(_E)}
        ({_columns(_E, "event_id", "event_type", "organization", "object_type", "object_id", "payload", "created_at")})
    SELECT event.event_id, event.event_type, event.organization_id, event.object_type, event.object_id,
           event.payload::jsonb, event.created_at
    FROM unnest(%(outbox_event_ids)s::uuid[], %(outbox_event_types)s::varchar[], %(outbox_organization_ids)s::bigint[],
                %(outbox_object_types)s::varchar[], %(outbox_object_ids)s::varchar[], %(outbox_payloads)s::text[],
                %(outbox_created_at)s::timestamptz[])
        AS event (event_id, event_type, organization_id, object_type, object_id, payload, created_at)
    RETURNING {_columns(_E, "id", "event_id", "event_type", "organization", "created_at")}
), outbox_delivery AS (
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
    SELECT event.{column(_E, "id")}, endpoint.{column(_P, "id")}, %(outbox_pending)s, 0, %(outbox_max_attempts)s,
           event.{column(_E, "created_at")}, event.{column(_E, "created_at")}, '', event.{column(_E, "created_at")},
           event.{column(_E, "created_at")}
    FROM outbox_event AS event JOIN {table(_P, "endpoint")}
        ON endpoint.{column(_P, "organization")} = event.{column(_E, "organization")}
    WHERE endpoint.{column(_P, "is_active")}
      AND endpoint.{column(_P, "event_types")} @> ARRAY[event.{column(_E, "event_type")}]::varchar[]
    ORDER BY event.{column(_E, "id")}, endpoint.{column(_P, "id")}
    RETURNING {column(_D, "id")}
)"""
# ('event', its id, its event_id) for each event; ('delivery', its id, NULL) for each delivery.
OUTBOX_ROWS_WRITTEN = f"""
    SELECT 'event' AS row, {column(_E, "id")}, {column(_E, "event_id")} FROM outbox_event
    UNION ALL
    SELECT 'delivery', {column(_D, "id")}, NULL FROM outbox_delivery
"""


def outbox_rows_params(events: Sequence[OutboxEvent], *, pending: str, max_attempts: int) -> dict:
    return {
        "outbox_event_ids": [event.event_id for event in events],
        "outbox_event_types": [event.event_type for event in events],
        "outbox_organization_ids": [event.organization_id for event in events],
        "outbox_object_types": [event.object_type for event in events],
        "outbox_object_ids": [event.object_id for event in events],
        "outbox_payloads": [json.dumps(event.payload) for event in events],
        "outbox_created_at": [event.created_at for event in events],
        "outbox_pending": pending,
        "outbox_max_attempts": max_attempts,
    }
