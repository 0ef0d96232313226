"""The procurement app's hand-written SQL (pharmex/db.py has the policy; tests/procurement/test_sql.py the parity).

The gate reads the buyer's negotiated prices (协议价) for the drugs of a cart on every placement, whoever buys, inside
its one statement (orders.gate_rules, a rule's `read`); the market view reads them for a page of offers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from pharmex.db import RowModel, fetch_all
from procurement.models import ContractPrice

_PRICE = RowModel(ContractPrice, "price")


def negotiated_prices_of(drugs: str) -> str:
    """ContractPrice.objects.filter(buyer=…, drug_id__in=…, valid_from__lte=on, valid_until__gte=on) for the buyer
    %(buyer)s on %(on)s, where `drugs` is the right-hand side of `=` (`ANY(…)` of an array)."""
    return f"""
    SELECT {_PRICE.column("supplier")}, {_PRICE.column("drug")}, {_PRICE.column("unit_price")}
    FROM {_PRICE.table}
    WHERE {_PRICE.column("buyer")} = %(buyer)s AND {_PRICE.column("drug")} = {drugs}
      AND {_PRICE.column("valid_from")} <= %(on)s AND {_PRICE.column("valid_until")} >= %(on)s
"""


NEGOTIATED_PRICES = negotiated_prices_of("ANY(%(drugs)s)")
NEGOTIATED_PRICE_COLUMNS = 3
# For the drugs of the gate's cart, inside its one statement (orders.sql.gate_reads, a gate rule's `read`).
GATE_READ = negotiated_prices_of("ANY(ARRAY(SELECT drug FROM cart))")


def negotiated_prices(*, buyer_id: int, drug_ids: Sequence[int], on: date) -> list[tuple[int, int, Decimal]]:
    """(supplier id, drug id, unit price) of the buyer's negotiated prices of these drugs in force on `on`."""
    return fetch_all(NEGOTIATED_PRICES, {"buyer": buyer_id, "drugs": list(drug_ids), "on": on})
