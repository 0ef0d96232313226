"""The settlements app's hand-written SQL (pharmex/db.py has the policy; tests/settlements/test_sql.py the parity;
tests/settlements/test_balance_checkpoints.py that of the balance checkpoints).

A month's statements for every supplier are one GROUP BY over the period's receivables (BENCHMARKS.md,
settlements). Which receivables a statement settles is one rule, written once as the SQL function
`settlements_statement_settles` (migration 0005): the guard trigger, the StatementLine view and the
generator below all call it.
"""

from __future__ import annotations

from datetime import date, datetime

from django.conf import settings

from pharmex.db import column, execute, fetch_all, fetch_one, table
from settlements.choices import StatementStatus
from settlements.models import BalanceCheckpoint, Posting, Receivable, Statement, StatementEvent

_S, _R, _E = Statement, Receivable, StatementEvent


def _c(model, *names: str) -> str:
    return ", ".join(column(model, name) for name in names)


def _r(name: str) -> str:
    return column(_R, name, "r")


# The one definition of "statement s settles receivable r" (created by migration 0005; the planner inlines it).
SETTLES = "settlements_statement_settles"

# Where a supplier's statement for the period starts: the period's start, or the cut-off of a statement a finance
# admin closed early inside the period (statement_close_early) — the next one starts there.
_FROM = f"""GREATEST(%(from)s::timestamptz, coalesce((
    SELECT max(e.{column(_S, "paid_to")}) FROM {table(_S)} e
    WHERE e.{column(_S, "supplier")} = {_r("supplier")} AND e.{column(_S, "currency")} = {_r("currency")}
      AND e.{column(_S, "paid_to")} > %(from)s AND e.{column(_S, "paid_to")} < %(to)s), %(from)s::timestamptz))"""

# One statement per supplier (and currency) with orders paid in the period, its totals from the same GROUP BY,
# and its "generate" event: one SQL statement, one pass over the period's receivables. ON CONFLICT without a
# target skips a supplier that already has this period's statement (statement_one_per_period) or any other
# statement overlapping it (statement_paid_ranges_disjoint, e.g. a weekly one). Ordered by supplier, so
# statement ids follow supplier ids. The receivables are those the new statement will settle: each is
# compared with the statement its own supplier and currency get. The explicit period range is implied by the
# rule (a statement starts at or after the period's start) but the planner cannot see through GREATEST and the
# correlated cut-off: without it the index scan read every receivable paid before the period's end, so a month's
# statements cost grew with all history (bench/growth.py: 0.9 s at one year, 3.7 s at four; 0.1 s with it).
GENERATE = f"""
WITH created AS (
    INSERT INTO {table(_S)} ({
    _c(
        _S,
        "number",
        "supplier",
        "period_kind",
        "period_start",
        "period_end",
        "paid_from",
        "paid_to",
        "status",
        "currency",
        "line_count",
        "gross",
        "commission",
        "adjustments",
        "net",
        "revision",
        "dispute_reason",
        "created_at",
        "updated_at",
    )
})
    SELECT %(prefix)s || lpad({_r("supplier")}::text, greatest(6, length({_r("supplier")}::text)), '0'),
        {_r("supplier")}, %(kind)s,
        greatest(%(start)s::date, ({_FROM} AT TIME ZONE %(tz)s)::date), %(end)s, {_FROM}, %(to)s, %(draft)s, {
    _r("currency")
}, count(*), sum({_r("gross")}), sum({_r("commission")}), 0,
        sum({_r("gross")}) - sum({_r("commission")}), 1, '', now(), now()
    FROM {table(_R, "r")}
    WHERE {_r("paid_at")} >= %(from)s AND {_r("paid_at")} < %(to)s
      AND {SETTLES}({_r("supplier")}, {_r("currency")}, {_FROM}, %(to)s,
                    {_r("supplier")}, {_r("currency")}, {_r("paid_at")}, {_r("reversed_at")})
    GROUP BY {_r("supplier")}, {_r("currency")}
    ORDER BY {_r("supplier")}, {_r("currency")}
    ON CONFLICT DO NOTHING
    RETURNING {column(_S, "id")}
)
INSERT INTO {table(_E)} ({
    _c(_E, "statement", "action", "from_status", "to_status", "actor", "note", "data", "created_at")
})
SELECT created.{column(_S, "id")}, %(action)s, '', %(draft)s, %(actor)s, '', '{{}}'::jsonb, now() FROM created
RETURNING {column(_E, "statement")}
"""

