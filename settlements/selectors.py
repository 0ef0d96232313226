"""Reads of the settlements app, always scoped to the actor (STYLE G6)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    Case,
    Count,
    DecimalField,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import InsuranceFund
from pharmex.actor import Actor
from pharmex.money import ZERO
from pharmex.tenancy import own_q, scoped
from settlements.choices import BankLineStatus
from settlements.models import (
    BankLine,
    BankStatement,
    FundPayment,
    JournalEntry,
    LedgerAccount,
    Payment,
    Posting,
    Receivable,
    Statement,
    StatementLine,
)

MONEY_OUTPUT = DecimalField(max_digits=18, decimal_places=2)


def account_balance_subquery():
    """The balance of the outer account: the sum of its postings, read as its checkpoint (the sum through a posting
    id, `balances_checkpoint`) plus the postings after it, which the (account, id) index hands over alone."""
    horizon = Coalesce(OuterRef("checkpoint__through_posting"), Value(0))
    after = Posting.objects.filter(account=OuterRef("pk"), pk__gt=horizon)
    total = after.values("account").annotate(s=Sum("amount")).values("s")
    return Coalesce(F("checkpoint__balance"), Value(ZERO), output_field=MONEY_OUTPUT) + Coalesce(
        Subquery(total, output_field=MONEY_OUTPUT), Value(ZERO), output_field=MONEY_OUTPUT
    )


def ledger_account_list(*, actor: Actor) -> QuerySet[LedgerAccount]:
    """Staff: every account; an organisation: its own receivable/payable accounts."""
    queryset = LedgerAccount.objects.select_related("organization").annotate(balance=account_balance_subquery())
    return scoped(queryset.order_by("id"), own_q(actor, "organization"))


def journal_entry_list(*, actor: Actor) -> QuerySet[JournalEntry]:
    """Entries touching the actor's accounts, each with only the postings the actor may see.

    An organisation sees its own legs of an entry, never the counterparty's or the platform's
    (a buyer must not learn a supplier's commission).
    """
    postings = Posting.objects.select_related("account").order_by("id")
    if actor.is_staff:
        return JournalEntry.objects.prefetch_related(Prefetch("postings", queryset=postings)).order_by("-id")
    if actor.organization is None:
        return JournalEntry.objects.none()
    own = postings.filter(account__organization=actor.organization)
    return (
        JournalEntry.objects.filter(postings__account__organization=actor.organization)
        .distinct()
        .prefetch_related(Prefetch("postings", queryset=own))
        .order_by("-id")
    )


def journal_entry_parts(*, actor: Actor, account: int | None = None) -> list[QuerySet[Posting]] | None:
    """The postings naming `journal_entry_list`'s entries of one `account`, or else of an organisation (a part per
    account of it): read newest entry first from posting_account_entry, so that a page reads a page of them
    (NewestFirstCursorPagination.bounded, by entry_id). A page of the join walked the entries of the whole platform
    newest first until it had found enough: every entry, for an organisation with few or old ones. None when the
    list is every entry (staff reading no one account)."""
    if account is not None:
        return [Posting.objects.filter(account=account)]
    if actor.is_staff or actor.organization is None:
        return None
    accounts = LedgerAccount.objects.filter(organization=actor.organization).values_list("pk", flat=True)
    return [Posting.objects.filter(account=pk) for pk in accounts]


def payment_list(*, actor: Actor) -> QuerySet[Payment]:
    """Staff: every buyer payment; a buyer: its own. Without their allocations (`with_allocations`)."""
    return scoped(Payment.objects.select_related("buyer").order_by("-id"), own_q(actor, "buyer"))


def with_allocations(payments: QuerySet) -> QuerySet:
    """Buyer or fund payments with the orders each paid, for reading one payment (a page of them would carry every
    order a fund's month of settlement paid)."""
    return payments.prefetch_related("allocations__receivable__order")


def statement_list(*, actor: Actor) -> QuerySet[Statement]:
    """Staff: all statements; a supplier: its own."""
    queryset = Statement.objects.select_related("supplier", "payout").order_by("-period_start", "supplier_id")
    return scoped(queryset, own_q(actor, "supplier"))


def statement_lines(*, statement: Statement) -> QuerySet[StatementLine]:
    return StatementLine.objects.filter(statement=statement).select_related("order").order_by("order_id")


def bank_statement_list(*, actor: Actor) -> QuerySet[BankStatement]:
    """Staff only; the stored file (until a worker processed it) is never loaded."""
    queryset = BankStatement.objects.defer("content").order_by("-id")
    return queryset if actor.is_staff else queryset.none()


def bank_line_list(*, actor: Actor) -> QuerySet[BankLine]:
    queryset = BankLine.objects.select_related("payment", "payout__statement").order_by("id")
    return queryset if actor.is_staff else queryset.none()


AGING_BUCKETS = ("current", "days_1_30", "days_31_60", "days_61_90", "days_over_90")


def _aging_buckets(*, outstanding, due: str, on: date) -> dict:
    """The aging annotations of `outstanding` by days past the `due` date field on `on`."""

    def bucket(condition: Q) -> Sum:
        return Coalesce(
            Sum(Case(When(condition, then=outstanding), default=Value(ZERO), output_field=MONEY_OUTPUT)),
            Value(ZERO),
            output_field=MONEY_OUTPUT,
        )

    days = timedelta
    return {
        "current": bucket(Q(**{f"{due}__gte": on})),
        "days_1_30": bucket(Q(**{f"{due}__lt": on, f"{due}__gte": on - days(30)})),
        "days_31_60": bucket(Q(**{f"{due}__lt": on - days(30), f"{due}__gte": on - days(60)})),
        "days_61_90": bucket(Q(**{f"{due}__lt": on - days(60), f"{due}__gte": on - days(90)})),
        "days_over_90": bucket(Q(**{f"{due}__lt": on - days(90)})),
        "total": Coalesce(Sum(outstanding, output_field=MONEY_OUTPUT), Value(ZERO), output_field=MONEY_OUTPUT),
    }


def receivables_aging(*, actor: Actor, on: date | None = None) -> list[dict]:
    """Outstanding receivables per buyer by days overdue on `on` (SPEC §6): current, 1–30, 31–60, 61–90, 90+.

    The buyer's own part only: what a medical insurance fund owes for an order (医保基金直接结算) is in
    `fund_receivables_aging`, never here.
    """
    on = on or timezone.localdate()
    buyer_part = F("gross") - F("fund_gross")
    own = own_q(actor, "buyer")
    if own is None:
        return []
    queryset = Receivable.objects.filter(own, paid_at__isnull=True, reversed_at__isnull=True, allocated__lt=buyer_part)
    rows = (
        queryset.values("buyer_id", "buyer__legal_name", "currency")
        .annotate(**_aging_buckets(outstanding=buyer_part - F("allocated"), due="due_date", on=on))
        .order_by("buyer__legal_name", "buyer_id")
    )
    # Unapplied credit (overpayments, credit notes of returns, less refunds) beside what is owed: it pays the
    # buyer's next dues or is refunded.
    credits = Payment.objects.filter(own, reversed_at__isnull=True, unallocated__gt=0)
    unapplied = {
        (row["buyer_id"], row["currency"]): (row["buyer__legal_name"], row["credit"])
        for row in credits.values("buyer_id", "buyer__legal_name", "currency").annotate(credit=Sum("unallocated"))
    }
    owing = {(row["buyer_id"], row["currency"]) for row in rows}
    credit_only = [
        {
            "buyer_id": buyer_id,
            "buyer_name": name,
            "currency": currency,
            **dict.fromkeys((*AGING_BUCKETS, "total"), ZERO),
            "unapplied_credit": credit,
        }
        for (buyer_id, currency), (name, credit) in unapplied.items()
        if (buyer_id, currency) not in owing
    ]
    owing_rows = [
        {
            "buyer_id": row["buyer_id"],
            "buyer_name": row["buyer__legal_name"],
            "currency": row["currency"],
            **{name: row[name] for name in (*AGING_BUCKETS, "total")},
            "unapplied_credit": unapplied.get((row["buyer_id"], row["currency"]), ("", ZERO))[1],
        }
        for row in rows
    ]
    return sorted(owing_rows + credit_only, key=lambda row: (row["buyer_name"], row["buyer_id"]))


def fund_receivables_aging(*, actor: Actor, on: date | None = None) -> list[dict]:
    """What each medical insurance fund owes for the orders it settles directly, by days past the fund's due date
    (receipt + the fund's settlement terms), with its unapplied payments. Platform staff only: a fund is no
    organisation, and no buyer's aging holds its dues."""
    if not actor.is_staff:
        return []
    on = on or timezone.localdate()
    rows = (
        Receivable.objects.filter(
            fund__isnull=False, paid_at__isnull=True, reversed_at__isnull=True, fund_allocated__lt=F("fund_gross")
        )
        .values("fund_id", "fund__name", "currency")
        .annotate(**_aging_buckets(outstanding=F("fund_gross") - F("fund_allocated"), due="fund_due_date", on=on))
    )
    unapplied = {
        (row["fund_id"], row["currency"]): (row["fund__name"], row["credit"])
        for row in FundPayment.objects.filter(reversed_at__isnull=True, unallocated__gt=0)
        .values("fund_id", "fund__name", "currency")
        .annotate(credit=Sum("unallocated"))
    }
    result = {
        (row["fund_id"], row["currency"]): {
            "fund_id": row["fund_id"],
            "fund_name": row["fund__name"],
            "currency": row["currency"],
            **{name: row[name] for name in (*AGING_BUCKETS, "total")},
            "unapplied_credit": unapplied.get((row["fund_id"], row["currency"]), ("", ZERO))[1],
        }
        for row in rows
    }
    for (fund_id, currency), (name, credit) in unapplied.items():
        result.setdefault(
            (fund_id, currency),
            {
                "fund_id": fund_id,
                "fund_name": name,
                "currency": currency,
                **dict.fromkeys((*AGING_BUCKETS, "total"), ZERO),
                "unapplied_credit": credit,
            },
        )
    return sorted(result.values(), key=lambda row: (row["fund_name"], row["fund_id"]))


def fund_payment_list(*, actor: Actor) -> QuerySet[FundPayment]:
    """Platform staff only: a fund's payments cover many institutions' orders, so no buyer reads them (a buyer sees its
    orders' fund part on the receivable, `GET /reports/receivables-aging/` never holds it). Without their allocations
    (`with_allocations`)."""
    queryset = FundPayment.objects.select_related("fund").order_by("-id")
    return queryset if actor.is_staff else queryset.none()


def insurance_fund_list(*, actor: Actor) -> QuerySet[InsuranceFund]:
    """The medical insurance funds, for platform staff (the API's policy admits no one else)."""
    return InsuranceFund.objects.order_by("id")


def aging_totals(rows: list[dict]) -> dict[str, Decimal]:
    return {name: sum((row[name] for row in rows), ZERO) for name in (*AGING_BUCKETS, "total", "unapplied_credit")}


def bank_statement_summary(*, statement: BankStatement) -> dict:
    """Count and signed sum per status; the sums add up to the file total (REC-4)."""
    by_status = {status: {"count": 0, "amount": ZERO} for status in BankLineStatus.values}
    for row in statement.lines.values("status").annotate(n=Count("id"), total=Sum("amount")):
        by_status[row["status"]] = {"count": row["n"], "amount": row["total"]}
    return {
        "file_total": statement.file_total,
        "line_count": statement.line_count,
        "duplicate_count": statement.duplicate_count,
        "duplicate_total": statement.duplicate_total,
        "by_status": by_status,
    }
