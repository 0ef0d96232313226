"""Documents near expiry are announced to both sides at 30 and 7 days, once each."""

from __future__ import annotations

from datetime import timedelta

from django.core import mail
from django.utils import timezone

from firstbusiness.services import document_expiry_run
from tests.firstbusiness.conftest import in_days, registration, share
from webhooks.models import OutboxEvent


def test_warnings_at_30_and_7_days_reach_owner_and_recipients_once(cast, django_capture_on_commit_callbacks):
    document_id = registration(cast, valid_until=in_days(40)).json()["id"]
    share(cast)
    today = timezone.localdate()

    with django_capture_on_commit_callbacks(execute=True):
        runs = [
            document_expiry_run(today=today),  # 40 days left: nothing yet
            document_expiry_run(today=today + timedelta(days=10)),  # 30: warned
            document_expiry_run(today=today + timedelta(days=11)),  # 29: already warned for 30
            document_expiry_run(today=today + timedelta(days=33)),  # 7: warned again
            document_expiry_run(today=today + timedelta(days=33)),  # the same day twice
        ]

    assert [run["warned"] for run in runs] == [0, 1, 0, 1, 0]
    events = OutboxEvent.objects.filter(event_type="document.expiring").order_by("id")
    assert [(e.organization_id, e.payload["days_left"]) for e in events] == [
        (cast.supplier.pk, 30),
        (cast.buyer.pk, 30),
        (cast.supplier.pk, 7),
        (cast.buyer.pk, 7),
    ]
    assert events[0].payload["document_id"] == document_id
    recipients = sorted(address for message in mail.outbox for address in message.to)
    expected = sorted([cast.supplier_owner.email, cast.supplier_quality.email, cast.buyer_quality.email] * 2)
    assert recipients == expected
