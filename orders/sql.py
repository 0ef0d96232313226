"""The orders app's hand-written SQL (pharmex/db.py has the policy; tests/orders/test_sql.py the parity).

Placing an order is the platform's busiest write: the gate's reads go in one statement, and so do the order, its
lines and its first event, instead of a round trip each (BENCHMARKS.md, order placement).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.utils import timezone

from accounts import sql as accounts_sql
from accounts.choices import LicenseStatus
from catalog import sql as catalog_sql
from catalog.models import Offer
from firstbusiness import sql as firstbusiness_sql
from orders import gate_rules
from orders.gate_rules import GateRule
from orders.models import Order, OrderEvent, OrderLine, attach_lines
from pharmex.db import (
    InsertColumns,
    any_of,
    column,
    fetch_all,
    fetch_one,
    mark_saved,
    rows_by_part,
    side_by_side,
    table,
)

# The compliance gate's reads in one statement: the cart's offers (catalog), the valid licences of the buyer and of
# the cart's suppliers (accounts), the buyer's first-business decisions about those suppliers and drugs when it
# requires them (firstbusiness), and the `read` of each rule the apps above orders register (orders.gate_rules).
# Each app keeps its own SQL and its own reading of the rows; this only puts them in one round trip, which on this
# machine costs about 2 % of a placement (BENCHMARKS.md, order placement). The parts' rows come side by side
# (pharmex.db.side_by_side), each part's first column never NULL. `cart` probes the cart's offers
# again rather than reading the offers part, whose columns repeat names (the offer's and the ceiling's drug_id).
_CART = f"""
    SELECT {column(Offer, "supplier")} AS supplier, {column(Offer, "drug")} AS drug
    FROM {table(Offer)} WHERE {column(Offer, "id")} = {any_of("%(ids)s::bigint[]")}
"""
_DECISIONS = firstbusiness_sql.review_decisions_of(
    "ANY(ARRAY(SELECT supplier FROM cart))", "ANY(ARRAY(SELECT drug FROM cart))"
)
_GATE_PARTS = (
    ("offers", catalog_sql.OFFERS_WITH_DRUG_AND_SUPPLIER, catalog_sql.OFFER_COLUMNS),
    (
        "licences",
        accounts_sql.valid_licenses_of("ARRAY(SELECT %(buyer)s::bigint UNION SELECT supplier FROM cart)"),
        accounts_sql.VALID_LICENSE_COLUMNS,
    ),
    (
        "decisions",
        f"SELECT * FROM ({_DECISIONS}) AS decision WHERE %(reviews)s",
        firstbusiness_sql.REVIEW_DECISION_COLUMNS,
    ),
)


@lru_cache
def gate_reads_statement(rules: tuple[GateRule, ...]) -> tuple[str, tuple[tuple[str, int], ...]]:
    """The statement for the gate and these rules, and each part's name and column count, a rule's part named after
    the rule."""
    parts = _GATE_PARTS + tuple((rule.name, rule.read, rule.read_columns) for rule in rules if rule.read)
    ctes = ",\n".join(f"part_{n} AS ({sql})" for n, (_name, sql, _columns) in enumerate(parts))
    select = side_by_side([f"part_{n}" for n in range(len(parts))])
    widths = tuple((name, width) for name, _sql, width in parts)
    return f"WITH cart AS MATERIALIZED ({_CART}),\n{ctes}\n{select}", widths


@dataclass(frozen=True)
class GateRows:
    offers: list[tuple]  # catalog.sql.offers_from_rows reads them
    licences: list[tuple]  # accounts.selectors.trading_standings_from
    decisions: list[tuple]  # firstbusiness.gate.review_facts_from; none unless asked for
    rules: dict[str, list[tuple]]  # by rule name, what each registered rule's `read` selected (orders.gate_rules)


def gate_reads(*, buyer_id: int, offer_ids: Iterable[int], on: date, reviews: bool) -> GateRows:
    """The gate's reads for a cart, in one statement; the buyer's first-business decisions only when `reviews`."""
    statement, parts = gate_reads_statement(gate_rules.registered())
    params = {
        "ids": catalog_sql.offer_ids_param(set(offer_ids)),
        "on": on,
        "buyer": buyer_id,
        "approved": LicenseStatus.APPROVED.value,
        "reviews": reviews,
    }
    found = rows_by_part(fetch_all(statement, params), [width for _name, width in parts])
    offers, licences, decisions, *by_rule = found
    rule_names = [name for name, _width in parts[len(_GATE_PARTS) :]]
    return GateRows(offers, licences, decisions, rules=dict(zip(rule_names, by_rule, strict=True)))


_ORDER = InsertColumns(Order, skip=("number",))
_LINE, _EVENT = InsertColumns(OrderLine, skip=("order_id",)), InsertColumns(OrderEvent, skip=("order_id",))
_ID, _LINE_ORDER, _EVENT_ORDER = column(Order, "id"), column(OrderLine, "order"), column(OrderEvent, "order")

# The number is PX + local date + a platform-wide database sequence (migration orders 0002): no lock, never reused.
# At least eight digits, more past 99,999,999: lpad alone cuts a longer text to eight, so ten orders in a row would
# share a number and nine would fail.
INSERT_ORDER = f"""
    WITH sequence AS (SELECT nextval('orders_order_number_seq')::text AS n), new_order AS (
        INSERT INTO {_ORDER.table} ({column(Order, "number")}, {_ORDER.columns})
        SELECT %s || lpad(n, greatest(8, length(n)), '0'), {_ORDER.placeholders()} FROM sequence
        RETURNING {_ID}, {column(Order, "number")}
    ), new_lines AS (
        INSERT INTO {_LINE.table} ({_LINE_ORDER}, {_LINE.columns})
        SELECT new_order.{_ID}, {_LINE.aliased_columns("line")} FROM new_order, {_LINE.recordset("line")}
        RETURNING {column(OrderLine, "id")}, {column(OrderLine, "line_no")}
    ), new_event AS (
        INSERT INTO {_EVENT.table} ({_EVENT_ORDER}, {_EVENT.columns})
        SELECT new_order.{_ID}, {_EVENT.placeholders()} FROM new_order
        RETURNING {column(OrderEvent, "id")}
    )
    SELECT new_order.{_ID}, new_order.{column(Order, "number")}, new_event.{column(OrderEvent, "id")},
           (SELECT array_agg(new_lines.{column(OrderLine, "id")} ORDER BY new_lines.{column(OrderLine, "line_no")})
            FROM new_lines)
    FROM new_order, new_event
"""


def order_insert(order: Order, lines: list[OrderLine], event: OrderEvent) -> None:
    """Write a new order with its lines and placing event; their ids and the order number are set on them."""
    prefix = f"PX{timezone.localtime(order.placed_at):%Y%m%d}"
    params = [prefix, *_ORDER.values(order), _LINE.rows_json(lines), *_EVENT.values(event)]
    order_id, order.number, event_id, line_ids = fetch_one(INSERT_ORDER, params)
    mark_saved(order, order_id)
    for row, row_id in [(event, event_id), *zip(lines, line_ids, strict=True)]:
        row.order = order
        mark_saved(row, row_id)
    attach_lines(order, lines)  # the response shows them: no need to read them back
