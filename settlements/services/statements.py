"""Supplier statements: set-based generation, the state machine, adjustments and payout (SPEC §6)."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from pharmex.audit import AuditActor, audit_record
from pharmex.errors import InvalidTransition
from pharmex.money import ZERO
from settlements.choices import STATEMENT_TRANSITIONS, AccountKind, EntryKind, PeriodKind, StatementStatus
from settlements.errors import NegativeNet, PayoutAmountMismatch, PeriodNotClosed
from settlements.faults import fault_point
from settlements.models import Payout, Statement, StatementAdjustment, StatementEvent
from settlements.references import period_label
from settlements.services.ledger import Leg, entry_post, ledger_account, platform_account

_TIMESTAMP_FOR = {
    StatementStatus.ISSUED: "issued_at",
    StatementStatus.APPROVED: "approved_at",
    StatementStatus.PAID: "paid_at",
    StatementStatus.RECONCILED: "reconciled_at",
}


@dataclass(frozen=True)
class AdjustmentRequest:
    amount: Decimal  # positive: the supplier gets more
    reason: str


def period_bounds(kind: str, day: date) -> tuple[date, date]:
    """[start, end) of the Asia/Shanghai calendar month or ISO week containing `day`."""
    if kind == PeriodKind.WEEK:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    start = day.replace(day=1)
    return start, (start + timedelta(days=32)).replace(day=1)


def last_closed_period(kind: str, today: date | None = None) -> tuple[date, date]:
    today = today or timezone.localdate()
    current_start, _ = period_bounds(kind, today)
    return period_bounds(kind, current_start - timedelta(days=1))


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


_NEW_STATEMENTS = """
INSERT INTO settlements_statement (number, supplier_id, period_kind, period_start, period_end, status, currency,
    line_count, gross, commission, adjustments, net, revision, dispute_reason, created_at, updated_at)
SELECT 'ST' || %(label)s || '-' || lpad(r.supplier_id::text, 6, '0'), r.supplier_id, %(kind)s, %(start)s, %(end)s,
    'draft', r.currency, 0, 0, 0, 0, 0, 1, '', now(), now()
FROM settlements_receivable r
WHERE r.paid_at >= %(from)s AND r.paid_at < %(to)s AND r.reversed_at IS NULL
GROUP BY r.supplier_id, r.currency
ON CONFLICT (supplier_id, period_kind, period_start) DO NOTHING
RETURNING id
"""

_NEW_LINES = """
INSERT INTO settlements_statementline (statement_id, order_id, gross, commission, net, paid_at)
SELECT s.id, r.order_id, r.gross, r.commission, r.net, r.paid_at
FROM settlements_receivable r
JOIN settlements_statement s
  ON s.supplier_id = r.supplier_id AND s.period_kind = %(kind)s AND s.period_start = %(start)s AND s.status = 'draft'
WHERE r.paid_at >= %(from)s AND r.paid_at < %(to)s AND r.reversed_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM settlements_statementline done WHERE done.order_id = r.order_id)
"""

_TOTALS = """
UPDATE settlements_statement s
SET line_count = t.n, gross = t.gross, commission = t.commission, net = t.gross - t.commission + s.adjustments,
    updated_at = now()
