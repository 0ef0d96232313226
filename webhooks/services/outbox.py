"""The transactional outbox: other services announce events here, inside their own transaction."""

from __future__ import annotations

import datetime as dt
import enum
import math
import uuid
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise

from pharmex import appends
from pharmex.db import mark_saved
from webhooks import sql
from webhooks.choices import DeliveryStatus
from webhooks.errors import OutboxOutsideTransaction, WebhookEventTypeUnknown
from webhooks.events import EVENT_TYPES
from webhooks.models import OutboxEvent
from webhooks.services.dispatch import dispatch_on_commit
from webhooks.signing import iso_utc


def json_safe(value: Any) -> Any:
    """The payload as JSON values: Decimals as strings ("12.50"), timestamps ISO 8601 UTC, UUIDs as strings.

    Raises: TypeError for a value with no JSON form (a model instance, bytes): pass ids, not objects.
    """
    if isinstance(value, enum.Enum):  # TextChoices are str subclasses: store the plain value
        return json_safe(value.value)
    if isinstance(value, float) and not math.isfinite(value):
        raise TypeError(f"{value} has no JSON form")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return iso_utc(value) if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, Promise)):
        return str(value)
    if isinstance(value, dict):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(item) for item in value]
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable in a webhook payload")


def _outbox_rows_written(events: list[OutboxEvent], rows: list[tuple]) -> None:
    ids = {event_id: pk for row, pk, event_id in rows if row == "event"}
    for event in events:
        mark_saved(event, ids[event.event_id])
    dispatch_on_commit(sorted(pk for row, pk, _event_id in rows if row == "delivery"))


OUTBOX_ROWS = appends.register(
    appends.AppendKind(
        name="outbox",
        ctes=sql.OUTBOX_ROWS,
        params=lambda events: sql.outbox_rows_params(
            events, pending=DeliveryStatus.PENDING.value, max_attempts=settings.WEBHOOK_MAX_ATTEMPTS
        ),
        result=sql.OUTBOX_ROWS_WRITTEN,
        result_columns=3,
        written=_outbox_rows_written,
    )
)


def outbox_publish(
    *,
    event_type: str,
    organization_ids: Iterable[int],
    payload: dict,
    object_type: str,
    object_id: Any,
) -> list[OutboxEvent]:
    """Announce an event to organisations, inside the transaction of the change it describes.

    Writes one OutboxEvent per recipient organisation (its own stable `event_id`) and one pending
    WebhookDelivery per active endpoint of that organisation subscribed to `event_type`; their
    delivery tasks are queued after commit, so a rolled-back change announces nothing and a committed
    one is delivered even if the broker is down (the sweeper re-dispatches). Each delivery's dispatched_at
    is set now: its task is queued on commit, and the sweeper takes over if it never runs. Inside a creating POST's
    transaction the rows are written with its last statement, and the events get their ids then (pharmex.appends).

    Raises: OutboxOutsideTransaction when called in autocommit; WebhookEventTypeUnknown when
    `event_type` is not in events.EVENT_TYPES; TypeError for a payload value with no JSON form.
    """
    if not transaction.get_connection().in_atomic_block:
        raise OutboxOutsideTransaction("outbox_publish must run inside the transaction of the change it announces.")
    if event_type not in EVENT_TYPES:
        raise WebhookEventTypeUnknown(f"{event_type!r} is not a registered webhook event type.")
    recipients = list(dict.fromkeys(int(pk) for pk in organization_ids if pk is not None))
    if not recipients:
        return []
    data = json_safe(payload)
    now = timezone.now()
    events = [
        OutboxEvent(
            event_type=event_type,
            organization_id=organization_id,
            object_type=object_type,
            object_id=str(object_id),
            payload=data,
            created_at=now,
        )
        for organization_id in recipients
    ]
    appends.append(OUTBOX_ROWS, events)
    return events
