"""The daily first-business job: documents near expiry announced to both sides (30 and 7 days ahead, like
licences), and approvals whose documents expired marked expired and announced. Safe to run twice."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from firstbusiness.choices import CURRENT_STATUSES, ReviewStatus, ShareStatus
from firstbusiness.models import Document, DocumentShare, FirstBusinessReview
from firstbusiness.notifications import announce, email_members
from firstbusiness.transitions import REVIEW
from pharmex.actor import SYSTEM_ACTOR
from pharmex.audit import SYSTEM, audit_record
from pharmex.transitions import transition


def document_expiry_run(*, today: date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    thresholds = sorted(settings.DOCUMENT_EXPIRY_WARNING_DAYS)
    counts = {"warned": 0, "approvals_expired": 0}
    upcoming = Document.objects.filter(
        status__in=sorted(CURRENT_STATUSES),
        valid_until__gte=today,
        valid_until__lte=today + timedelta(days=max(thresholds)),
    ).values_list("pk", flat=True)
    for document_id in upcoming:
        counts["warned"] += _warn_if_due(document_id=document_id, today=today, thresholds=thresholds)
    lapsed = FirstBusinessReview.objects.filter(status=ReviewStatus.APPROVED, valid_until__lt=today).values_list(
        "pk", flat=True
    )
    for review_id in lapsed:
        counts["approvals_expired"] += _expire(review_id=review_id, today=today)
    return counts


@transaction.atomic
def _warn_if_due(*, document_id: int, today: date, thresholds: list[int]) -> int:
    document = Document.objects.select_for_update().select_related("organization").get(pk=document_id)
    if document.status not in CURRENT_STATUSES:
        return 0  # superseded since the list was read
    days_left = (document.valid_until - today).days
    due = min(t for t in thresholds if days_left <= t)
    if document.expiry_warning_sent_days is not None and document.expiry_warning_sent_days <= due:
        return 0
    document.expiry_warning_sent_days = due
    document.save(update_fields=["expiry_warning_sent_days", "updated_at"])
    audit_record(
        actor=SYSTEM,
        action="document.expiry_warning",
        object_type="document",
        object_id=document.pk,
        organization_id=document.organization_id,
        changes={"days_left": days_left, "valid_until": document.valid_until},
    )
    recipients = list(
        DocumentShare.objects.filter(provider_id=document.organization_id, status=ShareStatus.ACTIVE).values_list(
            "recipient_id", flat=True
        )
    )
    payload = {
        "document_id": document.pk,
        "organization_id": document.organization_id,
        "type": document.type,
        "title": document.title,
        "valid_until": document.valid_until,
        "days_left": days_left,
    }
    announce(
        event_type="document.expiring",
        organization_ids=[document.organization_id, *recipients],
        object_type="document",
        object_id=document.pk,
        payload=payload,
    )
    email_members(
        organization_ids=[document.organization_id, *recipients],
        subject=f"PharmEx: {document.organization.legal_name}'s document expires in {days_left} days",
        body=(
            f"{document.get_type_display()} “{document.title}” of {document.organization.legal_name} expires on "
            f"{document.valid_until}. Its owner uploads the renewed document as a new version; approvals resting on "
            "it expire with it."
        ),
    )
    return 1


@transaction.atomic
def _expire(*, review_id: int, today: date) -> int:
    review = FirstBusinessReview.objects.select_for_update().get(pk=review_id)
    if review.status != ReviewStatus.APPROVED or review.valid_until is None or review.valid_until >= today:
        return 0  # decided again since the list was read
    review = transition(REVIEW, review.pk, action="expire", actor=SYSTEM_ACTOR, note="A document it rests on expired.")
    payload = {
        "review_id": review.pk,
        "buyer_id": review.buyer_id,
        "supplier_id": review.supplier_id,
        "drug_id": review.drug_id,
        "status": review.status,
        "valid_until": review.valid_until,
    }
    announce(
        event_type="first_business.approval_expired",
        organization_ids=[review.buyer_id, review.supplier_id],
        object_type="first_business_review",
        object_id=review.pk,
        payload=payload,
    )
    subject = "the supplier" if review.drug_id is None else f"drug {review.drug_id} of the supplier"
    email_members(
        organization_ids=[review.buyer_id],
        subject="PharmEx: a first-business approval expired",
        body=(
            f"Your approval of {subject} {review.supplier_id} expired on {review.valid_until}: a document it rested on "
            "expired. Orders from it are refused until your quality staff approve the renewed documents."
        ),
    )
    return 1
