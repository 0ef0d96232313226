"""Announcements of the first-business app: webhooks (in the change's transaction) and email after commit."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction

from accounts.choices import MemberRole
from accounts.models import Membership
from webhooks.services import outbox_publish

# Who hears about documents and reviews: the people who look after them.
RECIPIENT_ROLES = (MemberRole.OWNER, MemberRole.QUALITY)


def announce(
    *, event_type: str, organization_ids: Iterable[int], object_type: str, object_id: Any, payload: dict
) -> None:
    outbox_publish(
        event_type=event_type,
        organization_ids=organization_ids,
        object_type=object_type,
        object_id=object_id,
        payload=payload,
    )


def email_members(*, organization_ids: Iterable[int], subject: str, body: str) -> None:
    """Email the owners and quality members of the organisations, once the change commits."""
    recipients = sorted(
        set(
            Membership.objects.filter(
                organization_id__in=list(organization_ids), role__in=RECIPIENT_ROLES, user__is_active=True
            ).values_list("user__email", flat=True)
        )
    )
    if recipients:
        messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [email]) for email in recipients]
        transaction.on_commit(partial(send_mass_mail, messages, fail_silently=True))
