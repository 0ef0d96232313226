"""The orders app's hand-written SQL (pharmex/db.py has the policy; tests/orders/test_sql.py the parity).

Placing an order is the platform's busiest write: the order, its lines and its first event go in one
statement instead of three compiled INSERTs and their round trips (BENCHMARKS.md, order placement).
"""

from __future__ import annotations

from django.utils import timezone

from orders.models import Order, OrderEvent, OrderLine, attach_lines
from pharmex.db import InsertColumns, column, fetch_one, mark_saved

_ORDER = InsertColumns(Order, skip=("number",))
_LINE, _EVENT = InsertColumns(OrderLine, skip=("order_id",)), InsertColumns(OrderEvent, skip=("order_id",))
_ID, _LINE_ORDER, _EVENT_ORDER = column(Order, "id"), column(OrderLine, "order"), column(OrderEvent, "order")

# The number is PX + local date + a platform-wide database sequence (migration orders 0002): no lock, never reused.
INSERT_ORDER = f"""
    WITH new_order AS (
        INSERT INTO {_ORDER.table} ({column(Order, "number")}, {_ORDER.columns})
        VALUES (%s || lpad(nextval('orders_order_number_seq')::text, 8, '0'), {_ORDER.placeholders()})
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
