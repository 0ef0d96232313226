"""Real worker, real broker, real concurrency: a broker outage loses no event, and no attempt is made twice."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from tests.concurrency import run_concurrently
from webhooks.choices import DeliveryStatus
from webhooks.models import WebhookDelivery
from webhooks.services import outbox_publish, webhook_deliver
from webhooks.tasks import webhook_deliver_task, webhook_outbox_sweep_task, webhook_retry_due_task

pytestmark = pytest.mark.django_db(transaction=True)

SWEEP_DONE = re.compile(r"webhook_outbox_sweep_task\[[^\]]+\] succeeded")


@pytest.fixture
def worker_settings(local_delivery, monkeypatch):
    """The same webhook settings for this process and for the worker subprocess (which reads the environment)."""
    monkeypatch.setenv("WEBHOOK_ALLOW_HTTP", "true")
    monkeypatch.setenv("WEBHOOK_ALLOWED_PRIVATE_NETWORKS", "127.0.0.1/32")
    monkeypatch.setenv("WEBHOOK_ALLOWED_PORTS", "*")


def publish(org, number: int) -> None:
    with transaction.atomic():  # the caller's business transaction
        outbox_publish(
            event_type="order.shipped",
            organization_ids=[org.pk],
            payload={"order_id": number},
            object_type="order",
            object_id=number,
        )


@pytest.mark.worker
@pytest.mark.slow
def test_a_broker_outage_loses_no_event_and_delivers_each_exactly_once(
    request, worker_settings, org_a, org_b, make_endpoint, receiver, monkeypatch
):
    # given: A has two endpoints, B one; no worker is running
    make_endpoint(org_a, receiver.url("/a1"), ["order.shipped"])
    make_endpoint(org_a, receiver.url("/a2"), ["order.shipped"])
    make_endpoint(org_b, receiver.url("/b1"), ["order.shipped"])

    # when: three events commit while the broker refuses messages …
    def broker_down(*args, **kwargs):
        raise OperationalError("[Errno 111] Connection refused")

    with monkeypatch.context() as outage:
        outage.setattr(webhook_deliver_task, "apply_async", broker_down)
        publish(org_a, 1)
        publish(org_b, 2)
        publish(org_a, 3)
    # … and two more are queued, but their messages are lost (the worker starts on an emptied broker)
    publish(org_a, 4)
    publish(org_b, 5)
    assert WebhookDelivery.objects.count() == 2 * 3 + 1 * 2
    assert receiver.requests == []

    # when: the worker comes up, and the beat jobs run through the broker a few minutes later
    worker = request.getfixturevalue("celery_worker_process")
    WebhookDelivery.objects.filter(dispatched_at__isnull=False).update(
        dispatched_at=timezone.now() - timedelta(minutes=5)
    )
    webhook_retry_due_task.delay()
    webhook_outbox_sweep_task.delay()

    # then: every delivery succeeds
    worker.wait_until(lambda: not WebhookDelivery.objects.exclude(status=DeliveryStatus.SUCCEEDED).exists(), timeout=90)
    # and more sweeping sends nothing again
    webhook_outbox_sweep_task.delay()
    webhook_retry_due_task.delay()
    worker.wait_until(lambda: len(SWEEP_DONE.findall(worker.log())) == 2, timeout=60)

    # then: each event reached each subscribed endpoint exactly once
    received = receiver.received_by_event()
    expected = {
        (f"/{endpoint.url.rsplit('/', 1)[1]}", str(delivery.event.event_id))
        for delivery in WebhookDelivery.objects.select_related("event", "endpoint")
        for endpoint in [delivery.endpoint]
    }
    assert set(received) == expected
    assert set(received.values()) == {1}
    assert len(received) == 8
    assert {d.attempts for d in WebhookDelivery.objects.all()} == {1}


@pytest.mark.worker
def test_a_delivery_dispatched_after_commit_reaches_the_receiver_through_a_real_worker(
    request, worker_settings, org_a, make_endpoint, receiver
):
    # given
    worker = request.getfixturevalue("celery_worker_process")
    make_endpoint(org_a, receiver.url(), ["order.shipped"])

    # when: published in a committed transaction; the task goes through the broker
    publish(org_a, 1)

    # then
    worker.wait_until(lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).exists())
    assert len(receiver.requests) == 1
    assert "webhooks.tasks.webhook_deliver_task" in worker.log()


def test_concurrent_workers_never_make_the_same_attempt_twice(worker_settings, org_a, make_endpoint, receiver):
    # given: one due delivery; the receiver is slow so both workers overlap
    make_endpoint(org_a, receiver.url(), ["order.shipped"])
    publish(org_a, 1)
    delivery = WebhookDelivery.objects.get()
    receiver.delay_seconds = 0.5

    # when: four workers take the same task at the same moment
    results = run_concurrently(4, lambda _index: webhook_deliver(delivery_id=delivery.pk))

    # then: exactly one attempt was made
    assert not [result for result in results if isinstance(result, Exception)]
    assert len(receiver.requests) == 1
    assert sum(result is not None for result in results) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SUCCEEDED, 1)
