"""The transactional outbox: events commit with their change, deliveries are queued after commit, and the
retry job and the sweeper find every delivery whose task is missing (SPEC §9, RELIABILITY CEL-5/CEL-7)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from pharmex.models import AuditEvent
from webhooks.choices import DeliveryStatus
from webhooks.errors import OutboxOutsideTransaction, WebhookEventTypeUnknown
from webhooks.models import OutboxEvent, WebhookDelivery
from webhooks.services import json_safe, outbox_publish, webhook_outbox_sweep, webhook_retry_due
from webhooks.tasks import webhook_deliver_task

pytestmark = pytest.mark.django_db


def publish(*organizations, event_type: str = "order.shipped", payload: dict | None = None):
    return outbox_publish(
        event_type=event_type,
        organization_ids=[org.pk for org in organizations],
        payload=payload if payload is not None else {"order_id": 7},
        object_type="order",
        object_id=7,
    )


@pytest.fixture
def sent(monkeypatch):
    """The delivery ids handed to the broker (recorded instead of sent)."""
    calls: list[tuple[int, int | None]] = []
    monkeypatch.setattr(
        webhook_deliver_task, "apply_async", lambda args, countdown=None: calls.append((args[0], countdown))
    )
    return calls


def test_publish_writes_one_event_per_organisation_and_one_delivery_per_subscribed_endpoint(
    org_a, org_b, make_endpoint, sent, django_capture_on_commit_callbacks
):
    # given: A has two subscribed endpoints, one unsubscribed and one disabled; B one subscribed
    a1 = make_endpoint(org_a, "https://a.example/1", ["order.shipped", "order.placed"])
    a2 = make_endpoint(org_a, "https://a.example/2", ["order.shipped"])
    make_endpoint(org_a, "https://a.example/3", ["order.placed"])
    make_endpoint(org_a, "https://a.example/4", ["order.shipped"], is_active=False)
    b1 = make_endpoint(org_b, "https://b.example/1", ["order.shipped"])

    # when
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        events = publish(org_a, org_b, org_a, payload={"total": Decimal("12.50"), "at": timezone.now(), "n": None})

    # then: one event per distinct organisation, each with its own stable id
    assert [event.organization_id for event in events] == [org_a.pk, org_b.pk]
    assert len({event.event_id for event in events}) == 2
    assert all(isinstance(event.event_id, uuid.UUID) for event in events)
    # time-ordered (UUIDv7), so the unique index of 90 days of events takes each new id on its newest leaf
    assert [event.event_id.version for event in events] == [7, 7]
    assert events[0].event_id < events[1].event_id
    assert OutboxEvent().event_id.version == 7  # the model's default too
    stored = OutboxEvent.objects.get(organization=org_a)
    assert stored.payload["total"] == "12.50"  # Decimal as a string, never a float
    assert stored.payload["at"].endswith("Z")
    assert (stored.event_type, stored.object_type, stored.object_id) == ("order.shipped", "order", "7")
    # one delivery per active subscribed endpoint, due now, queued after commit
    deliveries = WebhookDelivery.objects.order_by("endpoint_id")
    assert [(d.endpoint_id, d.event.organization_id) for d in deliveries] == [
        (a1.pk, org_a.pk),
        (a2.pk, org_a.pk),
        (b1.pk, org_b.pk),
    ]
    assert {(d.status, d.attempts, d.max_attempts) for d in deliveries} == {(DeliveryStatus.PENDING, 0, 15)}
    assert len(callbacks) == 1
    assert sorted(sent) == sorted((d.pk, None) for d in deliveries)


def test_a_rolled_back_change_announces_nothing(org_a, make_endpoint, sent, django_capture_on_commit_callbacks):
    # given
    make_endpoint(org_a, "https://a.example/1", ["order.shipped"])

    # when: the caller's transaction fails after publishing
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        publish(org_a)
        raise RuntimeError("the order change failed")

    # then
    assert (OutboxEvent.objects.exists(), WebhookDelivery.objects.exists()) == (False, False)
    assert (callbacks, sent) == ([], [])


def test_publish_refuses_an_unregistered_event_type_and_unserialisable_payloads(org_a):
    with pytest.raises(WebhookEventTypeUnknown):
        publish(org_a, event_type="order.teleported")
    with pytest.raises(TypeError):
        publish(org_a, payload={"organization": org_a})
    with pytest.raises(TypeError):
        json_safe(float("nan"))
    assert publish() == []
    assert OutboxEvent.objects.exists() is False


@pytest.mark.django_db(transaction=True)
def test_publish_refuses_to_run_outside_a_transaction(org_a):
    # an announcement committed on its own could outlive a change that rolled back
    with pytest.raises(OutboxOutsideTransaction):
        publish(org_a)
    with transaction.atomic():
        [event] = publish(org_a)
    assert list(OutboxEvent.objects.values_list("pk", "event_id")) == [(event.pk, event.event_id)]


def test_a_broker_outage_on_commit_keeps_the_change_and_leaves_the_deliveries_to_the_retry_job(
    org_a, make_endpoint, monkeypatch, django_capture_on_commit_callbacks
):
    # given: the broker refuses every message
    make_endpoint(org_a, "https://a.example/1", ["order.shipped"])
    make_endpoint(org_a, "https://a.example/2", ["order.shipped"])

    def broker_down(*args, **kwargs):
        raise OperationalError("[Errno 111] Connection refused")

    monkeypatch.setattr(webhook_deliver_task, "apply_async", broker_down)

    # when: the change commits; dispatching after commit fails
    with django_capture_on_commit_callbacks(execute=True):
        [event] = publish(org_a)

    # then: the event and its deliveries are committed, marked as not dispatched
    deliveries = WebhookDelivery.objects.filter(event=event)
    assert [d.dispatched_at for d in deliveries] == [None, None]

    # when: the broker is back and the retry job runs
    sent: list[int] = []
    monkeypatch.setattr(webhook_deliver_task, "apply_async", lambda args, countdown=None: sent.append(args[0]))
    with django_capture_on_commit_callbacks(execute=True):
        dispatched = webhook_retry_due()

    # then
    assert dispatched == 2
    assert sorted(sent) == sorted(d.pk for d in deliveries)
    assert all(d.dispatched_at is not None for d in deliveries.all())


def test_retry_job_and_sweeper_pick_exactly_the_deliveries_missing_a_task(
    org_a, make_endpoint, sent, django_capture_on_commit_callbacks
):
    # given: five pending deliveries in different situations
    make_endpoint(org_a, "https://a.example/1", ["order.shipped"])
    for _ in range(5):
        publish(org_a)
    now = timezone.now()
    fresh, stale, undispatched, future, claimed = WebhookDelivery.objects.order_by("pk")
    WebhookDelivery.objects.filter(pk=fresh.pk).update(dispatched_at=now)  # its task is on its way
    WebhookDelivery.objects.filter(pk=stale.pk).update(dispatched_at=now - timedelta(minutes=10))  # task lost
    WebhookDelivery.objects.filter(pk=undispatched.pk).update(dispatched_at=None)  # after a long backoff
    WebhookDelivery.objects.filter(pk=future.pk).update(dispatched_at=None, next_attempt_at=now + timedelta(hours=1))
    WebhookDelivery.objects.filter(pk=claimed.pk).update(dispatched_at=None, claimed_until=now + timedelta(minutes=1))
    sent.clear()

    # when / then: the retry job takes only the undispatched due one
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_retry_due() == 1
    assert sent == [(undispatched.pk, None)]

    # when / then: the sweeper takes the one whose task was lost (the other is now freshly dispatched)
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_outbox_sweep() == 1
    assert sent == [(stale.pk, None)]

    # and nothing twice
    sent.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert (webhook_retry_due(), webhook_outbox_sweep()) == (0, 0)
    assert sent == []


def test_sweeper_gives_up_a_delivery_whose_last_attempt_was_lost(org_a, make_endpoint, sent):
    # given: the last allowed attempt was claimed, and its worker died (the lease ran out)
    make_endpoint(org_a, "https://a.example/1", ["order.shipped"])
    publish(org_a)
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        attempts=15, claim_token=uuid.uuid4(), claimed_until=timezone.now() - timedelta(seconds=1)
    )

    # when
    webhook_outbox_sweep()

    # then
    delivery.refresh_from_db()
    assert (delivery.status, delivery.next_attempt_at, delivery.claim_token) == (DeliveryStatus.GAVE_UP, None, None)
    assert delivery.last_error == "The last attempt was interrupted before it reported back, and no attempts remain."
    assert AuditEvent.objects.filter(action="webhook_delivery.gave_up", object_id=str(delivery.pk)).count() == 1
