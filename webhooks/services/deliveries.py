"""Delivering: one attempt at a time, retried with backoff for about a day, then given up.

Attempts are claimed with a conditional UPDATE (no lock is held while the HTTP call runs) and their
outcome is written in a second short transaction. The schedule lives in the database
(`next_attempt_at`): short waits ride on a task countdown, longer ones on the per-minute retry job,
and the sweeper re-dispatches anything whose task was lost, so no broker hiccup loses a delivery.
"""

from __future__ import annotations

import math
import random
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from pharmex.actor import Actor
from pharmex.audit import SYSTEM, audit_record
from pharmex.errors import NotAParty
from webhooks import delivery as http
from webhooks.choices import DeliveryStatus
from webhooks.errors import WebhookDeliveryInProgress, WebhookEndpointInactive
from webhooks.models import OutboxEvent, WebhookAttempt, WebhookDelivery
from webhooks.services.dispatch import dispatch_on_commit
from webhooks.signing import SIGNATURE_HEADER, event_body, signature_header

BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 4 * 3600
BACKOFF_JITTER = 0.1  # up to +10 %, so endpoints that failed together do not retry in lockstep
# An attempt not finished by then is presumed lost (worker died); the delivery becomes claimable again.
CLAIM_LEASE = timedelta(minutes=5)
# Waits up to this long use a task countdown (far below the broker's visibility timeout, RELIABILITY §5);
# longer ones wait for the retry job, which reads next_attempt_at from the database.
COUNTDOWN_LIMIT = timedelta(minutes=5)
# A delivery dispatched this long ago and still not attempted lost its task: the sweeper re-dispatches it.
DISPATCH_STALE_AFTER = timedelta(minutes=3)
DISPATCH_BATCH = 1000
OUTBOX_RETENTION = timedelta(days=90)


def backoff_delay(attempt: int, *, rng: Callable[[], float] = random.random) -> timedelta:
    """Wait after failed attempt number `attempt`: 30 s doubling to a 4 h cap, plus up to 10 % jitter.

    With the default 15 attempts the schedule spans about 24 h 15 min before giving up.
    """
    base = min(BACKOFF_BASE_SECONDS * 2 ** (attempt - 1), BACKOFF_CAP_SECONDS)
    return timedelta(seconds=base * (1 + BACKOFF_JITTER * rng()))


def _unclaimed(now) -> Q:
    return Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)


def _claim(delivery_id: int) -> uuid.UUID | None:
    """Take the next attempt of a due, pending delivery; None when it is not ours to make."""
    now, token = timezone.now(), uuid.uuid4()
    claimed = (
        WebhookDelivery.objects.filter(
            _unclaimed(now),
            pk=delivery_id,
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            attempts__lt=F("max_attempts"),
        ).update(
            claim_token=token,
            claimed_until=now + CLAIM_LEASE,
            attempts=F("attempts") + 1,
            dispatched_at=None,
            updated_at=now,
        )
        == 1
    )
    return token if claimed else None


def webhook_deliver(*, delivery_id: int) -> WebhookAttempt | None:
    """Make the delivery's next attempt if it is due and nobody else is making it; returns the logged attempt.

    Idempotent: a succeeded, given-up, not-yet-due or currently claimed delivery is left alone (None).
    Must not run inside a transaction: the HTTP call waits on the network.
    """
    token = _claim(delivery_id)
    if token is None:
        return None
    delivery = WebhookDelivery.objects.select_related("event", "endpoint").filter(pk=delivery_id).first()
    if delivery is None:  # the endpoint was deleted meanwhile
        return None
    endpoint, event = delivery.endpoint, delivery.event
    attempted_at = timezone.now()
    if not endpoint.is_active:
        result = http.HttpResult(None, "Not sent: the endpoint is disabled.", "", 0, None)
        return _record(delivery, token, result, attempted_at=attempted_at, give_up=True)
    body = event_body(
        event_id=str(event.event_id), event_type=event.event_type, created_at=event.created_at, data=event.payload
    )
    headers = {
        "PharmEx-Event-Id": str(event.event_id),
        "PharmEx-Event-Type": event.event_type,
        "PharmEx-Delivery-Id": str(delivery.pk),
        "PharmEx-Delivery-Attempt": str(delivery.attempts),
        SIGNATURE_HEADER: signature_header(secrets=endpoint.signing_secrets(), timestamp=int(time.time()), body=body),
    }
    result = http.post(url=endpoint.url, body=body, headers=headers)
    return _record(delivery, token, result, attempted_at=attempted_at)


