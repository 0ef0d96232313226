"""Delivering to a real HTTP receiver on 127.0.0.1: body, headers, signature, retries, giving up, idempotency."""

from __future__ import annotations

import json
import socket
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from pharmex.models import AuditEvent
from webhooks import delivery as http
from webhooks import signing
from webhooks.choices import DeliveryStatus
from webhooks.models import WebhookDelivery
from webhooks.services import (
    backoff_delay,
    outbox_publish,
    webhook_deliver,
    webhook_endpoint_rotate_secret,
)
from webhooks.tasks import webhook_deliver_task

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_delivery")]

ORDER = {"order_id": 981, "number": "PX20261129000042", "total_gross": Decimal("1280.00"), "currency": "CNY"}


def publish(org, event_type: str = "order.placed", payload: dict | None = None):
    [event] = outbox_publish(
        event_type=event_type, organization_ids=[org.pk], payload=payload or ORDER, object_type="order", object_id=981
    )
    return event


def due_now(delivery: WebhookDelivery) -> None:
    """Time travel: the next attempt is due now."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def test_delivers_the_event_signed_with_its_stable_id(org_a, receiver, make_endpoint):
    # given
    endpoint = make_endpoint(org_a, receiver.url("/erp"))
    event = publish(org_a)
    delivery = WebhookDelivery.objects.get(event=event)

    # when
    attempt = webhook_deliver(delivery_id=delivery.pk)

    # then: one POST with the documented body and headers
    [request] = receiver.requests
    assert request.path == "/erp"
    assert json.loads(request.body) == {
        "id": str(event.event_id),
        "type": "order.placed",
        "created_at": signing.iso_utc(event.created_at),
        "data": {"order_id": 981, "number": "PX20261129000042", "total_gross": "1280.00", "currency": "CNY"},
    }
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["PharmEx-Event-Id"] == str(event.event_id)
    assert request.headers["PharmEx-Event-Type"] == "order.placed"
    assert request.headers["PharmEx-Delivery-Id"] == str(delivery.pk)
    assert request.headers["PharmEx-Delivery-Attempt"] == "1"
    assert request.headers["User-Agent"] == "PharmEx-Webhooks/1.0"
    header = request.headers["PharmEx-Signature"]
    timestamp = int(header.split(",")[0].removeprefix("t="))
    assert abs(timestamp - time.time()) < 10
    assert header == f"t={timestamp},v1={signing.sign(secret=endpoint.secret, timestamp=timestamp, body=request.body)}"
    assert signing.verify(secret=endpoint.secret, header=header, body=request.body, now=int(time.time()))
    assert not signing.verify(secret="whsec_wrong", header=header, body=request.body, now=int(time.time()))
    # and the delivery and its log say so
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code, delivery.last_error) == (
        DeliveryStatus.SUCCEEDED,
        1,
        200,
        "",
    )
    assert delivery.next_attempt_at is None and delivery.succeeded_at is not None
    assert delivery.claim_token is None and delivery.claimed_until is None
    assert (attempt.number, attempt.status_code, attempt.succeeded, attempt.error, attempt.response_body) == (
        1,
        200,
        True,
        "",
        "ok",
    )
    assert (attempt.ip, attempt.url) == ("127.0.0.1", receiver.url("/erp"))
    assert 0 <= attempt.duration_ms < 5000


def test_retries_with_exponential_backoff_then_succeeds(org_a, receiver, make_endpoint):
    # given: the receiver fails twice, then recovers
    make_endpoint(org_a, receiver.url())
    delivery = WebhookDelivery.objects.get(event=publish(org_a))
    receiver.answer(500, 500)

    # when: the first attempt fails
    first = webhook_deliver(delivery_id=delivery.pk)

    # then: the next attempt is 30 s (+ up to 10 % jitter) later, in the database
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.PENDING, 1, 500)
    assert delivery.last_error == "HTTP 500 Internal Server Error"
    wait = (delivery.next_attempt_at - first.attempted_at).total_seconds()
    assert 30 <= wait <= 33 + 2
    # a short wait rides on a countdown task, so the delivery counts as dispatched from then on
    assert delivery.dispatched_at == delivery.next_attempt_at

    # when: a task arrives early, it does nothing
    assert webhook_deliver(delivery_id=delivery.pk) is None
    assert len(receiver.requests) == 1

    # when: the second attempt (due now) fails too
    due_now(delivery)
    second = webhook_deliver(delivery_id=delivery.pk)

    # then: the wait doubles
    delivery.refresh_from_db()
    wait = (delivery.next_attempt_at - second.attempted_at).total_seconds()
    assert 60 <= wait <= 66 + 2

    # when: the third attempt reaches the recovered receiver
    due_now(delivery)
    webhook_deliver(delivery_id=delivery.pk)

    # then: succeeded, three attempts logged, the same event and the same body every time
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.SUCCEEDED, 3, None)
    log = list(delivery.attempt_log.order_by("number").values_list("number", "status_code", "succeeded"))
    assert log == [(1, 500, False), (2, 500, False), (3, 200, True)]
    assert len({request.body for request in receiver.requests}) == 1
    assert [request.headers["PharmEx-Delivery-Attempt"] for request in receiver.requests] == ["1", "2", "3"]
    first_log = delivery.attempt_log.get(number=1)
    assert first_log.response_body == ("receiver says no " + "x" * 2000)[:1024]  # excerpt capped at 1 KB


def test_backoff_schedule_spans_about_a_day_in_fifteen_attempts():
    nominal = [backoff_delay(attempt, rng=lambda: 0.0) for attempt in range(1, 15)]
    jittered = [backoff_delay(attempt, rng=lambda: 1.0) for attempt in range(1, 15)]

    assert [int(delay.total_seconds()) for delay in nominal[:5]] == [30, 60, 120, 240, 480]
    assert max(nominal) == timedelta(hours=4)  # capped
    assert timedelta(hours=24) <= sum(nominal, timedelta()) <= timedelta(hours=25)
    assert all(b == a * 1.1 for a, b in zip(nominal, jittered, strict=True))


def test_gives_up_after_the_last_attempt(org_a, receiver, make_endpoint, settings):
    # given: two attempts allowed, the receiver always fails
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    make_endpoint(org_a, receiver.url())
    delivery = WebhookDelivery.objects.get(event=publish(org_a))
    receiver.default_status = 503

    # when
    webhook_deliver(delivery_id=delivery.pk)
    due_now(delivery)
    webhook_deliver(delivery_id=delivery.pk)

    # then
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == (DeliveryStatus.GAVE_UP, 2, None)
    assert delivery.last_error == "HTTP 503 Service Unavailable"
    assert len(receiver.requests) == 2
    audit = AuditEvent.objects.get(action="webhook_delivery.gave_up")
    assert (audit.actor_type, audit.object_id, audit.organization_id) == ("system", str(delivery.pk), org_a.pk)
    # and nothing more happens, whoever calls
    assert webhook_deliver(delivery_id=delivery.pk) is None
    assert len(receiver.requests) == 2


def test_task_is_idempotent_for_a_succeeded_delivery(org_a, receiver, make_endpoint):
    # given
    make_endpoint(org_a, receiver.url())
    delivery = WebhookDelivery.objects.get(event=publish(org_a))

    # when: the task runs twice (a redelivered broker message)
    first = webhook_deliver_task.apply(args=(delivery.pk,)).get()
    second = webhook_deliver_task.apply(args=(delivery.pk,)).get()

    # then: one request, one attempt
    assert (first, second) == (True, False)
    assert len(receiver.requests) == 1
    assert delivery.attempt_log.count() == 1


def test_a_redirect_is_a_failed_attempt_and_is_not_followed(org_a, receiver, make_endpoint):
    # given: the receiver redirects to the cloud metadata address
    make_endpoint(org_a, receiver.url())
    delivery = WebhookDelivery.objects.get(event=publish(org_a))
    receiver.answer(302)

    # when
    attempt = webhook_deliver(delivery_id=delivery.pk)

    # then
    assert len(receiver.requests) == 1
    assert (attempt.status_code, attempt.succeeded) == (302, False)
    assert attempt.error == (
        "Redirects are not followed (HTTP 302 to 'http://169.254.169.254/latest/meta-data/'); register the final URL."
    )
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING


def test_a_slow_receiver_times_out(org_a, receiver, make_endpoint, monkeypatch):
    # given: a read timeout shorter than the receiver's answer
    monkeypatch.setattr(http, "READ_TIMEOUT_SECONDS", 0.3)
    receiver.delay_seconds = 1.5
    make_endpoint(org_a, receiver.url())
    delivery = WebhookDelivery.objects.get(event=publish(org_a))

    # when
    attempt = webhook_deliver(delivery_id=delivery.pk)

    # then
    assert (attempt.status_code, attempt.succeeded, attempt.ip) == (None, False, "127.0.0.1")
    assert attempt.error == "Timed out while waiting for the response (connect 3 s, read 0.3 s)."
    assert 300 <= attempt.duration_ms < 1500


def test_a_closed_port_is_a_refused_connection(org_a, make_endpoint):
    # given: nothing listens on the endpoint's port
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    make_endpoint(org_a, f"http://127.0.0.1:{port}/hook")
    delivery = WebhookDelivery.objects.get(event=publish(org_a))

    # when
    attempt = webhook_deliver(delivery_id=delivery.pk)

    # then
    assert (attempt.status_code, attempt.error, attempt.ip) == (None, "Connection refused.", "127.0.0.1")


def test_a_disabled_endpoint_gives_up_without_sending(org_a, receiver, make_endpoint):
    # given: the endpoint was disabled after the event was written
    endpoint = make_endpoint(org_a, receiver.url())
    delivery = WebhookDelivery.objects.get(event=publish(org_a))
    endpoint.is_active = False
    endpoint.save()

    # when
    attempt = webhook_deliver(delivery_id=delivery.pk)

    # then
    assert receiver.requests == []
    assert attempt.error == "Not sent: the endpoint is disabled."
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.GAVE_UP


def test_rotation_overlap_signs_with_both_secrets(org_a, owner_a, receiver, make_endpoint):
    # given: a rotation that keeps the old secret for a day
    from accounts.actor import actor_for_user

    endpoint = make_endpoint(org_a, receiver.url())
    old_secret = endpoint.secret
    endpoint, new_secret = webhook_endpoint_rotate_secret(
        endpoint=endpoint, actor=actor_for_user(owner_a), keep_previous_for=timedelta(hours=24)
    )
    delivery = WebhookDelivery.objects.get(event=publish(org_a))

    # when
    webhook_deliver(delivery_id=delivery.pk)

    # then: two v1 signatures; receivers holding either secret accept the delivery
    [request] = receiver.requests
    header = request.headers["PharmEx-Signature"]
    assert header.count("v1=") == 2
    for secret in (old_secret, new_secret):
        assert signing.verify(secret=secret, header=header, body=request.body, now=int(time.time()))
