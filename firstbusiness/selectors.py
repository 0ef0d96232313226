"""Reads, scoped to the actor (STYLE G6): whose documents, shares and reviews the caller may see."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from firstbusiness.choices import CURRENT_STATUSES, DocumentStatus, ShareStatus
from firstbusiness.models import (
    Document,
    DocumentAccess,
    DocumentShare,
    DocumentShareChange,
    DocumentStatusChange,
    FirstBusinessReview,
    FirstBusinessReviewChange,
    SalesRepresentative,
)
from pharmex.actor import Actor
from pharmex.errors import NotFound
from pharmex.tenancy import own_q, scoped


def _shared_with(actor: Actor, provider_field: str) -> Q:
    """Rows of providers that share their documents with the actor's organisation."""
    active = DocumentShare.objects.filter(
        provider=OuterRef(provider_field), recipient_id=actor.organization_id, status=ShareStatus.ACTIVE
    )
    return Q(Exists(active))


def document_list(*, actor: Actor) -> QuerySet[Document]:
    """Platform staff: every document. An organisation: its own, every version and status; and those of the
    providers sharing with it — current versions and the ones they replaced, never what the platform rejected."""
    queryset = Document.objects.select_related("organization", "license", "representative", "drug").order_by("-id")
    if actor.is_staff:
        return queryset
    if actor.organization is None:
        return queryset.none()
    own = Q(organization_id=actor.organization_id)
    shared = _shared_with(actor, "organization") & ~Q(status=DocumentStatus.REJECTED)
    return queryset.filter(own | shared)


def document_get(*, actor: Actor, document_id: int) -> Document:
    """Raises: NotFound for a document the actor may not read."""
    document = document_list(actor=actor).filter(pk=document_id).first()
    if document is None:
        raise NotFound()
    return document


def document_history(*, document: Document) -> QuerySet[DocumentStatusChange]:
    return document.status_changes.order_by("-id")


def document_access_list(*, actor: Actor, document: Document) -> QuerySet[DocumentAccess]:
    """Who accessed a document the actor reads: its owner and staff see everyone, a recipient its own accesses."""
    queryset = document.accesses.select_related("organization").order_by("-id")
    if actor.acts_for(document.organization_id):
        return queryset
    return scoped(queryset, own_q(actor, "organization"))


def current_documents(*, organization_id: int) -> QuerySet[Document]:
    """An organisation's current versions (what a recipient reviews)."""
    return Document.objects.filter(organization_id=organization_id, status__in=sorted(CURRENT_STATUSES))


def representative_list(*, actor: Actor) -> QuerySet[SalesRepresentative]:
    """Staff: all; an organisation: its own and those of providers sharing with it."""
    queryset = SalesRepresentative.objects.select_related("organization").order_by("id")
    if actor.is_staff:
        return queryset
    if actor.organization is None:
        return queryset.none()
    return queryset.filter(Q(organization_id=actor.organization_id) | _shared_with(actor, "organization"))


def share_list(*, actor: Actor) -> QuerySet[DocumentShare]:
    """The shares the actor's organisation provides or receives (staff: all)."""
    queryset = DocumentShare.objects.select_related("provider", "recipient").order_by("-id")
    return scoped(queryset, own_q(actor, "provider", "recipient"))


def share_history(*, share: DocumentShare) -> QuerySet[DocumentShareChange]:
    return share.status_changes.order_by("-id")


def review_list(*, actor: Actor) -> QuerySet[FirstBusinessReview]:
    """A buyer's own decisions (its quality file); staff: all. Suppliers learn theirs by webhook."""
    queryset = FirstBusinessReview.objects.select_related("supplier", "drug").order_by("-id")
    return scoped(queryset, own_q(actor, "buyer"))


def review_history(*, review: FirstBusinessReview) -> QuerySet[FirstBusinessReviewChange]:
    return review.status_changes.order_by("-id")


def share_is_active(*, provider_id: int, recipient_id: int) -> bool:
    return DocumentShare.objects.filter(
        provider_id=provider_id, recipient_id=recipient_id, status=ShareStatus.ACTIVE
    ).exists()
