"""webhooks/sql.py against the ORM: the outbox events and their pending deliveries, written in one statement."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from tests.factories import OrganizationFactory
from webhooks import sql
from webhooks.choices import DeliveryStatus
from webhooks.models import OutboxEvent, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def _endpoint(organization, *, event_types, is_active=True) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        organization=organization,
        url="https://erp.example.com/hook",
        event_types=event_types,
        secret="s",
        is_active=is_active,
    )


def test_events_and_deliveries_are_the_rows_the_orm_would_write():
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

    # when
    events, deliveries = sql.outbox_insert(
        event_type="order.placed",
        object_type="order",
        object_id="42",
        payload={"order_id": 42, "total_gross": "12.50"},
        now=now,
        event_ids=event_ids,
        organization_ids=[buyer.pk, supplier.pk],
        pending=DeliveryStatus.PENDING.value,
        max_attempts=15,
    )

    # then: one event per recipient …
    stored = OutboxEvent.objects.order_by("id")
    assert events == {event.organization_id: event.pk for event in stored}
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
