"""Supplier statements: set-based generation, the state machine, adjustments and payout (SPEC §6)."""

from __future__ import annotations

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


# One statement per supplier (and currency) with orders paid in the period, its totals from the same GROUP BY,
# and its "generate" event: one SQL statement, one pass over the period's receivables. ON CONFLICT without a
# target skips a supplier that already has this period's statement (statement_one_per_period) or any other
# statement overlapping it (statement_paid_ranges_disjoint, e.g. a weekly one). Ordered by supplier, so
# statement ids follow supplier ids.
_GENERATE = """
WITH created AS (
    INSERT INTO settlements_statement (number, supplier_id, period_kind, period_start, period_end, paid_from,
        paid_to, status, currency, line_count, gross, commission, adjustments, net, revision, dispute_reason,
        created_at, updated_at)
    SELECT 'ST' || %(label)s || '-' || lpad(r.supplier_id::text, 6, '0'), r.supplier_id, %(kind)s, %(start)s,
        %(end)s, %(from)s, %(to)s, 'draft', r.currency, count(*), sum(r.gross), sum(r.commission), 0,
        sum(r.gross) - sum(r.commission), 1, '', now(), now()
    FROM settlements_receivable r
    WHERE r.paid_at >= %(from)s AND r.paid_at < %(to)s AND r.reversed_at IS NULL
    GROUP BY r.supplier_id, r.currency
    ORDER BY r.supplier_id, r.currency
    ON CONFLICT DO NOTHING
    RETURNING id
)
INSERT INTO settlements_statementevent (statement_id, action, from_status, to_status, actor, note, created_at)
SELECT id, 'generate', '', 'draft', %(actor)s, '', now() FROM created
RETURNING statement_id
"""
_GENERATION_LOCK = 0x5358_4745  # "SXGE": statement runs of every period kind queue behind each other
RECEIVABLE_LOCK_TIMEOUT = "10s"


@transaction.atomic
def statement_generate(*, period_kind: str, day: date, actor: AuditActor, today: date | None = None) -> list[Statement]:
    """Generate the statements of the closed period containing `day`, set-based in SQL.

    A statement settles its supplier's receivables paid in the period; no row is written per order. Idempotent:
    the database holds one statement per (supplier, period) and never two overlapping ones for a supplier, so
    reruns, concurrent runs and a rerun after a crash all end with the same statements.
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
        "actor": actor.label[:255],
    }
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_GENERATION_LOCK])
        # SHARE waits for every transaction that is writing receivables (a payment setting paid_at) and holds
        # new writers off until we commit, so the totals below and the paid range the guard trigger freezes
        # (migration 0004) see the same receivables. A bounded wait: a stuck writer fails the run, not payments.
        cursor.execute("SELECT current_setting('lock_timeout')")
        previous_timeout = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [RECEIVABLE_LOCK_TIMEOUT])
        cursor.execute("LOCK TABLE settlements_receivable IN SHARE MODE")
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [previous_timeout])
        cursor.execute(_GENERATE, params)
        created = [row[0] for row in cursor.fetchall()]
        # The statements' lines are fixed by the same INSERT (their paid ranges): both crash points follow it.
        fault_point("statement.created")
        fault_point("statement.lines_inserted")
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
