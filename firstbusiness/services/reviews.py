"""A buyer's quality decisions: approving or rejecting a supplier (首营企业) or a supplier's drug (首营品种)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import BUYER_KINDS, SUPPLIER_KINDS
from accounts.models import Organization
from catalog.selectors import drug_list
from firstbusiness import selectors
from firstbusiness.choices import DRUG_BASIS, SUPPLIER_BASIS
from firstbusiness.errors import PackageNotShared, ReviewDocumentExpired, ReviewDocumentsMissing
from firstbusiness.models import Document, FirstBusinessReview
from firstbusiness.notifications import announce
from firstbusiness.transitions import REVIEW
from pharmex.actor import Actor
from pharmex.errors import InvalidInput, NotAParty, NotFound
from pharmex.transitions import transition


def _basis(*, supplier_id: int, drug_id: int | None, today: date) -> list[Document]:
    """The supplier's current documents an approval rests on.

    Raises: ReviewDocumentsMissing when there is none, ReviewDocumentExpired when one has already expired.
    """
    documents = selectors.current_documents(organization_id=supplier_id).order_by("id")
    if drug_id is None:
        documents = documents.filter(type__in=sorted(SUPPLIER_BASIS), drug__isnull=True)
    else:
        documents = documents.filter(type__in=sorted(DRUG_BASIS), drug_id=drug_id)
    basis = list(documents)
    if not basis:
        raise ReviewDocumentsMissing(
            _("The supplier has shared no current licence or quality agreement.")
            if drug_id is None
            else _("The supplier has shared no current registration certificate or quality standard of this drug.")
        )
    if expired := [document.pk for document in basis if document.valid_until and document.valid_until < today]:
        raise ReviewDocumentExpired(
            _("Documents %(ids)s have expired; ask the supplier for the renewed ones.") % {"ids": expired}
        )
    return basis


def _payload(review: FirstBusinessReview) -> dict:
    return {
        "review_id": review.pk,
        "buyer_id": review.buyer_id,
        "supplier_id": review.supplier_id,
        "drug_id": review.drug_id,
        "status": review.status,
        "valid_until": review.valid_until,
    }


@transaction.atomic
def review_decide(
    *, actor: Actor, supplier_id: int, drug_id: int | None, approve: bool, note: str = ""
) -> FirstBusinessReview:
    """Record the buyer's decision (a quality member's). An approval needs the supplier's documents shared with the
    buyer and rests on its current licences and quality agreement (supplier) or the drug's registration and quality
    standard (drug): it is valid until the earliest of their expiry dates.

    Raises: NotAParty (not a buyer), NotFound (no such supplier or drug), InvalidInput (not a supplier),
    PackageNotShared, ReviewDocumentsMissing, ReviewDocumentExpired.
    """
    buyer = actor.require_organization()
    if buyer.kind not in BUYER_KINDS:
        raise NotAParty(_("Only buyers review their suppliers."))
    supplier = Organization.objects.filter(pk=supplier_id).first()
    if supplier is None:
        raise NotFound()
    if supplier.kind not in SUPPLIER_KINDS or supplier.pk == buyer.pk:
        raise InvalidInput(
            [{"field": "supplier_id", "code": "not_a_supplier", "message": _("This organisation supplies nothing.")}]
        )
    if drug_id is not None and not drug_list(actor=actor).filter(pk=drug_id).exists():
        raise NotFound()
    changes: dict = {"note": note, "decided_by": actor.user}
    if approve:
        if not selectors.share_is_active(provider_id=supplier.pk, recipient_id=buyer.pk):
            raise PackageNotShared()
        basis = _basis(supplier_id=supplier.pk, drug_id=drug_id, today=timezone.localdate())
        ends = [document.valid_until for document in basis if document.valid_until is not None]
        changes["valid_until"] = min(ends) if ends else None
        changes["basis"] = [
            {
                "document_id": document.pk,
                "type": document.type,
                "version": document.version,
                "sha256": document.sha256,
                "valid_until": document.valid_until.isoformat() if document.valid_until else None,
            }
            for document in basis
        ]
    else:
        changes.update(valid_until=None, basis=[])
    review, _created = FirstBusinessReview.objects.get_or_create(buyer=buyer, supplier=supplier, drug_id=drug_id)
    action = "approve" if approve else "reject"
    review = transition(
        REVIEW,
        review.pk,
        action=action,
        actor=actor,
        note=note,
        changes=changes,
        data={
            "valid_until": changes["valid_until"].isoformat() if changes.get("valid_until") else None,
            "documents": [entry["document_id"] for entry in changes["basis"]],
        },
    )
    if approve:
        announce(
            event_type="first_business.approved",
            organization_ids=[buyer.pk, supplier.pk],
            object_type="first_business_review",
            object_id=review.pk,
            payload=_payload(review),
        )
    return review
