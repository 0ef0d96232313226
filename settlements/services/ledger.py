"""Writing the book: the one function that posts entries, and reversal (RELIABILITY LED-1, LED-7, LED-9)."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import OperationalError, transaction
from psycopg.errors import LockNotAvailable

from pharmex.db import advisory_xact_lock, advisory_xact_lock_shared, lock_timeout
from pharmex.money import ZERO, quantize
from settlements import sql
from settlements.choices import AccountKind, EntryKind
from settlements.errors import AlreadyReversed, UnbalancedEntry
from settlements.models import JournalEntry, LedgerAccount, Posting

# Held shared by every transaction that writes postings, from before they take their ids until it ends; the
# checkpoint job holds it exclusively for as long as it takes to read the newest posting id. Whatever id it reads,
# no posting under it is still in flight (a sequence hands out ids in order, not the order transactions commit).
LEDGER_WRITES_LOCK = "settlements.ledger.writes"
CHECKPOINT_LOCK = "settlements.balances_checkpoint"
# How long the job may hold new ledger writes back waiting for those in flight, per attempt.
HORIZON_WAIT = "200ms"
# Postings a checkpoint transaction adds up (about a second's work here).
CHECKPOINT_STEP = 1_000_000


@dataclass(frozen=True)
class Leg:
    """One posting to write: a signed amount (debit > 0) on an account, optionally about an order."""

    account: LedgerAccount
    amount: Decimal
    order_id: int | None = None


def ledger_account(
    *, kind: str, organization_id: int | None = None, currency: str = "CNY", fund_id: int | None = None
) -> LedgerAccount:
    """The account of a kind (and organisation, or insurance fund), created on first use; safe under concurrent
    first uses."""
    owner = {"kind": kind, "organization_id": organization_id, "fund_id": fund_id, "currency": currency}
    account = LedgerAccount.objects.filter(**owner).first()
    if account is not None:
        return account
    account, _ = LedgerAccount.objects.get_or_create(**owner)
    return account


def fund_account(*, fund_id: int, currency: str = "CNY") -> LedgerAccount:
    """A medical insurance fund's receivable: what it owes for the orders it settles directly."""
    return ledger_account(kind=AccountKind.FUND_RECEIVABLE, fund_id=fund_id, currency=currency)


def platform_account(kind: str, currency: str = "CNY") -> LedgerAccount:
    assert kind in (AccountKind.PLATFORM_BANK, AccountKind.COMMISSION_REVENUE)
    return ledger_account(kind=kind, currency=currency)


@transaction.atomic
def entry_post(
    *,
    kind: str,
    source_type: str,
    source_id: str | int,
    legs: list[Leg],
    created_by: str,
    memo: str = "",
    reverses: JournalEntry | None = None,
) -> JournalEntry:
    """Write one balanced entry. Zero legs are dropped; the database re-checks the balance at commit.

    Raises: UnbalancedEntry when the legs do not sum to zero per currency (nothing is written).
    """
    legs = [leg for leg in legs if leg.amount != ZERO]
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for leg in legs:
        if quantize(leg.amount) != leg.amount:
            raise UnbalancedEntry(f"Amount {leg.amount} has more than two decimal places.")
        totals[leg.account.currency] += leg.amount
    if any(total != ZERO for total in totals.values()):
        raise UnbalancedEntry(f"The postings sum to {dict(totals)}, not zero.")
    advisory_xact_lock_shared(LEDGER_WRITES_LOCK)
    entry = JournalEntry.objects.create(
        kind=kind,
        source_type=source_type,
        source_id=str(source_id),
        memo=memo[:300],
        created_by=created_by[:255],
        reverses=reverses,
    )
    Posting.objects.bulk_create(
        Posting(
            entry=entry, account=leg.account, amount=leg.amount, currency=leg.account.currency, order_id=leg.order_id
        )
        for leg in legs
    )
    return entry


@transaction.atomic
def entry_reverse(*, entry: JournalEntry, created_by: str, memo: str = "") -> JournalEntry:
    """Correct an entry the only allowed way: a new entry with every posting negated.

    Raises: AlreadyReversed (an entry is reversed at most once; a unique constraint holds it too).
    """
    if JournalEntry.objects.filter(reverses=entry).exists():
        raise AlreadyReversed()
    legs = [
        Leg(account=p.account, amount=-p.amount, order_id=p.order_id) for p in entry.postings.select_related("account")
    ]
    return entry_post(
        kind=EntryKind.REVERSAL,
        source_type="entry",
        source_id=entry.pk,
        legs=legs,
        created_by=created_by,
        memo=memo or f"Reversal of entry {entry.pk}",
        reverses=entry,
    )


def balances_checkpoint(*, attempts: int = 10) -> int | None:
    """Add the postings since the last checkpoint to each account's balance checkpoint (an hourly job), so that a
    balance read sums an hour of postings, not the account's whole history.

    Works through the postings CHECKPOINT_STEP at a time, a transaction each: the first run on a book of years
    stays inside the statement timeout, and a run stopped midway leaves checkpoints the next run continues from.
    Returns how many checkpoints it moved (an account once per step it has postings in), or None when ledger
    writes kept the horizon out of reach through every attempt (nothing is written; the next run catches up).
    """
    horizon = _posting_horizon(attempts)
    if horizon is None:
        return None
    moved = 0
    while True:
        with transaction.atomic():
            advisory_xact_lock(CHECKPOINT_LOCK)  # one run at a time: each adds the range after the previous one's
            after = sql.checkpoint_horizon()
            upto = sql.posting_step(after=after, count=CHECKPOINT_STEP, horizon=horizon)
            if upto is None:
                return moved
            moved += sql.balances_checkpoint(after=after, upto=upto)


def _posting_horizon(attempts: int) -> int | None:
    for attempt in range(attempts):
        try:
            with transaction.atomic(), lock_timeout(HORIZON_WAIT):
                advisory_xact_lock(LEDGER_WRITES_LOCK)
                return sql.posting_horizon()
        except OperationalError as error:
            if not isinstance(error.__cause__, LockNotAvailable):
                raise
        time.sleep(0.05 * (attempt + 1))
    return None
