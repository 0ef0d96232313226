"""Buyer payments and their allocation to orders (SPEC §6)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import BUYER_KINDS
from accounts.selectors import organization_list
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.choices import StaffRole
from pharmex.money import ZERO
from settlements.choices import AccountKind, EntryKind, PaymentSource
from settlements.errors import NotABuyer, PaymentInUse
from settlements.models import Payment
from settlements.references import order_numbers_in
from settlements.services.allocation import BUYER, allocate, release
from settlements.services.ledger import Leg, entry_post, entry_reverse, ledger_account, platform_account


@transaction.atomic
def payment_record(
    *,
    buyer_id: int,
    amount: Decimal,
    value_date: date,
    actor: Actor,
    reference: str = "",
    source: str = PaymentSource.MANUAL,
    currency: str = "CNY",
) -> Payment:
    """Record money a buyer paid: bank Dr, buyer receivable Cr; then allocate it to the buyer's orders.

    An amount beyond what is owed stays unallocated as the buyer's credit and pays its next orders.
    Raises: NotAParty (finance admins and the bank matching job only), NotABuyer.
    """
    actor.require_staff(StaffRole.FINANCE_ADMIN)
    buyer = organization_list(actor=actor).filter(pk=buyer_id).first()
    if buyer is None or buyer.kind not in BUYER_KINDS:
        raise NotABuyer(field="buyer_id")
    payment = Payment.objects.create(
        buyer=buyer,
        amount=amount,
        currency=currency,
        reference=reference[:300],
        value_date=value_date,
        source=source,
        unallocated=amount,
        recorded_by=actor.audit.label[:255],
    )
    payment.entry = entry_post(
        kind=EntryKind.PAYMENT,
        source_type="payment",
        source_id=payment.pk,
        created_by=actor.audit.label,
        memo=f"Payment from {buyer.legal_name}: {reference}",
        legs=[
            Leg(platform_account(AccountKind.PLATFORM_BANK, currency), amount),
            Leg(
                ledger_account(kind=AccountKind.BUYER_RECEIVABLE, organization_id=buyer.pk, currency=currency), -amount
            ),
        ],
    )
    payment.save(update_fields=["entry"])
    allocations, _paid = allocate(BUYER, payment=payment, named_orders=order_numbers_in(reference))
    audit_record(
        actor=actor.audit,
        action="payment.recorded",
        object_type="payment",
        object_id=payment.pk,
        organization_id=buyer.pk,
        changes={
            "amount": amount,
            "reference": reference,
            "source": source,
            "allocations": {a.receivable.order_id: str(a.amount) for a in allocations},
        },
    )
    return payment


@transaction.atomic
def payment_apply_credit(*, buyer_id: int) -> int:
    """Apply a buyer's unallocated payments (oldest first) to its open orders; returns allocations made."""
    made = 0
    for payment in (
        Payment.objects.filter(buyer_id=buyer_id, unallocated__gt=0, reversed_at__isnull=True)
        .order_by("id")
        .select_for_update()
    ):
        made += len(allocate(BUYER, payment=payment, named_orders=[])[0])
    return made


@transaction.atomic
def payment_reverse(*, payment: Payment, actor: Actor, reason: str) -> Payment:
    """Undo a payment recorded in error: reversal entry, allocations released, orders unpaid again.

    Raises: NotAParty (finance admins only), PaymentInUse when an order it paid is already on a supplier statement
    (closed period), PaymentFromBankLine while a bank line is matched to it (bank_line_unmatch detaches it first).
    """
    actor.require_staff(StaffRole.FINANCE_ADMIN)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    if payment.reversed_at is not None:
        return payment
    if payment.source == PaymentSource.CREDIT_NOTE or payment.refunded:
        raise PaymentInUse(_("A credit note, or a payment partly refunded, is not reversed."))
    released = release(BUYER, payment=payment)
    order_ids = [receivable.order_id for receivable in released]
    reversal = entry_reverse(entry=payment.entry, created_by=actor.audit.label, memo=reason)
    payment.reversed_at = timezone.now()
    payment.unallocated = ZERO
    payment.save(update_fields=["reversed_at", "unallocated"])
    audit_record(
        actor=actor.audit,
        action="payment.reversed",
        object_type="payment",
        object_id=payment.pk,
        organization_id=payment.buyer_id,
        changes={"reversal_entry": reversal.pk, "reason": reason, "released_orders": order_ids},
    )
    payment_apply_credit(buyer_id=payment.buyer_id)  # other credit may now pay the released orders
    return payment
