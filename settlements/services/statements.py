"""Supplier statements: set-based generation, the state machine, adjustments and payout (SPEC §6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pharmex.actor import SYSTEM_ACTOR, Actor
from pharmex.audit import audit_record
from pharmex.calendar import local_midnight
from pharmex.choices import StaffRole
from pharmex.db import advisory_xact_lock, lock_timeout
from pharmex.errors import NotAParty
from pharmex.money import ZERO
from pharmex.transitions import transition, transition_apply, transition_lock
from settlements import sql
from settlements.choices import AccountKind, EntryKind, PeriodKind
from settlements.errors import NegativeNet, PayoutAmountMismatch, PeriodNotClosed
from settlements.models import CreditNote, Payout, Statement, StatementAdjustment
from settlements.references import period_label
from settlements.services.ledger import Leg, entry_post, ledger_account, platform_account
from settlements.transitions import STATEMENT

_GENERATION_LOCK = "statement-generation"  # runs of every period kind queue behind each other
RECEIVABLE_LOCK_TIMEOUT = "10s"


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


@transaction.atomic
def statement_generate(*, period_kind: str, day: date, actor: Actor, today: date | None = None) -> list[Statement]:
    """Generate the statements of the closed period containing `day`, set-based in SQL.

    A statement settles its supplier's receivables paid in the period; no row is written per order. Idempotent:
    the database holds one statement per (supplier, period) and never two overlapping ones for a supplier, so
    reruns, concurrent runs and a rerun after a crash all end with the same statements.
    Raises: NotAParty (platform staff and jobs only), PeriodNotClosed for a period that has not ended yet.
    """
    actor.require_staff()
    start, end = period_bounds(period_kind, day)
    if end > (today or timezone.localdate()):
        raise PeriodNotClosed(f"The period {start} – {end - timedelta(days=1)} has not ended.")
    advisory_xact_lock(_GENERATION_LOCK)
    # SHARE waits for every transaction that is writing receivables (a payment setting paid_at) and holds
    # new writers off until we commit, so the totals below and the paid range the guard trigger freezes
    # (migration 0004) see the same receivables. A bounded wait: a stuck writer fails the run, not payments.
    with lock_timeout(RECEIVABLE_LOCK_TIMEOUT):
        sql.receivables_lock_for_generation()
    created = sql.statements_generate(
        period_kind=period_kind,
        start=start,
        end=end,
        label=period_label(period_kind, start),
        paid_from=local_midnight(start),
        paid_to=local_midnight(end),
        actor_label=actor.audit.label,
    )
    _settle_credits(created)
    audit_record(
        actor=actor.audit,
        action="statement.generated",
        object_type="statement_period",
        object_id=f"{period_kind}:{start}",
        changes={"created": len(created), "period_end": end},
    )
    # A period closed early for a supplier has two statements: up to the cut-off, and from there (its start).
    of_period = Statement.objects.filter(period_kind=period_kind, period_start__gte=start, period_start__lt=end)
    return list(of_period.order_by("supplier_id", "paid_from"))


def _settle_credits(statement_ids: list[int]) -> None:
    """Deduct on each new statement its supplier's credit notes not yet on a statement (a negative line each) and
    carry in the net of the supplier's previous statement if that was negative (it was paid out as zero)."""
    for statement in Statement.objects.filter(pk__in=statement_ids).order_by("pk"):
        notes = CreditNote.objects.select_for_update().filter(
            supplier_id=statement.supplier_id,
            currency=statement.currency,
            statement__isnull=True,
            created_at__lt=statement.paid_to,
        )
        credits = sum(notes.values_list("net", flat=True), ZERO)
        notes.update(statement=statement)
        previous = (
            Statement.objects.select_for_update()
            .filter(supplier_id=statement.supplier_id, currency=statement.currency, net__lt=0, carried_to__isnull=True)
            .exclude(pk=statement.pk)
            .order_by("paid_from")
            .first()
        )
        carried_in = previous.net if previous is not None else ZERO
        if previous is not None:
            previous.carried_to = statement
            previous.save(update_fields=["carried_to"])
        if credits or carried_in:
            statement.credits, statement.carried_in = credits, carried_in
            statement.net = statement.net - credits + carried_in
            statement.save(update_fields=["credits", "carried_in", "net"])


def statement_generate_due(*, today: date | None = None) -> int:
    """Job: statements of the last closed period in SETTLEMENT_PERIOD; a no-op when already generated."""
    kind = settings.SETTLEMENT_PERIOD
    start, _ = last_closed_period(kind, today)
    return len(statement_generate(period_kind=kind, day=start, actor=SYSTEM_ACTOR, today=today))


