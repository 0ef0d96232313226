"""Email notices to an organisation's owners, sent after the change that causes them commits."""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction

from accounts.choices import MemberRole
from accounts.models import Membership, Organization


def notify_owners(*, organization: Organization, subject: str, body: str) -> None:
    recipients = list(
        Membership.objects.filter(organization=organization, role=MemberRole.OWNER, user__is_active=True).values_list(
            "user__email", flat=True
        )
    )
    if recipients:
        messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [email]) for email in recipients]
        transaction.on_commit(partial(send_mass_mail, messages, fail_silently=True))