def _record(
    delivery: WebhookDelivery,
    token: uuid.UUID,
    result: http.HttpResult,
    *,
    attempted_at: datetime,
    give_up: bool = False,
) -> WebhookAttempt | None:
    """Log the attempt and set the delivery's next state, if our claim still holds."""
    now = timezone.now()
    changes: dict = {
        "claim_token": None,
        "claimed_until": None,
        "last_status_code": result.status_code,
        "last_error": result.error,
        "updated_at": now,
    }
    countdown = None
    if result.succeeded:
        changes.update(status=DeliveryStatus.SUCCEEDED, succeeded_at=now, next_attempt_at=None, dispatched_at=None)
    elif give_up or delivery.attempts >= delivery.max_attempts:
        changes.update(status=DeliveryStatus.GAVE_UP, next_attempt_at=None, dispatched_at=None)
    else:
        delay = backoff_delay(delivery.attempts)
        next_attempt_at = now + delay
        if delay <= COUNTDOWN_LIMIT:
            countdown = math.ceil(delay.total_seconds())
        # With a countdown the task becomes runnable at next_attempt_at; the sweeper measures staleness from it.
        changes.update(next_attempt_at=next_attempt_at, dispatched_at=next_attempt_at if countdown else None)
    with transaction.atomic():
        ours = WebhookDelivery.objects.filter(pk=delivery.pk, claim_token=token).update(**changes) == 1
        if not ours and not WebhookDelivery.objects.filter(pk=delivery.pk).exists():
            return None  # deleted with its endpoint meanwhile: nothing to log against
        attempt = WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            attempted_at=attempted_at,
            url=delivery.endpoint.url,
            ip=result.address,
            status_code=result.status_code,
            succeeded=result.succeeded,
            error=result.error,
            duration_ms=result.duration_ms,
            response_body=result.response_body,
        )
        if ours and changes.get("status") == DeliveryStatus.GAVE_UP:
            _audit_gave_up(delivery, reason=result.error)
        if ours and countdown is not None:
            dispatch_on_commit([delivery.pk], countdown=countdown)
    return attempt


def _audit_gave_up(delivery: WebhookDelivery, *, reason: str) -> None:
    audit_record(
        actor=SYSTEM,
        action="webhook_delivery.gave_up",
        object_type="webhook_delivery",
        object_id=delivery.pk,
        organization_id=delivery.endpoint.organization_id,
        changes={
            "status": [DeliveryStatus.PENDING, DeliveryStatus.GAVE_UP],
            "attempts": delivery.attempts,
            "reason": reason,
        },
    )


