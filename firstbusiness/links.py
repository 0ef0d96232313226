"""Short-lived signed download links (django.core.signing): never a public URL of the store.

A link names one document version and who it was issued to — the organisation and the person or API key —
and is signed with SECRET_KEY under its own salt, with its issue time. It only works for that caller (signed
in as usual) and for `DOCUMENT_LINK_MAX_AGE_SECONDS`; a forged, altered or foreign link is "not found", an
expired one of the caller's own says so (410).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone

from firstbusiness.errors import DownloadLinkExpired
from pharmex.actor import Actor
from pharmex.errors import NotFound

SALT = "pharmex.firstbusiness.document-link"


@dataclass(frozen=True)
class Link:
    token: str
    expires_at: datetime


def _principal(actor: Actor) -> str:
    if actor.api_key is not None:
        return f"k:{actor.api_key.prefix}"
    return f"u:{actor.user.pk}" if actor.user is not None else ""


def link_issue(*, actor: Actor, document_id: int) -> Link:
    payload = {"d": document_id, "o": actor.organization_id, "p": _principal(actor)}
    token = signing.TimestampSigner(salt=SALT).sign_object(payload)
    return Link(token=token, expires_at=timezone.now() + timedelta(seconds=settings.DOCUMENT_LINK_MAX_AGE_SECONDS))


def link_document_id(*, actor: Actor, token: str) -> int:
    """The document a link names, for the caller it was issued to.

    Raises: NotFound (forged, altered, or another caller's), DownloadLinkExpired (the caller's own, too old).
    """
    signer = signing.TimestampSigner(salt=SALT)
    try:
        payload, expired = signer.unsign_object(token, max_age=settings.DOCUMENT_LINK_MAX_AGE_SECONDS), False
    except signing.SignatureExpired:
        payload, expired = signer.unsign_object(token), True  # authentic, only old: whose is it?
    except (signing.BadSignature, ValueError, TypeError):
        raise NotFound() from None
    if (
        not isinstance(payload, dict)
        or payload.get("o") != actor.organization_id
        or payload.get("p") != _principal(actor)
    ):
        raise NotFound()
    if expired:
        raise DownloadLinkExpired()
    return int(payload["d"])
