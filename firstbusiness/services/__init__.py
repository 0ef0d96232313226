"""Every write of the first-business app (STYLE G5): keyword-only, atomic, audited."""

from firstbusiness.services.documents import (
    StoredFile,
    document_file_accept,
    document_link,
    document_open,
    document_reject,
    document_submit,
    document_verify,
)
from firstbusiness.services.expiry import document_expiry_run
from firstbusiness.services.representatives import (
    representative_create,
    representative_mandate_sync,
    representative_revoke,
    representative_update,
)
from firstbusiness.services.reviews import review_decide
from firstbusiness.services.shares import share_accept, share_decline, share_request, share_revoke, share_send

__all__ = [
    "StoredFile",
    "document_expiry_run",
    "document_file_accept",
    "document_link",
    "document_open",
    "document_reject",
    "document_submit",
    "document_verify",
    "representative_create",
    "representative_mandate_sync",
    "representative_revoke",
    "representative_update",
    "review_decide",
    "share_accept",
    "share_decline",
    "share_request",
    "share_revoke",
    "share_send",
]
