"""Periodic re-verification of trading organisations (SPEC §3): a third-party platform re-checks its merchants.

A daily job opens a review REVERIFICATION_INTERVAL_MONTHS after an organisation's last verification; platform
staff pass or fail it (API or admin site). A review left open REVERIFICATION_GRACE_DAYS past its due day
suspends the organisation with a reason (the ORGANIZATION machine), and passing it restores the organisation.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import OrganizationKind, OrganizationStatus, ReverificationStatus
from accounts.models import Organization, Reverification
from accounts.notifications import notify_owners
from accounts.transitions import ORGANIZATION, REVERIFICATION
from pharmex import events
from pharmex.actor import SYSTEM_ACTOR, Actor
from pharmex.audit import audit_record
from pharmex.calendar import add_months
from pharmex.choices import StaffRole
from pharmex.transitions import transition, transition_apply, transition_lock


def reverification_due_on(organization: Organization) -> date | None:
    """The day the next re-verification is due (None: never verified)."""
    if organization.last_verified_at is None:
        return None
    verified_on = timezone.localdate(organization.last_verified_at)
    return add_months(verified_on, settings.REVERIFICATION_INTERVAL_MONTHS)


def reverification_run(*, today: date | None = None) -> dict[str, int]:
    """The daily job: open the reviews that fell due, suspend the organisations whose review is overdue.

    Safe to run twice: one open review per organisation (a database constraint), and a suspension is recorded on
    its review.
    """
    today = today or timezone.localdate()
    counts = {"opened": 0, "suspended": 0}
    # A coarse bound for the index (months end on different days: a few days more); _open decides exactly.
    months_ago = add_months(today, -settings.REVERIFICATION_INTERVAL_MONTHS) + timedelta(days=3)
    horizon = timezone.make_aware(datetime.combine(months_ago, time.max))
    candidates = (
        Organization.objects.filter(status=OrganizationStatus.VERIFIED, last_verified_at__lte=horizon)
        .exclude(kind=OrganizationKind.REGULATOR)  # the platform does not re-verify a regulator (SPEC §7a)
        .exclude(reverifications__status=ReverificationStatus.OPEN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for organization_id in candidates:
        counts["opened"] += _open(organization_id=organization_id, today=today)
    overdue = Reverification.objects.filter(
        status=ReverificationStatus.OPEN,
        suspended_at__isnull=True,
        due_on__lt=today - timedelta(days=settings.REVERIFICATION_GRACE_DAYS),
    ).order_by("pk")
    for reverification_id in overdue.values_list("pk", flat=True):
        counts["suspended"] += _suspend_overdue(reverification_id=reverification_id, today=today)
    return counts


def _open(*, organization_id: int, today: date) -> int:
    with transaction.atomic():
        organization = Organization.objects.select_for_update().get(pk=organization_id)
        due_on = reverification_due_on(organization)
        if organization.status != OrganizationStatus.VERIFIED or due_on is None or due_on > today:
            return 0
        try:
            with transaction.atomic():
                # Never due before it is opened: an organisation whose review opens late (the job's first run on
                # old data) still gets the whole grace period.
                reverification = Reverification.objects.create(
                    organization=organization, due_on=max(due_on, today), last_verified_at=organization.last_verified_at
                )
        except IntegrityError:
            return 0  # another run opened it
        audit_record(
            actor=SYSTEM_ACTOR.audit,
            action="reverification.opened",
            object_type="reverification",
            object_id=reverification.pk,
            organization_id=organization.pk,
            changes={"due_on": reverification.due_on, "last_verified_at": organization.last_verified_at},
        )
        notify_owners(
            organization=organization,
            subject="PharmEx: your organisation is due for re-verification",
            body=(
                f"{organization.legal_name} was last verified on {timezone.localdate(organization.last_verified_at)}. "
                "Platform staff will review your licences and documents again; keep them up to date. If the review "
                f"is not completed by {reverification.due_on + timedelta(days=settings.REVERIFICATION_GRACE_DAYS)}, "
                "trading is suspended until it passes."
            ),
        )
        return 1


def _suspend_overdue(*, reverification_id: int, today: date) -> int:
    with transaction.atomic():
        reverification = (
            Reverification.objects.select_for_update().select_related("organization").get(pk=reverification_id)
        )
        if reverification.status != ReverificationStatus.OPEN or reverification.suspended_at is not None:
            return 0
        organization = reverification.organization
        if organization.status != OrganizationStatus.VERIFIED:
            return 0  # already suspended for another reason: nothing to restore later either
        reason = _("Re-verification overdue since %(date)s.") % {"date": reverification.due_on}
        transition(
            ORGANIZATION,
            organization.pk,
            action="suspend",
            actor=SYSTEM_ACTOR,
            note=reason,
            data={"reverification": reverification.pk},
            changes={"status_reason": reason},
        )
        reverification.suspended_at = timezone.now()
        reverification.save(update_fields=["suspended_at", "updated_at"])
        events.emit(events.TRADING_SUSPENDED, organization_id=organization.pk, reason=reason)
        notify_owners(
            organization=organization,
            subject="PharmEx: trading suspended — re-verification overdue",
            body=f"{reason} Trading resumes when platform staff complete the review.",
        )
        return 1


@transaction.atomic
def reverification_pass(*, reverification: Reverification, actor: Actor, note: str = "") -> Reverification:
    """The review found the organisation in order: verified again from now, restored if the overdue review had
    suspended it. Raises: NotAParty (admins only), InvalidTransition unless the review is open."""
    actor.require_staff(StaffRole.ADMIN)
    reverification = transition_lock(REVERIFICATION, reverification.pk, "pass")
    now = timezone.now()
    transition_apply(
        REVERIFICATION,
        reverification,
        action="pass",
        actor=actor,
        note=note,
        changes={"decided_by": actor.audit.label[:255], "note": note},
    )
    organization = Organization.objects.select_for_update().get(pk=reverification.organization_id)
    organization.last_verified_at = now
    organization.save(update_fields=["last_verified_at", "updated_at"])
    if reverification.suspended_at is not None and organization.status == OrganizationStatus.SUSPENDED:
        transition(
            ORGANIZATION,
            organization.pk,
            action="reinstate",
            actor=actor,
            note=_("Re-verification passed."),
            data={"reverification": reverification.pk},
            changes={"status_reason": ""},
        )
    return reverification


@transaction.atomic
def reverification_fail(*, reverification: Reverification, actor: Actor, note: str) -> Reverification:
    """The review found the organisation no longer fit to trade: it is suspended with the reviewer's reason.

    Raises: NotAParty (admins only), InvalidTransition unless the review is open.
    """
    actor.require_staff(StaffRole.ADMIN)
    reverification = transition_lock(REVERIFICATION, reverification.pk, "fail")
    transition_apply(
        REVERIFICATION,
        reverification,
        action="fail",
        actor=actor,
        note=note,
        changes={"decided_by": actor.audit.label[:255], "note": note},
    )
    organization = Organization.objects.select_for_update().get(pk=reverification.organization_id)
    reason = _("Re-verification failed: %(note)s") % {"note": note}
    if organization.status != OrganizationStatus.SUSPENDED:
        transition(
            ORGANIZATION,
            organization.pk,
            action="suspend",
            actor=actor,
            note=reason,
            data={"reverification": reverification.pk},
            changes={"status_reason": reason[:500]},
        )
        events.emit(events.TRADING_SUSPENDED, organization_id=organization.pk, reason=reason)
    return reverification
