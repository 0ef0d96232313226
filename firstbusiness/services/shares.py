"""Sharing an organisation's documents with one trading partner: requested by the recipient, sent (or granted)
by the provider, revocable by the provider; announced to the other side by webhook."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organization
from firstbusiness.choices import ShareStatus
from firstbusiness.models import DocumentShare, DocumentShareChange
from firstbusiness.notifications import announce
from firstbusiness.transitions import SHARE
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.errors import InvalidInput, NotAParty, NotFound
from pharmex.transitions import transition


def _partner(*, actor: Actor, organization_id: int, field: str) -> Organization:
    """Raises: NotFound for no such organisation; InvalidInput for one's own."""
    if organization_id == actor.organization_id:
        raise InvalidInput(
            [{"field": field, "code": "own_organization", "message": _("Your organisation cannot share with itself.")}]
        )
    partner = Organization.objects.filter(pk=organization_id).first()
    if partner is None:
        raise NotFound()
    return partner


def _payload(share: DocumentShare) -> dict:
    return {
        "share_id": share.pk,
        "provider_id": share.provider_id,
        "recipient_id": share.recipient_id,
        "status": share.status,
    }


def _open(*, actor: Actor, provider_id: int, recipient_id: int, status: str, action: str) -> tuple[DocumentShare, bool]:
    """The pair's share, created in `status` when new (with its history row and audit record)."""
    share, created = DocumentShare.objects.get_or_create(
        provider_id=provider_id, recipient_id=recipient_id, defaults={"status": status}
    )
    if created:
        if status == ShareStatus.ACTIVE:
            share.shared_at = share.created_at
            share.save(update_fields=["shared_at", "updated_at"])
        DocumentShareChange.objects.create(
            share=share, action=action, from_status="", to_status=status, actor=actor.audit.label[:255]
        )
        audit_record(
            actor=actor.audit,
            action=f"document_share.{action}",
            object_type="document_share",
            object_id=share.pk,
            organization_id=actor.organization_id,
            changes={"status": [None, status], "provider": provider_id, "recipient": recipient_id},
        )
    return share, created


@transaction.atomic
def share_request(*, actor: Actor, provider_id: int) -> DocumentShare:
    """Ask an organisation for its documents (a buyer asks a supplier for its first-business package). Asking again
    while a request is open or the documents are shared changes nothing.

    Raises: NotFound (no such organisation), InvalidInput (one's own).
    """
    recipient = actor.require_organization()
    _partner(actor=actor, organization_id=provider_id, field="provider_id")
    share, created = _open(
        actor=actor, provider_id=provider_id, recipient_id=recipient.pk, status=ShareStatus.REQUESTED, action="request"
    )
    if not created and share.status in (ShareStatus.DECLINED, ShareStatus.REVOKED):
        share = transition(SHARE, share.pk, action="request", actor=actor)
    elif not created:
        return share
    announce(
        event_type="documents.share_requested",
        organization_ids=[provider_id],
        object_type="document_share",
        object_id=share.pk,
        payload=_payload(share),
    )
    return share


def _shared(*, actor: Actor, share: DocumentShare, action: str, note: str = "") -> DocumentShare:
    share = transition(SHARE, share.pk, action=action, actor=actor, note=note)
    announce(
        event_type="documents.shared",
        organization_ids=[share.recipient_id],
        object_type="document_share",
        object_id=share.pk,
        payload=_payload(share),
    )
    return share


@transaction.atomic
def share_send(*, actor: Actor, recipient_id: int) -> DocumentShare:
    """Share the organisation's documents with a partner (granting its request if it asked). Sending to a partner
    already holding them changes nothing.

    Raises: NotFound (no such organisation), InvalidInput (one's own).
    """
    provider = actor.require_organization()
    _partner(actor=actor, organization_id=recipient_id, field="recipient_id")
    share, created = _open(
        actor=actor, provider_id=provider.pk, recipient_id=recipient_id, status=ShareStatus.ACTIVE, action="send"
    )
    if created:
        announce(
            event_type="documents.shared",
            organization_ids=[recipient_id],
            object_type="document_share",
            object_id=share.pk,
            payload=_payload(share),
        )
        return share
    if share.status == ShareStatus.ACTIVE:
        return share
    return _shared(actor=actor, share=share, action="send")


def _require_provider(actor: Actor, share: DocumentShare) -> None:
    if not actor.acts_for(share.provider_id):
        raise NotAParty(_("Only the organisation whose documents these are decides."))


@transaction.atomic
def share_accept(*, actor: Actor, share: DocumentShare, note: str = "") -> DocumentShare:
    """Grant a request. Raises: NotAParty (the recipient), InvalidTransition unless requested."""
    _require_provider(actor, share)
    return _shared(actor=actor, share=share, action="accept", note=note)


@transaction.atomic
def share_decline(*, actor: Actor, share: DocumentShare, note: str = "") -> DocumentShare:
    """Raises: NotAParty (the recipient), InvalidTransition unless requested."""
    _require_provider(actor, share)
    return transition(SHARE, share.pk, action="decline", actor=actor, note=note)


@transaction.atomic
def share_revoke(*, actor: Actor, share: DocumentShare, note: str = "") -> DocumentShare:
    """Stop sharing: from now on the recipient reads none of the documents, and its links stop working (its
    approvals stay its own record). Raises: NotAParty (the recipient), InvalidTransition unless active."""
    _require_provider(actor, share)
    share = transition(SHARE, share.pk, action="revoke", actor=actor, note=note)
    announce(
        event_type="documents.share_revoked",
        organization_ids=[share.recipient_id],
        object_type="document_share",
        object_id=share.pk,
        payload=_payload(share),
    )
    return share
