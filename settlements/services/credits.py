"""Credit notes and refunds (SPEC §6): a received return reverses its value in the book, and a payer's credit (the
buyer's, or a medical insurance fund's) pays its next dues or is paid back.

A credit note is one entry, the receipt entry in reverse for the returned value: buyer receivable Cr gross,
supplier payable Dr gross less the commission share, commission revenue Dr that share — at the original sale's
rate, the gross rounded per line as the sale was. The buyer's side of it is a payment row of source
`credit_note`: it pays the returned order if that is still open, else the buyer's next dues oldest first, like
money paid in would, and what is left is unapplied credit that a refund can pay back.

Returned lines a medical insurance fund paid (医保基金直接结算) are credited to the fund, never to the buyer: their
value comes off the fund's receivable, and the fund's side is a fund payment of source `credit_note` that pays the
fund's part of the order, else the fund's next dues.
"""

from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import InsuranceFund
from orders.models import Return
from orders.return_choices import ReturnStatus
from orders.services.returns import return_mark_credited
from pharmex.actor import SYSTEM_ACTOR, Actor
from pharmex.audit import audit_record
from pharmex.choices import StaffRole
from pharmex.money import ZERO, money_sum
from settlements.choices import AccountKind, EntryKind, PaymentSource, StatementStatus
from settlements.errors import NotABuyer, NotAFund, RefundExceedsCredit
from settlements.models import CreditNote, FundPayment, Payment, Receivable, Refund, RefundSource, StatementLine
from settlements.services.allocation import BUYER, allocate
from settlements.services.funds import fund_allocate
from settlements.services.ledger import Leg, entry_post, fund_account, ledger_account, platform_account
from settlements.services.receipts import commission_split

PAID_STATEMENT = (StatementStatus.PAID, StatementStatus.RECONCILED)


@transaction.atomic
def credit_note_post(*, return_id: int) -> CreditNote | None:
    """Post the credit note of a received return and mark the return credited; idempotent (a replayed event
    returns the first note). A return of which the supplier accepted nothing is credited with no note."""
    existing = CreditNote.objects.filter(return_request_id=return_id).first()
    if existing is not None:
        return existing
    ret = Return.objects.select_related("order").prefetch_related("lines__order_line").get(pk=return_id)
    if ret.status != ReturnStatus.RECEIVED:
        return None
    if ret.gross == ZERO:
        return_mark_credited(return_id=ret.pk, credit_note="")
        return None
    order = ret.order
    receivable = Receivable.objects.select_for_update().get(order_id=order.pk)
    commission, net = commission_split(gross=ret.gross, rate=receivable.commission_rate)
    number = f"CN{ret.number[2:]}"
    # Each returned line is credited to the payer it had: the fund's lines to the fund (their gross is rounded per
    # line, as the return's gross is, so the buyer's part is the exact rest).
    fund_gross = money_sum(line.gross for line in ret.lines.all() if line.order_line.payer_fund_id is not None)
    buyer_gross = ret.gross - fund_gross
    fund_id = receivable.fund_id
    receivable_account = ledger_account(
        kind=AccountKind.BUYER_RECEIVABLE, organization_id=ret.buyer_id, currency=ret.currency
    )
    fund_legs = [Leg(fund_account(fund_id=fund_id, currency=ret.currency), -fund_gross, order.pk)] if fund_gross else []
    payable_account = ledger_account(
        kind=AccountKind.SUPPLIER_PAYABLE, organization_id=ret.supplier_id, currency=ret.currency
    )
    entry = entry_post(
        kind=EntryKind.CREDIT_NOTE,
        source_type="return",
        source_id=ret.pk,
        created_by=SYSTEM_ACTOR.audit.label,
        memo=f"Credit note {number}: return {ret.number} of order {order.number}",
        legs=[
            Leg(receivable_account, -buyer_gross, order.pk),
            *fund_legs,
            Leg(payable_account, ret.gross, order.pk),
            Leg(payable_account, -commission, order.pk),
            Leg(platform_account(AccountKind.COMMISSION_REVENUE, ret.currency), commission, order.pk),
        ],
    )
    credit = fund_credit = None
    if buyer_gross:
        credit = Payment.objects.create(
            buyer_id=ret.buyer_id,
            amount=buyer_gross,
            currency=ret.currency,
            reference=f"{number} {order.number}",
            value_date=timezone.localdate(),
            source=PaymentSource.CREDIT_NOTE,
            unallocated=buyer_gross,
            entry=entry,
            recorded_by=SYSTEM_ACTOR.audit.label,
        )
    if fund_gross:
        fund_credit = FundPayment.objects.create(
            fund_id=fund_id,
            amount=fund_gross,
            currency=ret.currency,
            reference=f"{number} {order.number}",
            value_date=timezone.localdate(),
            source=PaymentSource.CREDIT_NOTE,
            unallocated=fund_gross,
            entry=entry,
            recorded_by=SYSTEM_ACTOR.audit.label,
        )
    line = StatementLine.objects.filter(order_id=order.pk, statement__status__in=PAID_STATEMENT).first()
    note = CreditNote.objects.create(
        number=number,
        return_request=ret,
        order=order,
        buyer_id=ret.buyer_id,
        supplier_id=ret.supplier_id,
        currency=ret.currency,
        gross=ret.gross,
        commission=commission,
        net=net,
        commission_rate=receivable.commission_rate,
        after_paid_statement_id=line.statement_id if line else None,
        entry=entry,
        credit=credit,
        fund_credit=fund_credit,
    )
    # The returned order first, if open; each payer's credit pays that payer's dues only.
    allocations = allocate(BUYER, payment=credit, named_orders=[order.number])[0] if credit else []
    fund_allocations = fund_allocate(payment=fund_credit, named_orders=[order.number]) if fund_credit else []
    audit_record(
        actor=SYSTEM_ACTOR.audit,
        action="ledger.credit_note_posted",
        object_type="order",
        object_id=order.pk,
        organization_id=ret.buyer_id,
        changes={
            "credit_note": number,
            "entry": entry.pk,
            "gross": ret.gross,
            "applied": {a.receivable.order_id: str(a.amount) for a in allocations},
            **(
                {
                    "buyer_gross": buyer_gross,
                    "fund": fund_id,
                    "fund_gross": fund_gross,
                    "fund_applied": {a.receivable.order_id: str(a.amount) for a in fund_allocations},
                }
                if fund_gross
                else {}
            ),
        },
    )
    audit_record(
        actor=SYSTEM_ACTOR.audit,
        action="ledger.commission_credited",
        object_type="order",
        object_id=order.pk,
        organization_id=ret.supplier_id,
        changes={"credit_note": number, "entry": entry.pk, "gross": ret.gross, "commission": commission, "net": net},
    )
    return_mark_credited(return_id=ret.pk, credit_note=number)
    return note


