"""The admin site shows endpoints and the delivery log read-only, and redelivers through the audited service."""

from __future__ import annotations

import pytest

from accounts.models import User
from pharmex.models import AuditEvent
from webhooks.choices import DeliveryStatus
from webhooks.models import WebhookDelivery
from webhooks.services import outbox_publish
from webhooks.tasks import webhook_deliver_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("root@platform.test", "a-long-passphrase")


@pytest.fixture
def gave_up(org_a, make_endpoint) -> WebhookDelivery:
    endpoint = make_endpoint(org_a, "https://erp.example.com/hook", ["order.placed"])
    outbox_publish(event_type="order.placed", organization_ids=[org_a.pk], payload={}, object_type="order", object_id=1)
    WebhookDelivery.objects.update(status=DeliveryStatus.GAVE_UP, attempts=15, next_attempt_at=None)
    return WebhookDelivery.objects.get(endpoint=endpoint)


def test_admin_pages_show_endpoints_and_deliveries_without_the_secret(client, superuser, gave_up):
    client.force_login(superuser)

    pages = [
        "/admin/webhooks/webhookendpoint/",
        f"/admin/webhooks/webhookendpoint/{gave_up.endpoint_id}/change/",
        "/admin/webhooks/webhookdelivery/",
        f"/admin/webhooks/webhookdelivery/{gave_up.pk}/change/",
        "/admin/webhooks/outboxevent/",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert gave_up.endpoint.secret not in response.content.decode()
    assert client.get("/admin/webhooks/webhookendpoint/add/").status_code == 403


def test_admin_redeliver_action_schedules_an_attempt_and_is_audited(
    client, superuser, gave_up, monkeypatch, django_capture_on_commit_callbacks
):
    # given
    sent: list[int] = []
    monkeypatch.setattr(webhook_deliver_task, "apply_async", lambda args, countdown=None: sent.append(args[0]))
    client.force_login(superuser)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/admin/webhooks/webhookdelivery/",
            {"action": "redeliver_selected", "_selected_action": [gave_up.pk]},
        )

    # then
    assert response.status_code == 302
    gave_up.refresh_from_db()
    assert (gave_up.status, gave_up.max_attempts) == (DeliveryStatus.PENDING, 16)
    assert sent == [gave_up.pk]
    audit = AuditEvent.objects.get(action="webhook_delivery.redelivered")
    assert (audit.actor_user_id, audit.object_id) == (superuser.pk, str(gave_up.pk))