@transaction.atomic
def statement_issue(*, statement: Statement, actor: Actor) -> Statement:
    """Send a draft to the supplier; its lines are frozen from now on. Raises: NotAParty, InvalidTransition."""
    actor.require_staff()
    return transition(STATEMENT, statement.pk, action="issue", actor=actor)


@transaction.atomic
def statement_approve(*, statement: Statement, actor: Actor) -> Statement:
    """Raises: NotAParty (platform staff only), InvalidTransition."""
    actor.require_staff()
    return transition(STATEMENT, statement.pk, action="approve", actor=actor)


@transaction.atomic
def statement_dispute(*, statement: Statement, actor: Actor, reason: str) -> Statement:
    """The supplier contests an issued statement. Raises: NotAParty (the supplier only), InvalidTransition."""
    if not actor.acts_for(statement.supplier_id):
        raise NotAParty(_("Only the supplier may dispute its statement."))
    return transition(
        STATEMENT, statement.pk, action="dispute", actor=actor, note=reason, changes={"dispute_reason": reason}
    )


@transaction.atomic
def statement_resolve(
    *, statement: Statement, actor: Actor, adjustments: list[AdjustmentRequest], note: str = ""
) -> Statement:
    """Resolve a dispute: post each adjustment (payable vs commission revenue) and re-issue the statement.

    Raises: NotAParty (platform staff only), InvalidTransition, NegativeNet.
    """
    actor.require_staff()
    locked = transition_lock(STATEMENT, statement.pk, "resolve")
    total = sum((a.amount for a in adjustments), ZERO)
    if total < ZERO and locked.net + total < ZERO:  # credits may leave a net negative; adjustments may not
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
            created_by=actor.audit.label,
            memo=f"{locked.number}: {adjustment.reason}",
            # More for the supplier comes out of the platform's commission, and the other way round.
            legs=[Leg(payable, -adjustment.amount), Leg(revenue, adjustment.amount)],
        )
        StatementAdjustment.objects.create(
            statement=locked,
            amount=adjustment.amount,
            reason=adjustment.reason,
            entry=entry,
            created_by=actor.audit.label[:255],
        )
    return transition_apply(
        STATEMENT,
        locked,
        action="resolve",
        actor=actor,
        note=note or f"{len(adjustments)} adjustment(s)",
        changes={
            "adjustments": locked.adjustments + total,
            "net": locked.net + total,
            "revision": revision,
            "dispute_reason": "",
        },
    )


@transaction.atomic
def statement_pay(
    *, statement: Statement, actor: Actor, amount: Decimal, bank_reference: str, paid_on: date
) -> Statement:
    """Record the payout of an approved statement: supplier payable Dr net, platform bank Cr net.

    Raises: NotAParty (finance admins and jobs only), InvalidTransition, PayoutAmountMismatch (the amount must
    equal the net exactly; 0.00 for a net-negative statement, whose net is carried forward).
    """
    actor.require_staff(StaffRole.FINANCE_ADMIN)
    locked = transition_lock(STATEMENT, statement.pk, "pay")
    # A net-negative statement is never paid out negative: it is paid as nothing and carried into the supplier's
    # next statement.
    if amount != max(locked.net, ZERO):
        raise PayoutAmountMismatch(f"The statement's net is {locked.net}, the payout {amount}.", field="amount")
    entry = None
    if amount != ZERO:
        entry = entry_post(
            kind=EntryKind.PAYOUT,
            source_type="statement",
            source_id=locked.pk,
            created_by=actor.audit.label,
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
        recorded_by=actor.audit.label[:255],
    )
    return transition_apply(STATEMENT, locked, action="pay", actor=actor, note=bank_reference)


@transaction.atomic
def statement_reconcile(*, statement: Statement, actor: Actor, note: str = "") -> Statement:
    """The payout was seen on the bank statement. Raises: NotAParty (finance admins and jobs), InvalidTransition."""
    actor.require_staff(StaffRole.FINANCE_ADMIN)
    return transition(STATEMENT, statement.pk, action="reconcile", actor=actor, note=note)


@transaction.atomic
def statement_unreconcile(*, statement: Statement, actor: Actor, note: str = "") -> Statement:
    """Raises: NotAParty (finance admins only), InvalidTransition."""
    actor.require_staff(StaffRole.FINANCE_ADMIN)
    return transition(STATEMENT, statement.pk, action="unreconcile", actor=actor, note=note)
