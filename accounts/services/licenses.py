from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.choices import LicenseStatus
from accounts.errors import LicenseLocked
from accounts.models import License, Organization
from accounts.notifications import notify_owners
from accounts.selectors import organization_may_trade
from accounts.transitions import LICENSE
from pharmex import events
from pharmex.actor import Actor
from pharmex.audit import SYSTEM, audit_record, diff
from pharmex.choices import StaffRole
from pharmex.transitions import transition, transition_apply

LICENSE_FIELDS = ("type", "number", "scope_tags", "valid_from", "valid_until")


@transaction.atomic
def license_create(*, actor: Actor, data: dict) -> License:
    """Submit a licence for review; a renewal is a new licence (the approved one stays untouched)."""
    organization = actor.require_organization()
    license = License(organization=organization, **data)
    license.full_clean()
    license.save()
    audit_record(
        actor=actor.audit,
        action="license.submitted",
        object_type="license",
        object_id=license.pk,
        organization_id=organization.pk,
        changes={field: getattr(license, field) for field in LICENSE_FIELDS},
    )
    return license


@transaction.atomic
def license_update(*, license: License, actor: Actor, data: dict) -> License:
    """Correct a licence under review or rejected; it goes back to review.

    Raises: LicenseLocked when the licence is approved.
    """
    license = License.objects.select_for_update().get(pk=license.pk)
    if license.status == LicenseStatus.APPROVED:
        raise LicenseLocked()
    before = {field: getattr(license, field) for field in data}
    for field, value in data.items():
        setattr(license, field, value)
    license.full_clean()
    license.save()
    audit_record(
        actor=actor.audit,
        action="license.updated",
        object_type="license",
        object_id=license.pk,
        organization_id=license.organization_id,
        changes=diff(before, data),
    )
    if license.status == LicenseStatus.REJECTED:
        transition_apply(LICENSE, license, action="resubmit", actor=actor, note="Corrected after rejection.")
    return license


@transaction.atomic
def license_delete(*, license: License, actor: Actor) -> None:
    """Raises: LicenseLocked when the licence is approved (it is part of the compliance record)."""
    if license.status == LicenseStatus.APPROVED:
        raise LicenseLocked()
    audit_record(
        actor=actor.audit,
        action="license.deleted",
        object_type="license",
        object_id=license.pk,
        organization_id=license.organization_id,
        changes={"number": license.number, "type": license.type},
    )
    license.delete()


def _license_review(*, license: License, actor: Actor, action: str, note: str) -> License:
    organization = license.organization
    could_trade = organization_may_trade(organization=organization)
    license = transition(
        LICENSE,
        license.pk,
        action=action,
        actor=actor,
        note=note,
        changes={"review_note": note, "reviewed_by": actor.user},
    )
    if not could_trade and organization_may_trade(organization=organization):
        audit_record(
            actor=actor.audit,
            action="organization.trading_restored",
            object_type="organization",
            object_id=organization.pk,
            organization_id=organization.pk,
            changes={"license": license.pk},
        )
    return license


@transaction.atomic
def license_approve(*, license: License, actor: Actor, note: str = "") -> License:
    """Raises: NotAParty (admins only), InvalidTransition unless pending. Approving a renewal restores trading."""
    actor.require_staff(StaffRole.ADMIN)
    return _license_review(license=license, actor=actor, action="approve", note=note)


@transaction.atomic
def license_reject(*, license: License, actor: Actor, note: str) -> License:
    """Raises: NotAParty (admins only), InvalidTransition unless pending."""
    actor.require_staff(StaffRole.ADMIN)
    return _license_review(license=license, actor=actor, action="reject", note=note)


def license_expiry_run(*, today: date | None = None) -> dict[str, int]:
    """The daily licence job (SPEC §3): warn 30 and 7 days ahead, announce expiry and the stop of trading.

    Trading itself stops by definition (may_trade requires an unexpired licence); this job tells
    people and records it. Safe to run twice: each licence remembers what it was already told.
    """
    today = today or timezone.localdate()
    thresholds = sorted(settings.LICENSE_EXPIRY_WARNING_DAYS)
    counts = {"warned": 0, "expired": 0}
    upcoming = License.objects.filter(
        status=LicenseStatus.APPROVED, valid_until__gte=today, valid_until__lte=today + timedelta(days=max(thresholds))
    ).values_list("pk", flat=True)
    for license_id in upcoming:
        counts["warned"] += _warn_if_due(license_id=license_id, today=today, thresholds=thresholds)
    expired = License.objects.filter(
        status=LicenseStatus.APPROVED, valid_until__lt=today, expiry_notified_at__isnull=True
    ).values_list("pk", flat=True)
    for license_id in expired:
        counts["expired"] += _announce_expiry(license_id=license_id, today=today)
    return counts


@transaction.atomic
def _warn_if_due(*, license_id: int, today: date, thresholds: list[int]) -> int:
    license = License.objects.select_for_update().select_related("organization").get(pk=license_id)
    days_left = (license.valid_until - today).days
    renewed = License.objects.filter(
        organization_id=license.organization_id,
        type=license.type,
        status=LicenseStatus.APPROVED,
        valid_until__gt=license.valid_until,
    ).exists()
    if renewed:
        return 0  # a renewal is already approved: nothing to warn about
    due = min(t for t in thresholds if days_left <= t)
    if license.expiry_warning_sent_days is not None and license.expiry_warning_sent_days <= due:
        return 0
    license.expiry_warning_sent_days = due
    license.save(update_fields=["expiry_warning_sent_days", "updated_at"])
    audit_record(
        actor=SYSTEM,
        action="license.expiry_warning",
        object_type="license",
        object_id=license.pk,
        organization_id=license.organization_id,
        changes={"days_left": days_left, "valid_until": license.valid_until},
    )
    events.emit(
        events.LICENSE_EXPIRING,
        organization_id=license.organization_id,
        license_id=license.pk,
        number=license.number,
        valid_until=license.valid_until,
        days_left=days_left,
    )
    notify_owners(
        organization=license.organization,
        subject=f"PharmEx: licence {license.number} expires in {days_left} days",
        body=(
            f"Your {license.get_type_display()} {license.number} expires on {license.valid_until}. "
            "Upload the renewed licence before then to keep trading without interruption."
        ),
    )
    return 1


@transaction.atomic
def _announce_expiry(*, license_id: int, today: date) -> int:
    license = License.objects.select_for_update().select_related("organization").get(pk=license_id)
    if license.expiry_notified_at is not None:
        return 0
    license.expiry_notified_at = timezone.now()
    license.save(update_fields=["expiry_notified_at", "updated_at"])
    organization: Organization = license.organization
    audit_record(
        actor=SYSTEM,
        action="license.expired",
        object_type="license",
        object_id=license.pk,
        organization_id=organization.pk,
        changes={"valid_until": license.valid_until},
    )
    if license.type == organization.trading_license_type and not organization_may_trade(
        organization=organization, on=today
    ):
        audit_record(
            actor=SYSTEM,
            action="organization.trading_suspended",
            object_type="organization",
            object_id=organization.pk,
            organization_id=organization.pk,
            changes={"reason": "trading licence expired", "license": license.pk},
        )
        events.emit(
            events.TRADING_SUSPENDED,
            organization_id=organization.pk,
            reason="trading licence expired",
            license_id=license.pk,
        )
        notify_owners(
            organization=organization,
            subject="PharmEx: trading suspended — licence expired",
            body=(
                f"Your {license.get_type_display()} {license.number} expired on {license.valid_until}. "
                "Your offers are hidden and orders are refused until a renewed licence is approved."
            ),
        )
    return 1
