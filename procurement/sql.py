"""The procurement app's hand-written SQL (pharmex/db.py has the policy; tests/procurement/test_sql.py the parity).

The gate reads the buyer's negotiated prices (协议价) for the drugs of a cart on every placement, whoever buys.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from pharmex.db import RowModel, fetch_all
from procurement.models import ContractPrice

_PRICE = RowModel(ContractPrice, "price")

# ContractPrice.objects.filter(buyer=…, drug_id__in=…, valid_from__lte=on, valid_until__gte=on)
NEGOTIATED_PRICES = f"""
    SELECT {_PRICE.column("supplier")}, {_PRICE.column("drug")}, {_PRICE.column("unit_price")}
    FROM {_PRICE.table}
    WHERE {_PRICE.column("buyer")} = %(buyer)s AND {_PRICE.column("drug")} = ANY(%(drugs)s)
      AND {_PRICE.column("valid_from")} <= %(on)s AND {_PRICE.column("valid_until")} >= %(on)s
"""


def negotiated_prices(*, buyer_id: int, drug_ids: Sequence[int], on: date) -> list[tuple[int, int, Decimal]]:
    """(supplier id, drug id, unit price) of the buyer's negotiated prices of these drugs in force on `on`."""
    return fetch_all(NEGOTIATED_PRICES, {"buyer": buyer_id, "drugs": list(drug_ids), "on": on})
