"""Medical insurance fund payments and their allocation to the fund's part of orders (医保基金直接结算, SPEC §5a, §6).

Buyer payments' counterpart for the other payer (both allocate through allocation.py): a fund payment writes
platform bank Dr, the fund's receivable Cr, and pays the fund's dues only — orders named in the reference first,
then the oldest fund due date first. An order is paid (and enters its supplier's statement) when the buyer's part
and the fund's part are both fully allocated.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import InsuranceFund
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.choices import StaffRole
from pharmex.money import ZERO
from settlements.choices import AccountKind, EntryKind, PaymentSource
from settlements.errors import NotAFund, PaymentInUse
from settlements.models import FundAllocation, FundPayment
from settlements.notifications import announce_fund_receivable
from settlements.references import order_numbers_in
from settlements.services.allocation import FUND, allocate, release
from settlements.services.ledger import Leg, entry_post, entry_reverse, fund_account, platform_account


def fund_allocate(*, payment: FundPayment, named_orders: list[str]) -> list[FundAllocation]:
    """Apply the fund payment's unallocated amount to the fund's part of its orders (allocation.py), and tell the
    parties of each order it paid into."""
    allocations, touched = allocate(FUND, payment=payment, named_orders=named_orders)
    for receivable in touched:
        announce_fund_receivable(receivable, "order.fund_paid")
    return allocations


@transaction.atomic
def fund_payment_record(
    *,
    fund_id: int,
    amount: Decimal,
    value_date: date,
    actor: Actor,
    reference: str = "",
    source: str = PaymentSource.MANUAL,
    currency: str = "CNY",
) -> FundPayment:
    """Record money a medical insurance fund paid: bank Dr, the fund's receivable Cr; then allocate it to the fund's
    part of orders. What is beyond the fund's dues stays unallocated as the fund's credit and pays its next ones.

    Raises: NotAParty (finance admins and the bank matching job only), NotAFund.
    """
    actor.require_staff(StaffRole.FINANCE_ADMIN)
    fund = InsuranceFund.objects.filter(pk=fund_id).first()
    if fund is None:
        raise NotAFund(field="fund_id")
    payment = FundPayment.objects.create(
        fund=fund,
        amount=amount,
        currency=currency,
        reference=reference[:300],
        value_date=value_date,
        source=source,
        unallocated=amount,
        recorded_by=actor.audit.label[:255],
    )
    payment.entry = entry_post(
        kind=EntryKind.FUND_PAYMENT,
        source_type="fund_payment",
        source_id=payment.pk,
        created_by=actor.audit.label,
        memo=f"Payment from {fund.name}: {reference}",
        legs=[
            Leg(platform_account(AccountKind.PLATFORM_BANK, currency), amount),
            Leg(fund_account(fund_id=fund.pk, currency=currency), -amount),
        ],
    )
    payment.save(update_fields=["entry"])
    allocations = fund_allocate(payment=payment, named_orders=order_numbers_in(reference))
    audit_record(
        actor=actor.audit,
        action="fund_payment.recorded",
        object_type="fund_payment",
        object_id=payment.pk,
        changes={
            "fund": fund.pk,
            "amount": amount,
            "reference": reference,
            "source": source,
            "allocations": {a.receivable.order_id: str(a.amount) for a in allocations},
        },
    )
    return payment


@transaction.atomic
def fund_apply_credit(*, fund_id: int) -> int:
    """Apply a fund's unallocated payments (oldest first) to its open dues; returns the allocations made."""
    made = 0
    for payment in (
        FundPayment.objects.filter(fund_id=fund_id, unallocated__gt=0, reversed_at__isnull=True)
        .order_by("id")
        .select_for_update()
    ):
        made += len(fund_allocate(payment=payment, named_orders=[]))
    return made


@transaction.atomic
def fund_payment_reverse(*, payment: FundPayment, actor: Actor, reason: str) -> FundPayment:
    """Undo a fund payment recorded in error: reversal entry, allocations released, orders unpaid again.

    Raises: NotAParty (finance admins only), PaymentInUse for a credit note's fund credit, a payment partly refunded
    or when an order it paid is already on a supplier statement (closed period), PaymentFromBankLine while a bank
    line is matched to it (bank_line_unmatch detaches it first).
    """
    actor.require_staff(StaffRole.FINANCE_ADMIN)
    payment = FundPayment.objects.select_for_update().get(pk=payment.pk)
    if payment.reversed_at is not None:
        return payment
    if payment.source == PaymentSource.CREDIT_NOTE or payment.refunded:
        raise PaymentInUse(_("A credit note, or a payment partly refunded, is not reversed."))
    released = release(FUND, payment=payment)
    order_ids = [receivable.order_id for receivable in released]
    reversal = entry_reverse(entry=payment.entry, created_by=actor.audit.label, memo=reason)
    payment.reversed_at = timezone.now()
    payment.unallocated = ZERO
    payment.save(update_fields=["reversed_at", "unallocated"])
    audit_record(
        actor=actor.audit,
        action="fund_payment.reversed",
        object_type="fund_payment",
        object_id=payment.pk,
        changes={
            "fund": payment.fund_id,
            "reversal_entry": reversal.pk,
            "reason": reason,
            "released_orders": order_ids,
        },
    )
    for receivable in released:
        announce_fund_receivable(receivable, "order.fund_paid")
    fund_apply_credit(fund_id=payment.fund_id)  # other fund credit may now pay the released orders
    return payment
