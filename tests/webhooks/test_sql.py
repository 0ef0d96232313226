"""webhooks/sql.py against the ORM: the outbox events and their pending deliveries, written in one statement."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pharmex import appends
from tests.factories import OrganizationFactory
from webhooks.choices import DeliveryStatus
from webhooks.models import OutboxEvent, WebhookDelivery, WebhookEndpoint
from webhooks.services.outbox import OUTBOX_ROWS, outbox_publish

pytestmark = pytest.mark.django_db


def _endpoint(organization, *, event_types, is_active=True) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        organization=organization,
        url="https://erp.example.com/hook",
        event_types=event_types,
        secret="s",
        is_active=is_active,
    )


def test_events_and_deliveries_are_the_rows_the_orm_would_write(django_capture_on_commit_callbacks, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 15
    # given: two recipients; endpoints subscribed, unsubscribed, inactive
    buyer, supplier, bystander = (OrganizationFactory() for _ in range(3))
    subscribed = [
        _endpoint(buyer, event_types=["order.placed"]),
        _endpoint(supplier, event_types=["order.shipped", "order.placed"]),
    ]
    _endpoint(buyer, event_types=["order.shipped"])
    _endpoint(supplier, event_types=["order.placed"], is_active=False)
    _endpoint(bystander, event_types=["order.placed"])
    now, event_ids = timezone.now(), [uuid.uuid4(), uuid.uuid4()]
    events = [
        OutboxEvent(
            event_id=event_id,
            event_type="order.placed",
            organization_id=organization.pk,
            object_type="order",
            object_id="42",
            payload={"order_id": 42, "total_gross": "12.50"},
            created_at=now,
        )
        for event_id, organization in zip(event_ids, [buyer, supplier], strict=True)
    ]

    # when
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks() as callbacks:
        appends.append(OUTBOX_ROWS, events)
    deliveries = [delivery.pk for delivery in WebhookDelivery.objects.all()]

    # then: one event per recipient …
    stored = OutboxEvent.objects.order_by("id")
    assert [(event.pk, event._state.adding) for event in events] == [(event.pk, False) for event in stored]
    assert len(queries) == 1 and len(callbacks) == 1  # one statement; the deliveries' tasks queued on commit
    assert [
        (e.event_id, e.event_type, e.organization_id, e.object_type, e.object_id, e.payload, e.created_at)
        for e in stored
    ] == [
        (event_id, "order.placed", organization.pk, "order", "42", {"order_id": 42, "total_gross": "12.50"}, now)
        for event_id, organization in zip(event_ids, [buyer, supplier], strict=True)
    ]
    # … and one pending delivery per active endpoint of a recipient subscribed to the type, as the ORM writes them
    rows = WebhookDelivery.objects.filter(pk__in=deliveries).order_by("endpoint_id")
    assert [(d.endpoint_id, d.event.organization_id) for d in rows] == [(e.pk, e.organization_id) for e in subscribed]
    orm = WebhookDelivery(status=DeliveryStatus.PENDING, max_attempts=15, next_attempt_at=now, dispatched_at=now)
    for delivery in rows:
        assert (delivery.status, delivery.attempts, delivery.max_attempts, delivery.next_attempt_at) == (
            orm.status,
            orm.attempts,
            orm.max_attempts,
            orm.next_attempt_at,
        )
        assert (delivery.dispatched_at, delivery.last_error, delivery.claim_token, delivery.succeeded_at) == (
            now,
            orm.last_error,
            None,
            None,
        )


def test_announcements_kept_together_are_written_in_one_statement_each_with_its_own_type():
    buyer, supplier = OrganizationFactory(), OrganizationFactory()
    placed = _endpoint(buyer, event_types=["order.placed"])
    shipped = _endpoint(supplier, event_types=["order.shipped"])

    with CaptureQueriesContext(connection) as queries, appends.kept():
        first = outbox_publish(
            event_type="order.placed", organization_ids=[buyer.pk, supplier.pk], payload={"n": 1},
            object_type="order", object_id=1,
        )  # fmt: skip
        second = outbox_publish(
            event_type="order.shipped", organization_ids=[buyer.pk, supplier.pk], payload={"n": 2},
            object_type="order", object_id=2,
        )  # fmt: skip
        kept_so_far, unsaved = len(queries), first[0].pk is None  # kept until the end of the block

    assert (kept_so_far, unsaved, len(queries)) == (0, True, 1)
    stored = {(event.object_id, event.organization_id): event for event in OutboxEvent.objects.all()}
    assert {key: (event.event_type, event.payload) for key, event in stored.items()} == {
        ("1", buyer.pk): ("order.placed", {"n": 1}),
        ("1", supplier.pk): ("order.placed", {"n": 1}),
        ("2", buyer.pk): ("order.shipped", {"n": 2}),
        ("2", supplier.pk): ("order.shipped", {"n": 2}),
    }
    assert [event.pk for event in first + second] == sorted(event.pk for event in stored.values())
    assert sorted((d.endpoint_id, d.event.object_id) for d in WebhookDelivery.objects.all()) == sorted(
        [(placed.pk, "1"), (shipped.pk, "2")]
    )
