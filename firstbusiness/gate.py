"""The first-business rule of the compliance gate (SPEC §3, §5): a buyer that requires it orders only from
suppliers, and drugs of a supplier, its quality staff approved and whose approval has not expired.

orders.compliance reads the decisions inside the gate's one statement (orders.sql.gate_reads, none when the buyer
does not require reviews), turns them into facts with `review_facts_from` and asks `review_findings` per line; the
market view marks offers with the same findings (`review_facts`, one query).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.utils.translation import gettext as _

from firstbusiness import sql
from firstbusiness.choices import ReviewStatus

REASON = "first_business_review_required"
SUPPLIER, DRUG = "supplier", "drug"


@dataclass(frozen=True)
class Finding:
    """Why a line needs a first-business review: `subject` is "supplier" (首营企业) or "drug" (首营品种)."""

    code: str
    subject: str
    message: str


@dataclass(frozen=True)
class ReviewFacts:
    required: bool
    on: date | None = None
    # (supplier id, drug id or None) → (status, valid_until) of the buyer's decision
    decisions: dict[tuple[int, int | None], tuple[str, date | None]] = field(default_factory=dict)


NOT_REQUIRED = ReviewFacts(required=False)


def review_facts(*, buyer, pairs: Iterable[tuple[int, int]], on: date) -> ReviewFacts:
    """The buyer's decisions about these (supplier, drug) pairs, in one query (none when it requires no review)."""
    if not buyer.requires_first_business_review:
        return NOT_REQUIRED
    pairs = {(supplier_id, drug_id) for supplier_id, drug_id in pairs if supplier_id != buyer.pk}
    if not pairs:
        return ReviewFacts(required=True, on=on)
    suppliers = sorted({supplier_id for supplier_id, _drug in pairs})
    drugs = sorted({drug_id for _supplier, drug_id in pairs})
    return review_facts_from(sql.review_decisions(buyer_id=buyer.pk, supplier_ids=suppliers, drug_ids=drugs), on=on)


def review_facts_from(rows: Iterable[Sequence], *, on: date) -> ReviewFacts:
    """The facts of a buyer that requires reviews, from rows of firstbusiness.sql.review_decisions_of."""
    return ReviewFacts(
        required=True,
        on=on,
        decisions={(supplier_id, drug_id): (status, valid_until) for supplier_id, drug_id, status, valid_until in rows},
    )


def _finding(facts: ReviewFacts, key: tuple[int, int | None], subject: str) -> Finding | None:
    status, valid_until = facts.decisions.get(key, (ReviewStatus.PENDING, None))
    if status == ReviewStatus.APPROVED and (valid_until is None or valid_until >= facts.on):
        return None
    what = _("this supplier (首营企业)") if subject == SUPPLIER else _("this drug from this supplier (首营品种)")
    if status == ReviewStatus.REJECTED:
        message = _("Your quality staff rejected %(what)s.") % {"what": what}
    elif status in (ReviewStatus.APPROVED, ReviewStatus.EXPIRED):
        message = _("Your approval of %(what)s expired on %(date)s; review its renewed documents.") % {
            "what": what,
            "date": valid_until,
        }
    else:
        message = _("Your quality staff have not approved %(what)s yet.") % {"what": what}
    return Finding(code=REASON, subject=subject, message=message)


def review_findings(facts: ReviewFacts, *, buyer_id: int, supplier_id: int, drug_id: int) -> list[Finding]:
    """What a line from `supplier_id` of `drug_id` still needs: the supplier's approval, the drug's, or both."""
    if not facts.required or supplier_id == buyer_id:
        return []
    found = [
        _finding(facts, (supplier_id, None), SUPPLIER),
        _finding(facts, (supplier_id, drug_id), DRUG),
    ]
    return [finding for finding in found if finding is not None]