def buyer_credit(*, buyer_id: int, currency: str = "CNY") -> Decimal:
    """The buyer's unapplied credit: payments and credit notes not yet applied to dues nor refunded."""
    rows = Payment.objects.filter(buyer_id=buyer_id, currency=currency, unallocated__gt=0, reversed_at__isnull=True)
    return sum(rows.values_list("unallocated", flat=True), ZERO)


def refund_number(today: date) -> str:
    return f"RF{today:%Y%m%d}-{secrets.token_hex(4).upper()}"


@transaction.atomic
def refund_record(
    *,
    amount: Decimal,
    paid_on: date,
    actor: Actor,
    buyer_id: int | None = None,
    fund_id: int | None = None,
    bank_account: str = "",
    currency: str = "CNY",
) -> Refund:
    """A finance admin pays a payer's unapplied credit back: a buyer's (buyer receivable Dr, platform bank Cr) or a
    medical insurance fund's (the fund's receivable Dr, platform bank Cr); the credit is used oldest first. Bank
    reconciliation then matches the debit line by the refund number and amount.

    Raises: NotAParty (finance admins only), NotABuyer, NotAFund, RefundExceedsCredit.
    """
    actor.require_staff(StaffRole.FINANCE_ADMIN)
    if (buyer_id is None) == (fund_id is None):
        raise TypeError("A refund pays back one payer: pass buyer_id or fund_id.")
    if fund_id is not None:
        if not InsuranceFund.objects.filter(pk=fund_id).exists():
            raise NotAFund(field="fund_id")
        payments, credit_field = FundPayment.objects.filter(fund_id=fund_id), "fund_payment"
        account = fund_account(fund_id=fund_id, currency=currency)
    else:
        payments, credit_field = Payment.objects.filter(buyer_id=buyer_id), "payment"
        account = ledger_account(kind=AccountKind.BUYER_RECEIVABLE, organization_id=buyer_id, currency=currency)
    credits = list(
        payments.filter(currency=currency, unallocated__gt=0, reversed_at__isnull=True)
        .order_by("id")
        .select_for_update()
    )
    if not credits and buyer_id is not None and not payments.exists():
        raise NotABuyer(field="buyer_id")
    available = sum((p.unallocated for p in credits), ZERO)
    if amount > available:
        message = (
            _("The fund's unapplied credit is %(available)s.")
            if fund_id is not None
            else _("The buyer's unapplied credit is %(available)s.")
        )
        raise RefundExceedsCredit(message % {"available": available}, field="amount")
    number = refund_number(timezone.localdate())
    entry = entry_post(
        kind=EntryKind.REFUND,
        source_type="refund",
        source_id=number,
        created_by=actor.audit.label,
        memo=f"Refund {number}",
        legs=[Leg(account, amount), Leg(platform_account(AccountKind.PLATFORM_BANK, currency), -amount)],
    )
    refund = Refund.objects.create(
        number=number,
        buyer_id=buyer_id,
        fund_id=fund_id,
        amount=amount,
        currency=currency,
        bank_account=bank_account,
        paid_on=paid_on,
        entry=entry,
        recorded_by=actor.audit.label[:255],
    )
    remaining, sources = amount, []
    for credit in credits:
        if remaining == ZERO:
            break
        take = min(remaining, credit.unallocated)
        credit.unallocated -= take
        credit.refunded += take
        credit.save(update_fields=["unallocated", "refunded"])
        sources.append(RefundSource(refund=refund, amount=take, **{credit_field: credit}))
        remaining -= take
    RefundSource.objects.bulk_create(sources)
    audit_record(
        actor=actor.audit,
        action="refund.recorded",
        object_type="refund",
        object_id=refund.pk,
        organization_id=buyer_id,
        changes={
            "number": number,
            "amount": amount,
            "entry": entry.pk,
            **({"fund": fund_id} if fund_id is not None else {}),
            "from": [getattr(source_row, f"{credit_field}_id") for source_row in sources],
        },
    )
    return refund