FROM (
    SELECT l.statement_id, count(*) AS n, sum(l.gross) AS gross, sum(l.commission) AS commission
    FROM settlements_statementline l
    JOIN settlements_statement d ON d.id = l.statement_id
    WHERE d.period_kind = %(kind)s AND d.period_start = %(start)s AND d.status = 'draft'
    GROUP BY l.statement_id
) t
WHERE s.id = t.statement_id
"""


@transaction.atomic
def statement_generate(*, period_kind: str, day: date, actor: AuditActor, today: date | None = None) -> list[Statement]:
    """Generate (or complete) the statements of the closed period containing `day`, set-based in SQL.

    Idempotent: one statement per (supplier, period) and one statement line per order are unique in the
    database, so reruns, concurrent runs and a rerun after a crash all end with the same statements.
    Raises: PeriodNotClosed for a period that has not ended yet.
    """
    start, end = period_bounds(period_kind, day)
    if end > (today or timezone.localdate()):
        raise PeriodNotClosed(f"The period {start} – {end - timedelta(days=1)} has not ended.")
    params = {
        "kind": period_kind,
        "start": start,
        "end": end,
        "label": period_label(period_kind, start),
        "from": _local_midnight(start),
        "to": _local_midnight(end),
    }
    with connection.cursor() as cursor:
        # Concurrent runs for one period queue here, so the anti-join below sees the earlier run's lines (an
        # anti-join instead of ON CONFLICT: speculative insertion doubled the cost of 200k line inserts);
        # the unique order_id still refuses any order on two statements, whatever the path.
        lock_id = (0x5358 << 32) | zlib.crc32(f"{period_kind}{start}".encode())
        cursor.execute("SELECT pg_advisory_xact_lock(%s::bigint)", [lock_id])
        cursor.execute(_NEW_STATEMENTS, params)
        created = [row[0] for row in cursor.fetchall()]
        fault_point("statement.created")
        cursor.execute(_NEW_LINES, params)
        fault_point("statement.lines_inserted")
        cursor.execute(_TOTALS, params)
    StatementEvent.objects.bulk_create(
        StatementEvent(statement_id=pk, action="generate", to_status=StatementStatus.DRAFT, actor=actor.label)
        for pk in created
    )
    audit_record(
        actor=actor,
        action="statement.generated",
        object_type="statement_period",
        object_id=f"{period_kind}:{start}",
        changes={"created": len(created), "period_end": end},
    )
    return list(Statement.objects.filter(period_kind=period_kind, period_start=start).order_by("supplier_id"))


def statement_generate_due(*, today: date | None = None) -> int:
    """Job: statements of the last closed period in SETTLEMENT_PERIOD; a no-op when already generated."""
    from pharmex.audit import SYSTEM

    kind = settings.SETTLEMENT_PERIOD
    start, _ = last_closed_period(kind, today)
    return len(statement_generate(period_kind=kind, day=start, actor=SYSTEM, today=today))


def _transition(*, statement_id: int, action: str, actor: AuditActor, note: str = "", **changes) -> Statement:
    """Move a statement along STATEMENT_TRANSITIONS under a row lock, with an event and an audit record.

    Raises: InvalidTransition.
    """
    statement = Statement.objects.select_for_update().get(pk=statement_id)
    sources, target = STATEMENT_TRANSITIONS[action]
    if statement.status not in sources:
        raise InvalidTransition(f"Cannot {action} a statement that is {statement.status}.")
    previous = statement.status
    statement.status = target
    if target in _TIMESTAMP_FOR:
        setattr(statement, _TIMESTAMP_FOR[target], timezone.now())
    for field, value in changes.items():
        setattr(statement, field, value)
    statement.save()
    StatementEvent.objects.create(
        statement=statement,
        action=action,
        from_status=previous,
        to_status=target,
        actor=actor.label[:255],
        note=note[:1000],
    )
    audit_record(
        actor=actor,
        action=f"statement.{action}",
        object_type="statement",
        object_id=statement.pk,
        organization_id=statement.supplier_id,
        changes={"status": [previous, target], "note": note},
    )
    return statement


@transaction.atomic
def statement_issue(*, statement: Statement, actor: AuditActor) -> Statement:
    """Send a draft to the supplier; its lines are frozen from now on. Raises: InvalidTransition."""
    return _transition(statement_id=statement.pk, action="issue", actor=actor)


@transaction.atomic
def statement_approve(*, statement: Statement, actor: AuditActor) -> Statement:
    """Raises: InvalidTransition."""
    return _transition(statement_id=statement.pk, action="approve", actor=actor)


@transaction.atomic
def statement_dispute(*, statement: Statement, actor: AuditActor, reason: str) -> Statement:
    """The supplier contests an issued statement. Raises: InvalidTransition."""
    return _transition(statement_id=statement.pk, action="dispute", actor=actor, note=reason, dispute_reason=reason)


@transaction.atomic
def statement_resolve(
    *, statement: Statement, actor: AuditActor, adjustments: list[AdjustmentRequest], note: str = ""
) -> Statement:
    """Resolve a dispute: post each adjustment (payable vs commission revenue) and re-issue the statement.

    Raises: InvalidTransition, NegativeNet.
    """
    locked = Statement.objects.select_for_update().get(pk=statement.pk)
    if locked.status != StatementStatus.DISPUTED:
        raise InvalidTransition(f"Cannot resolve a statement that is {locked.status}.")
    total = sum((a.amount for a in adjustments), ZERO)
    if locked.net + total < ZERO:
        raise NegativeNet()
    revision = locked.revision + 1
    payable = ledger_account(
        kind=AccountKind.SUPPLIER_PAYABLE, organization_id=locked.supplier_id, currency=locked.currency
    )
    revenue = platform_account(AccountKind.COMMISSION_REVENUE, locked.currency)
    for index, adjustment in enumerate(adjustments, start=1):
        entry = entry_post(
            kind=EntryKind.ADJUSTMENT,
            source_type="statement",
            source_id=f"{locked.pk}:{revision}:{index}",
            created_by=actor.label,
            memo=f"{locked.number}: {adjustment.reason}",
            # More for the supplier comes out of the platform's commission, and the other way round.
            legs=[Leg(payable, -adjustment.amount), Leg(revenue, adjustment.amount)],
        )
        StatementAdjustment.objects.create(
            statement=locked,
            amount=adjustment.amount,
            reason=adjustment.reason,
            entry=entry,
            created_by=actor.label[:255],
        )
    return _transition(
        statement_id=locked.pk,
        action="resolve",
        actor=actor,
        note=note or f"{len(adjustments)} adjustment(s)",
        adjustments=locked.adjustments + total,
        net=locked.net + total,
        revision=revision,
        issued_at=timezone.now(),
        dispute_reason="",
    )


@transaction.atomic
def statement_pay(
    *, statement: Statement, actor: AuditActor, amount: Decimal, bank_reference: str, paid_on: date
) -> Statement:
    """Record the payout of an approved statement: supplier payable Dr net, platform bank Cr net.

    Raises: InvalidTransition, PayoutAmountMismatch (the amount must equal the net exactly).
    """
    locked = Statement.objects.select_for_update().get(pk=statement.pk)
    if locked.status != StatementStatus.APPROVED:
        raise InvalidTransition(f"Cannot pay a statement that is {locked.status}.")
    if amount != locked.net:
        raise PayoutAmountMismatch(f"The statement's net is {locked.net}, the payout {amount}.", field="amount")
    entry = None
    if amount != ZERO:
        entry = entry_post(
            kind=EntryKind.PAYOUT,
            source_type="statement",
            source_id=locked.pk,
            created_by=actor.label,
            memo=f"Payout of {locked.number} ({bank_reference})",
            legs=[
                Leg(
                    ledger_account(
                        kind=AccountKind.SUPPLIER_PAYABLE, organization_id=locked.supplier_id, currency=locked.currency
                    ),
                    amount,
                ),
                Leg(platform_account(AccountKind.PLATFORM_BANK, locked.currency), -amount),
            ],
        )
    Payout.objects.create(
        statement=locked,
        amount=amount,
        currency=locked.currency,
        bank_reference=bank_reference,
        paid_on=paid_on,
        entry=entry,
        recorded_by=actor.label[:255],
    )
    return _transition(statement_id=locked.pk, action="pay", actor=actor, note=bank_reference)


@transaction.atomic
def statement_reconcile(*, statement: Statement, actor: AuditActor, note: str = "") -> Statement:
    """The payout was seen on the bank statement. Raises: InvalidTransition."""
    return _transition(statement_id=statement.pk, action="reconcile", actor=actor, note=note)


@transaction.atomic
def statement_unreconcile(*, statement: Statement, actor: AuditActor, note: str = "") -> Statement:
    """Raises: InvalidTransition."""
    return _transition(statement_id=statement.pk, action="unreconcile", actor=actor, note=note)
