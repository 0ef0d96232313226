"""The firstbusiness app's hand-written SQL (pharmex/db.py has the policy; tests/firstbusiness/test_sql.py the
parity).

The gate reads a buyer's decisions about the suppliers and drugs of a cart on every placement of a buyer that
requires first-business review, which most pharmacies and hospitals do, inside its one statement
(orders.sql.gate_reads).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from firstbusiness.models import FirstBusinessReview
from pharmex.db import RowModel, any_of, fetch_all

_REVIEW = RowModel(FirstBusinessReview, "review")

REVIEW_DECISION_COLUMNS = 4  # what review_decisions_of selects, in review_facts_from's order


def review_decisions_of(suppliers: str, drugs: str) -> str:
    """The buyer's (%(buyer)s) reviews: FirstBusinessReview.objects.filter(buyer_id=…, supplier_id__in=…)
    .filter(Q(drug__isnull=True) | Q(drug_id__in=…)), where `suppliers` and `drugs` are the right-hand sides of
    `=` (`ANY(…)` of an array). The gate also reads it inside its one statement (orders.sql.gate_reads)."""
    return f"""
    SELECT {_REVIEW.column("supplier")}, {_REVIEW.column("drug")}, {_REVIEW.column("status")},
           {_REVIEW.column("valid_until")}
    FROM {_REVIEW.table}
    WHERE {_REVIEW.column("buyer")} = %(buyer)s AND {_REVIEW.column("supplier")} = {suppliers}
      AND ({_REVIEW.column("drug")} IS NULL OR {_REVIEW.column("drug")} = {drugs})
"""


REVIEW_DECISIONS = review_decisions_of(any_of("%(suppliers)s::bigint[]"), any_of("%(drugs)s::bigint[]"))


def review_decisions(
    *, buyer_id: int, supplier_ids: Sequence[int], drug_ids: Sequence[int]
) -> list[tuple[int, int | None, str, date | None]]:
    """(supplier id, drug id or None, status, valid until) of the buyer's reviews of these suppliers, and of these
    drugs from them."""
    return fetch_all(REVIEW_DECISIONS, {"buyer": buyer_id, "suppliers": list(supplier_ids), "drugs": list(drug_ids)})
