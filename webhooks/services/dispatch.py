"""Queueing delivery tasks after commit, without ever losing a delivery to a broker outage."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import partial

from django.db import DatabaseError, transaction
from django.utils import timezone

from webhooks.choices import DeliveryStatus
from webhooks.models import WebhookDelivery
from webhooks.tasks import webhook_deliver_task

logger = logging.getLogger(__name__)


def dispatch_on_commit(delivery_ids: Sequence[int], *, countdown: int | None = None) -> None:
    """Queue one delivery task per id once the current transaction commits (never inside it, STYLE G12)."""
    if delivery_ids:
        transaction.on_commit(partial(_send, list(delivery_ids), countdown))


def _send(delivery_ids: list[int], countdown: int | None) -> None:
    for index, delivery_id in enumerate(delivery_ids):
        try:
            webhook_deliver_task.apply_async((delivery_id,), countdown=countdown)
        except Exception:
            # The change and its deliveries are committed; only the wake-up call failed. Mark the rest
            # undispatched so the next retry/sweep run queues them (SPEC §9: a broker outage loses nothing).
            logger.exception("webhook dispatch failed; %d deliveries left to the sweeper", len(delivery_ids) - index)
            _mark_undispatched(delivery_ids[index:])
            return


def _mark_undispatched(delivery_ids: list[int]) -> None:
    try:
        WebhookDelivery.objects.filter(pk__in=delivery_ids, status=DeliveryStatus.PENDING).update(
            dispatched_at=None, updated_at=timezone.now()
        )
    except DatabaseError:  # the sweeper still finds them once dispatched_at is stale
        logger.exception("could not mark %d webhook deliveries undispatched", len(delivery_ids))
