"""Receipt postings (SPEC §6): what a received order writes to the ledger, once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders.choices import OrderStatus
from orders.selectors import order_list
from pharmex.actor import SYSTEM_ACTOR, Actor
from pharmex.audit import audit_record
from pharmex.money import ZERO, quantize
from settlements.choices import AccountKind, EntryKind
from settlements.errors import ReceivableHasPayments
from settlements.models import Receivable, SettlementProfile
from settlements.services.ledger import Leg, entry_post, entry_reverse, ledger_account, platform_account
from settlements.services.payments import payment_apply_credit


def commission_rate_for(*, supplier_id: int) -> Decimal:
    """The supplier's own rate when it has one, else PLATFORM_COMMISSION_RATE."""
    rate = SettlementProfile.objects.filter(organization_id=supplier_id).values_list("commission_rate", flat=True)
    own = rate.first()
    return own if own is not None else settings.PLATFORM_COMMISSION_RATE


def commission_split(*, gross: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """(commission, net) of a gross: commission rounded half up to the fen, net the exact remainder."""
    commission = quantize(gross * rate)
    return commission, gross - commission


@transaction.atomic
def receipt_post(*, order_id: int) -> Receivable | None:
    """Post a received order: buyer receivable Dr gross, supplier payable Cr gross, commission to revenue.

    Idempotent: a second call (an event replayed, a task delivered twice) returns the first receivable.
    An order whose every unit was rejected owes nothing and posts nothing.
    """
    existing = Receivable.objects.filter(order_id=order_id).first()
    if existing is not None:
        return existing
    order = order_list(actor=SYSTEM_ACTOR).get(pk=order_id)
    if order.status != OrderStatus.RECEIVED or not order.accepted_gross:
        return None
    gross = order.accepted_gross
    rate = commission_rate_for(supplier_id=order.supplier_id)
    commission, net = commission_split(gross=gross, rate=rate)
    receivable_account = ledger_account(
        kind=AccountKind.BUYER_RECEIVABLE, organization_id=order.buyer_id, currency=order.currency
    )
    payable_account = ledger_account(
        kind=AccountKind.SUPPLIER_PAYABLE, organization_id=order.supplier_id, currency=order.currency
    )
    entry = entry_post(
        kind=EntryKind.RECEIPT,
        source_type="order",
        source_id=order.pk,
        created_by=SYSTEM_ACTOR.audit.label,
        memo=f"Order {order.number} received",
        legs=[
            Leg(receivable_account, gross, order.pk),
            Leg(payable_account, -gross, order.pk),
            Leg(payable_account, commission, order.pk),
            Leg(platform_account(AccountKind.COMMISSION_REVENUE, order.currency), -commission, order.pk),
        ],
    )
    received_at = order.received_at or timezone.now()
    receivable = Receivable.objects.create(
        order=order,
        buyer_id=order.buyer_id,
        supplier_id=order.supplier_id,
        currency=order.currency,
        gross=gross,
        commission=commission,
        net=net,
        commission_rate=rate,
        received_at=received_at,
        due_date=timezone.localdate(received_at) + timedelta(days=order.buyer.credit_terms_days),
        entry=entry,
    )
    # One record per party, each with what that party may read: the buyer owes the gross by the due date; the
    # commission is between the supplier and the platform (the buyer's audit log never shows it).
    audit_record(
        actor=SYSTEM_ACTOR.audit,
        action="ledger.receipt_posted",
        object_type="order",
        object_id=order.pk,
        organization_id=order.buyer_id,
        changes={"entry": entry.pk, "gross": gross, "due_date": receivable.due_date},
    )
    audit_record(
        actor=SYSTEM_ACTOR.audit,
        action="ledger.commission_charged",
        object_type="order",
        object_id=order.pk,
        organization_id=order.supplier_id,
        changes={"entry": entry.pk, "gross": gross, "commission": commission, "rate": rate},
    )
    payment_apply_credit(buyer_id=order.buyer_id)  # a buyer's earlier overpayment pays the new order
    return receivable


@transaction.atomic
def receipt_reverse(*, order_id: int, actor: Actor, reason: str) -> Receivable:
    """Undo a receipt posting made in error (the order stays received); corrections only by reversal.

    Raises: NotAParty (platform staff only), ReceivableHasPayments while payments are allocated to the order.
    """
    actor.require_staff()
    receivable = Receivable.objects.select_for_update().get(order_id=order_id)
    if receivable.reversed_at is not None:
        return receivable
    if receivable.allocated != ZERO:
        raise ReceivableHasPayments()
    reversal = entry_reverse(entry=receivable.entry, created_by=actor.audit.label, memo=reason)
    receivable.reversed_at = timezone.now()
    receivable.save(update_fields=["reversed_at"])
    audit_record(
        actor=actor.audit,
        action="ledger.receipt_reversed",
        object_type="order",
        object_id=order_id,
        organization_id=receivable.buyer_id,
        changes={"reversal_entry": reversal.pk, "reason": reason},
    )
    return receivable
