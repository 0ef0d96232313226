"""Documents of the electronic first-business review (电子首营), their sharing and the buyers' approvals."""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from firstbusiness.choices import (
    DRUG_TYPES,
    LICENSE_TYPES,
    REPRESENTATIVE_TYPES,
    AccessKind,
    DocumentStatus,
    DocumentType,
    RepresentativeStatus,
    ReviewStatus,
    ShareStatus,
)
from firstbusiness.storage import document_storage
from pharmex.models import TransitionRecord


def _only_for(types: frozenset[str], field: str) -> Q:
    """The subject `field` is set exactly for documents of `types`."""
    return Q(type__in=sorted(types), **{f"{field}__isnull": False}) | (
        ~Q(type__in=sorted(types)) & Q(**{f"{field}__isnull": True})
    )


class SalesRepresentative(models.Model):
    """A supplier's sales representative (销售人员), known to buyers by the power of attorney it uploads.

    `user`, when set, is the representative's own account, a member of the supplier: from the day after its
    current power of attorney ends (or once it is revoked) that member may only read (Membership.acts_until).
    """

    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    full_name = models.CharField(max_length=100)
    id_number = models.CharField(max_length=18)  # 居民身份证号码
    phone = models.CharField(max_length=32, blank=True)
    user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=20, choices=RepresentativeStatus.choices, default=RepresentativeStatus.ACTIVE)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "id_number"],
                condition=Q(status=RepresentativeStatus.ACTIVE),
                name="representative_unique_person",
            ),
            models.UniqueConstraint(
                fields=["organization", "user"],
                condition=Q(user__isnull=False, status=RepresentativeStatus.ACTIVE),
                name="representative_one_per_account",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.organization_id})"


class RepresentativeStatusChange(TransitionRecord):
    representative = models.ForeignKey(SalesRepresentative, on_delete=models.CASCADE, related_name="status_changes")


class Document(models.Model):
    """One version of a document: its file (by content hash), type, subject and validity, immutable once
    submitted. A new version of the same `series` supersedes it; superseded versions are kept."""

    # Indexed by document_owner_type, which leads with it: no index of its own.
    organization = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    type = models.CharField(max_length=40, choices=DocumentType.choices)
    title = models.CharField(max_length=200)
    # The subject, by type: a licence, a sales representative, or a drug (and a lot for inspection reports).
    license = models.ForeignKey("accounts.License", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    representative = models.ForeignKey(
        SalesRepresentative, null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    drug = models.ForeignKey("catalog.Drug", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    lot = models.CharField(max_length=64, blank=True)
    # A power of attorney's scope: the drugs (none: all the supplier's) and provinces (none: everywhere).
    scope_drugs = models.ManyToManyField("catalog.Drug", blank=True, related_name="+")
    scope_provinces = ArrayField(models.CharField(max_length=6), default=list, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    # Indexed by document_version_unique (series, version), which leads with it: no index of its own.
    series = models.UUIDField(default=uuid.uuid4)  # every version of one document
    version = models.PositiveSmallIntegerField(default=1)
    file = models.FileField(storage=document_storage, max_length=255)
    content_type = models.CharField(max_length=40)  # as its bytes say, never as its name or the client says
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    original_name = models.CharField(max_length=200, blank=True)  # shown, never used as a path
    uploaded_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_by_label = models.CharField(max_length=255)  # the uploader's audit label (a person or an API key)
    status = models.CharField(max_length=20, choices=DocumentStatus.choices, default=DocumentStatus.PENDING)
    review_note = models.CharField(max_length=500, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    # The expiry job's memory (as licences'): the smallest warning sent, and the expiry notice.
    expiry_warning_sent_days = models.PositiveSmallIntegerField(null=True, blank=True)
    expiry_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["series", "version"], name="document_version_unique"),
            models.UniqueConstraint(
                fields=["series"],
                condition=~Q(status=DocumentStatus.SUPERSEDED),
                name="document_one_current_version",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_until__gte=models.F("valid_from")),
                name="document_valid_range",
            ),
            models.CheckConstraint(condition=_only_for(LICENSE_TYPES, "license"), name="document_license_subject"),
            models.CheckConstraint(
                condition=_only_for(REPRESENTATIVE_TYPES, "representative"), name="document_representative_subject"
            ),
            models.CheckConstraint(condition=_only_for(DRUG_TYPES, "drug"), name="document_drug_subject"),
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="document_sha256_hex"),
        ]
        indexes = [
            models.Index(fields=["organization", "type", "-id"], name="document_owner_type"),
            models.Index(fields=["status", "valid_until"], name="document_status_until"),
        ]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.title} v{self.version}"


