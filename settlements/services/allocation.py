"""Allocating a payment to the dues of its payer, and taking an allocation back (SPEC §6): one code path for both
payers of a receivable — the buyer (`Payment`) and, for orders under a direct-settlement 集采 contract, the medical
insurance fund (`FundPayment`, 医保基金直接结算). Each pays only its own part of an order; an order is paid when
every part is fully allocated."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Expression, F, IntegerField, Model, Value, When
from django.utils import timezone

from pharmex.money import ZERO
from settlements.errors import PaymentFromBankLine, PaymentInUse
from settlements.models import BankLine, FundAllocation, PaymentAllocation, Receivable, StatementLine


@dataclass(frozen=True)
class Payer:
    allocation_model: type[Model]
    owner: str  # the payment's and the receivable's payer field
    allocated: str  # the receivable's field holding what this payer has paid
    part: Expression  # this payer's part of the receivable
    due: str  # the receivable's due date of this payer's part
    outstanding: str  # the receivable's property: what this payer still owes
    bank_line: str  # the BankLine field a payment of this payer is matched through


BUYER = Payer(
    PaymentAllocation, "buyer_id", "allocated", F("gross") - F("fund_gross"), "due_date", "outstanding", "payment"
)
FUND = Payer(
    FundAllocation, "fund_id", "fund_allocated", F("fund_gross"), "fund_due_date", "fund_outstanding", "fund_payment"
)


def allocate(payer: Payer, *, payment, named_orders: list[str]) -> tuple[list, list[Receivable]]:
    """Apply the payment's unallocated amount to its payer's open dues: orders named in the reference first, then
    the oldest due first. Returns the allocations made or topped up, and the receivables they paid into."""
    remaining = payment.unallocated
    if remaining == ZERO:
        return [], []
    priority = Case(When(order__number__in=named_orders, then=Value(0)), default=Value(1), output_field=IntegerField())
    # Rows are locked in one deterministic order (named, due date, id), so two payments of one payer allocating at
    # once queue behind each other instead of deadlocking.
    open_receivables = list(
        Receivable.objects.filter(
            **{payer.owner: getattr(payment, payer.owner)},
            currency=payment.currency,
            paid_at__isnull=True,
            reversed_at__isnull=True,
            **{f"{payer.allocated}__lt": payer.part},
        )
        .annotate(priority=priority)
        .order_by("priority", payer.due, "id")
        .select_for_update(of=("self",))
    )
    # A payment may already hold part of an order that a reversed payment released: top that allocation up (one
    # row per payment and order) rather than adding a second one.
    existing = {a.receivable_id: a for a in payment.allocations.all()}
    allocations, topped_up, touched, now = [], [], [], timezone.now()
    for receivable in open_receivables:
        if remaining == ZERO:
            break
        take = min(remaining, getattr(receivable, payer.outstanding))
        if take <= ZERO:
            continue
        if receivable.pk in existing:
            existing[receivable.pk].amount += take
            topped_up.append(existing[receivable.pk])
        else:
            allocations.append(payer.allocation_model(payment=payment, receivable=receivable, amount=take))
        setattr(receivable, payer.allocated, getattr(receivable, payer.allocated) + take)
        if receivable.fully_allocated:
            receivable.paid_at = now  # every payer paid its part: the order goes on this period's supplier statement
        receivable.save(update_fields=[payer.allocated, "paid_at"])
        touched.append(receivable)
        remaining -= take
    payer.allocation_model.objects.bulk_create(allocations)
    payer.allocation_model.objects.bulk_update(topped_up, ["amount"])
    payment.unallocated = remaining
    payment.save(update_fields=["unallocated"])
    return allocations + topped_up, touched


def release(payer: Payer, *, payment) -> list[Receivable]:
    """Take back every allocation of a payment being reversed: the orders it paid are unpaid again. Returns their
    receivables (locked).

    Raises: PaymentFromBankLine while a bank line is matched to the payment (bank_line_unmatch detaches it first:
    reversing it alone would leave the line matched to money that is gone), PaymentInUse when an order it paid is
    already on a supplier statement (a closed period).
    """
    if BankLine.objects.filter(**{payer.bank_line: payment}).exists():
        raise PaymentFromBankLine()
    allocations = list(payment.allocations.select_related("receivable").order_by("receivable_id"))
    order_ids = [a.receivable.order_id for a in allocations]
    if StatementLine.objects.filter(order_id__in=order_ids).exists():
        raise PaymentInUse()
    receivables = {
        r.pk: r
        for r in Receivable.objects.filter(pk__in=[a.receivable_id for a in allocations])
        .order_by("pk")
        .select_for_update()
    }
    for allocation in allocations:
        receivable = receivables[allocation.receivable_id]
        setattr(receivable, payer.allocated, getattr(receivable, payer.allocated) - allocation.amount)
        receivable.paid_at = None
        receivable.save(update_fields=[payer.allocated, "paid_at"])
    payment.allocations.all().delete()
    return list(receivables.values())