# SHARE waits for every transaction writing receivables and holds new writers off until commit.
LOCK_RECEIVABLES = f"LOCK TABLE {table(_R)} IN SHARE MODE"


def receivables_lock_for_generation() -> None:
    execute(LOCK_RECEIVABLES)


def statements_generate(
    *,
    period_kind: str,
    start: date,
    end: date,
    label: str,
    paid_from: datetime,
    paid_to: datetime,
    actor_label: str,
) -> list[int]:
    """Insert the period's missing statements (with their "generate" events); returns their ids."""
    rows = fetch_all(
        GENERATE,
        {
            "prefix": f"ST{label}-",
            "kind": period_kind,
            "start": start,
            "end": end,
            "from": paid_from,
            "to": paid_to,
            "draft": StatementStatus.DRAFT.value,
            "action": "generate",
            "actor": actor_label[:255],
            "tz": settings.TIME_ZONE,
        },
    )
    return [statement_id for (statement_id,) in rows]


_P, _C = Posting, BalanceCheckpoint

# The postings in (%(after)s, %(upto)s], summed per account and added to each account's checkpoint. An account
# without postings in the range keeps its row: none of its postings lie between its own horizon and the new one,
# so its balance through the new horizon is the one it has.
CHECKPOINT = f"""
WITH moved AS (
    SELECT p.{column(_P, "account")} AS account, sum(p.{column(_P, "amount")}) AS amount
    FROM {table(_P, "p")}
    WHERE p.{column(_P, "id")} > %(after)s AND p.{column(_P, "id")} <= %(upto)s
    GROUP BY 1
)
INSERT INTO {table(_C)} ({column(_C, "account")}, {column(_C, "through_posting")}, {column(_C, "balance")},
    {column(_C, "taken_at")})
SELECT m.account, %(upto)s, coalesce(c.{column(_C, "balance")}, 0) + m.amount, now()
FROM moved m LEFT JOIN {table(_C, "c")} ON c.{column(_C, "account")} = m.account
ON CONFLICT ({column(_C, "account")}) DO UPDATE SET
    {column(_C, "through_posting")} = EXCLUDED.{column(_C, "through_posting")},
    {column(_C, "balance")} = EXCLUDED.{column(_C, "balance")},
    {column(_C, "taken_at")} = EXCLUDED.{column(_C, "taken_at")}
"""


def posting_horizon() -> int:
    """The newest posting's id (0 for an empty book)."""
    return fetch_one(f"SELECT coalesce(max({column(_P, 'id')}), 0) FROM {table(_P)}")[0]


def checkpoint_horizon() -> int:
    """The posting id the checkpoints have counted through (0 before the first)."""
    return fetch_one(f"SELECT coalesce(max({column(_C, 'through_posting')}), 0) FROM {table(_C)}")[0]


def posting_step(*, after: int, count: int, horizon: int) -> int | None:
    """The id `count` postings after `after`, or the last one up to `horizon`; None when none lies between."""
    row = fetch_one(
        f"SELECT max(id) FROM (SELECT {column(_P, 'id')} AS id FROM {table(_P)} "
        f"WHERE {column(_P, 'id')} > %(after)s AND {column(_P, 'id')} <= %(horizon)s "
        f"ORDER BY {column(_P, 'id')} LIMIT %(count)s) step",
        {"after": after, "horizon": horizon, "count": count},
    )
    return row[0]


def balances_checkpoint(*, after: int, upto: int) -> int:
    """Bring the checkpoints from `after` (their horizon) up to `upto`; returns the accounts whose balance moved."""
    return execute(CHECKPOINT, {"after": after, "upto": upto})
