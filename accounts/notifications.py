"""Email notices to an organisation's owners and to invitees, sent after the change that causes them commits."""

from __future__ import annotations

from functools import partial

from django.conf import settings
from django.core.mail import send_mail, send_mass_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation

from accounts.choices import MemberRole
from accounts.models import Invitation, Membership, Organization, User


def notify_owners(*, organization: Organization, subject: str, body: str) -> None:
    recipients = list(
        Membership.objects.filter(organization=organization, role=MemberRole.OWNER, user__is_active=True).values_list(
            "user__email", flat=True
        )
    )
    if recipients:
        messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [email]) for email in recipients]
        transaction.on_commit(partial(send_mass_mail, messages, fail_silently=True))


def notify_staff(*, role: str, subject: str, body: str) -> None:
    """Email the platform staff who hold `role` (superusers hold every role), after commit."""
    recipients = list(
        User.objects.filter(Q(staff_role=role) | Q(is_superuser=True), is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if recipients:
        messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [email]) for email in recipients]
        transaction.on_commit(partial(send_mass_mail, messages, fail_silently=True))


def notify_invitee(*, invitation: Invitation, token: str) -> None:
    """The invitation email: the only place the secret `token` ever appears.

    The same text goes to every address, whether or not it has an account, so nothing about the
    account shows through; the mailbox's owner knows which way to accept.
    """
    organization = invitation.organization
    expires = timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d %H:%M %Z")
    with translation.override("en"):  # the text is English whatever language the inviting owner reads
        role = str(invitation.get_role_display())
    subject = f"PharmEx: invitation to join {organization.legal_name}"
    body = (
        f"{organization.legal_name} invited you to join it on PharmEx as {role}.\n\n"
        f"Accept before {expires}: {settings.INVITATION_ACCEPT_URL}#token={token}\n\n"
        f'The link carries your invitation code, {token}, which the page sends as {{"token": "…"}} to '
        "POST /api/v1/invitations/accept/. New to PharmEx? Also send a password (and your full name) to "
        "create your account. Already have an account? Accept with the code alone, or sign in and accept "
        f"invitation {invitation.pk} (POST /api/v1/invitations/{invitation.pk}/accept/).\n\n"
        "Not expecting this? Ignore this email: nothing changes unless you accept."
    )
    message = partial(send_mail, subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email], fail_silently=True)
    transaction.on_commit(message)


def notify_password_reset(*, email: str, uid: str, token: str) -> None:
    """The password-reset email: the only place the reset token appears. Sent only to an existing account."""
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    body = (
        f"Someone asked to reset the PharmEx password of {email}. Within {minutes} minutes, send\n\n"
        f'    {{"uid": "{uid}", "token": "{token}", "new_password": "…"}}\n\n'
        "to POST /api/v1/auth/password-reset/confirm/. The code works once. Every session of the account ends "
        "when the password changes.\n\nNot you? Ignore this email: your password stays as it is."
    )
    message = partial(send_mail, "PharmEx: reset your password", body, settings.DEFAULT_FROM_EMAIL, [email])
    transaction.on_commit(partial(message, fail_silently=True))
