"""The first-business app's state machines (pharmex.transitions)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from firstbusiness.choices import DocumentStatus, RepresentativeStatus, ReviewStatus, ShareStatus
from firstbusiness.models import (
    Document,
    DocumentShare,
    DocumentShareChange,
    DocumentStatusChange,
    FirstBusinessReview,
    FirstBusinessReviewChange,
    RepresentativeStatusChange,
    SalesRepresentative,
)
from pharmex.transitions import StateMachine, Transition

_CURRENT = frozenset({DocumentStatus.PENDING, DocumentStatus.VERIFIED, DocumentStatus.REJECTED})

DOCUMENT = StateMachine(
    model=Document,
    object_type="document",
    noun=_("a document"),
    transitions={
        "verify": Transition(frozenset({DocumentStatus.PENDING}), DocumentStatus.VERIFIED),
        "reject": Transition(frozenset({DocumentStatus.PENDING}), DocumentStatus.REJECTED),
        # A new version of the same series replaces whatever the current one is.
        "supersede": Transition(_CURRENT, DocumentStatus.SUPERSEDED),
    },
    history_model=DocumentStatusChange,
    history_field="document",
    organization_of=lambda document, _action: document.organization_id,
    timestamps={
        DocumentStatus.VERIFIED: "reviewed_at",
        DocumentStatus.REJECTED: "reviewed_at",
        DocumentStatus.SUPERSEDED: "superseded_at",
    },
)

REPRESENTATIVE = StateMachine(
    model=SalesRepresentative,
    object_type="sales_representative",
    noun=_("a sales representative"),
    transitions={"revoke": Transition(frozenset({RepresentativeStatus.ACTIVE}), RepresentativeStatus.REVOKED)},
    history_model=RepresentativeStatusChange,
    history_field="representative",
    organization_of=lambda representative, _action: representative.organization_id,
)

_REOPENABLE = frozenset({ShareStatus.DECLINED, ShareStatus.REVOKED})

SHARE = StateMachine(
    model=DocumentShare,
    object_type="document_share",
    noun=_("a document share"),
    transitions={
        # The provider grants a request, or sends its documents unasked …
        "accept": Transition(frozenset({ShareStatus.REQUESTED}), ShareStatus.ACTIVE),
        "send": Transition(_REOPENABLE | {ShareStatus.REQUESTED}, ShareStatus.ACTIVE),
        "decline": Transition(frozenset({ShareStatus.REQUESTED}), ShareStatus.DECLINED),
        "revoke": Transition(frozenset({ShareStatus.ACTIVE}), ShareStatus.REVOKED),
        # … and the recipient asks again after a refusal or a revocation.
        "request": Transition(_REOPENABLE, ShareStatus.REQUESTED),
    },
    history_model=DocumentShareChange,
    history_field="share",
    # Recorded for the provider (its documents); the recipient's own actions are recorded for it.
    organization_of=lambda share, action: share.recipient_id if action == "request" else share.provider_id,
    timestamps={ShareStatus.ACTIVE: "shared_at"},
)

_DECIDABLE = frozenset({ReviewStatus.PENDING, ReviewStatus.APPROVED, ReviewStatus.REJECTED, ReviewStatus.EXPIRED})

REVIEW = StateMachine(
    model=FirstBusinessReview,
    object_type="first_business_review",
    noun=_("a first-business review"),
    transitions={
        # A decision may always be taken again: renewed documents, a changed mind.
        "approve": Transition(_DECIDABLE, ReviewStatus.APPROVED),
        "reject": Transition(_DECIDABLE, ReviewStatus.REJECTED),
        "expire": Transition(frozenset({ReviewStatus.APPROVED}), ReviewStatus.EXPIRED),
    },
    history_model=FirstBusinessReviewChange,
    history_field="review",
    organization_of=lambda review, _action: review.buyer_id,
    timestamps={ReviewStatus.APPROVED: "decided_at", ReviewStatus.REJECTED: "decided_at"},
)