@transaction.atomic
def webhook_delivery_redeliver(*, delivery: WebhookDelivery, actor: Actor) -> WebhookDelivery:
    """Schedule an attempt now, whatever the delivery's state (also after success or giving up).

    A pending delivery keeps its remaining retries; a finished one gets this one extra attempt.
    Raises: NotAParty, WebhookEndpointInactive, WebhookDeliveryInProgress (an attempt is running right now).
    """
    delivery = (
        WebhookDelivery.objects.select_for_update(of=("self",)).select_related("endpoint", "event").get(pk=delivery.pk)
    )
    if not (actor.is_admin or actor.acts_for(delivery.endpoint.organization_id)):
        raise NotAParty()
    if not delivery.endpoint.is_active:
        raise WebhookEndpointInactive()
    now = timezone.now()
    if delivery.claimed_until is not None and delivery.claimed_until > now:
        raise WebhookDeliveryInProgress()
    before = delivery.status
    if before != DeliveryStatus.PENDING or delivery.attempts >= delivery.max_attempts:
        delivery.max_attempts = delivery.attempts + 1
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = delivery.dispatched_at = now
    delivery.save(update_fields=["status", "max_attempts", "next_attempt_at", "dispatched_at", "updated_at"])
    audit_record(
        actor=actor.audit,
        action="webhook_delivery.redelivered",
        object_type="webhook_delivery",
        object_id=delivery.pk,
        organization_id=delivery.endpoint.organization_id,
        changes={"status": [before, DeliveryStatus.PENDING], "event_id": str(delivery.event.event_id)},
    )
    dispatch_on_commit([delivery.pk])
    return delivery


def webhook_retry_due(*, limit: int = DISPATCH_BATCH) -> int:
    """Queue the due attempts that have no task (retries after a long backoff, failed dispatches)."""
    return _dispatch_due(Q(dispatched_at__isnull=True), limit=limit)


def webhook_outbox_sweep(*, limit: int = DISPATCH_BATCH, stale_after: timedelta = DISPATCH_STALE_AFTER) -> int:
    """Re-queue due deliveries whose task never ran (SPEC §9), and close those whose last attempt was lost.

    Returns how many deliveries were dispatched.
    """
    _give_up_interrupted()
    stale = Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=timezone.now() - stale_after)
    return _dispatch_due(stale, limit=limit)


@transaction.atomic
def _dispatch_due(condition: Q, *, limit: int) -> int:
    now = timezone.now()
    # SKIP LOCKED: concurrent runs of the retry job and the sweeper split the work instead of waiting.
    due = list(
        WebhookDelivery.objects.filter(
            condition,
            _unclaimed(now),
            status=DeliveryStatus.PENDING,
            next_attempt_at__lte=now,
            attempts__lt=F("max_attempts"),
        )
        .order_by("next_attempt_at", "pk")
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)[:limit]
    )
    if due:
        WebhookDelivery.objects.filter(pk__in=due).update(dispatched_at=now, updated_at=now)
        dispatch_on_commit(due)
    return len(due)


@transaction.atomic
def _give_up_interrupted() -> int:
    """Pending deliveries with no attempts left whose last attempt never reported back (its worker died)."""
    now = timezone.now()
    lost = list(
        WebhookDelivery.objects.filter(_unclaimed(now), status=DeliveryStatus.PENDING, attempts__gte=F("max_attempts"))
        .select_related("endpoint")
        .select_for_update(of=("self",), skip_locked=True)[:DISPATCH_BATCH]
    )
    reason = "The last attempt was interrupted before it reported back, and no attempts remain."
    for delivery in lost:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.GAVE_UP,
            next_attempt_at=None,
            dispatched_at=None,
            claim_token=None,
            claimed_until=None,
            last_error=reason,
            updated_at=now,
        )
        _audit_gave_up(delivery, reason=reason)
    return len(lost)


def webhook_outbox_purge(*, older_than: timedelta = OUTBOX_RETENTION, batch: int = 5000) -> int:
    """Delete events (with their deliveries and attempt log) older than the retention that have nothing pending."""
    cutoff, deleted = timezone.now() - older_than, 0
    while True:
        with transaction.atomic():
            ids = list(
                OutboxEvent.objects.filter(created_at__lt=cutoff)
                .exclude(deliveries__status=DeliveryStatus.PENDING)
                .values_list("pk", flat=True)[:batch]
            )
            if ids:
                OutboxEvent.objects.filter(pk__in=ids).delete()
        deleted += len(ids)
        if len(ids) < batch:
            return deleted