class DocumentStatusChange(TransitionRecord):
    """One platform verification, rejection or supersession of a document version."""

    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="status_changes")


class DocumentAccess(models.Model):
    """Who obtained a link to, or downloaded, which document version, when (never updated, never deleted)."""

    # Indexed by document_access_recent, which leads with it: no index of its own.
    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="accesses", db_index=False)
    kind = models.CharField(max_length=20, choices=AccessKind.choices)
    organization = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )  # the organisation the caller acted for (none: platform staff)
    actor = models.CharField(max_length=255)  # the caller's audit label
    request_id = models.CharField(max_length=64, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["document", "-id"], name="document_access_recent")]

    def __str__(self) -> str:
        return f"{self.actor} {self.kind} {self.document_id}"


class DocumentShare(models.Model):
    """A provider's documents shared with one recipient (a supplier's first-business package with a buyer):
    requested by the recipient or sent by the provider; while active the recipient reads the provider's current
    documents and the versions they replaced, and nobody else does."""

    # Indexed by share_unique_pair (provider, recipient) and share_recipient_status, which lead with them: no index
    # of their own.
    provider = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+", db_index=False)
    recipient = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+", db_index=False)
    status = models.CharField(max_length=20, choices=ShareStatus.choices)
    shared_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "recipient"], name="share_unique_pair"),
            models.CheckConstraint(condition=~Q(provider=models.F("recipient")), name="share_not_with_oneself"),
        ]
        indexes = [models.Index(fields=["recipient", "status"], name="share_recipient_status")]

    def __str__(self) -> str:
        return f"{self.provider_id} → {self.recipient_id} ({self.status})"


class DocumentShareChange(TransitionRecord):
    share = models.ForeignKey(DocumentShare, on_delete=models.CASCADE, related_name="status_changes")


class FirstBusinessReview(models.Model):
    """A buyer's quality decision on a supplier (首营企业, `drug` empty) or on a supplier's drug (首营品种).

    Approved until `valid_until`, the earliest expiry among the documents it rests on (`basis`, as they were
    when decided); the gate reads that date, so an approval stops counting the day after, job or no job.
    """

    # Indexed by review_one_per_subject (buyer, supplier, drug), which leads with it: no index of its own.
    buyer = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+", db_index=False)
    supplier = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    drug = models.ForeignKey("catalog.Drug", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=ReviewStatus.choices, default=ReviewStatus.PENDING)
    note = models.CharField(max_length=1000, blank=True)
    decided_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    basis = models.JSONField(default=list, blank=True)  # [{document_id, type, version, sha256, valid_until}]
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["buyer", "supplier", "drug"], nulls_distinct=False, name="review_one_per_subject"
            ),
            models.CheckConstraint(condition=~Q(buyer=models.F("supplier")), name="review_not_of_oneself"),
        ]
        indexes = [models.Index(fields=["status", "valid_until"], name="review_status_until")]

    def __str__(self) -> str:
        subject = f"drug {self.drug_id}" if self.drug_id else "supplier"
        return f"{self.buyer_id} on {self.supplier_id} {subject}: {self.status}"


class FirstBusinessReviewChange(TransitionRecord):
    review = models.ForeignKey(FirstBusinessReview, on_delete=models.CASCADE, related_name="status_changes")
