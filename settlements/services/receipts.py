"""Receipt postings (SPEC §6): what a received order writes to the ledger, once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import InsuranceFund
from orders.choices import OrderStatus
from orders.selectors import order_list
from pharmex.actor import SYSTEM_ACTOR, Actor
from pharmex.audit import audit_record
from pharmex.money import ZERO, line_amounts, money_sum, quantize
from settlements.choices import AccountKind, EntryKind
from settlements.errors import ReceivableHasPayments
from settlements.models import Receivable, SettlementProfile
from settlements.notifications import announce_fund_receivable
from settlements.services.funds import fund_apply_credit
from settlements.services.ledger import Leg, entry_post, entry_reverse, fund_account, ledger_account, platform_account
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


def fund_part(order) -> tuple[int | None, Decimal]:
    """(fund id, the accepted value of the order's fund-paid lines), rounded per line as the order's accepted gross
    is, so the buyer's part (the rest) is exact. (None, 0) when no line is paid by a fund."""
    fund_lines = [line for line in order.lines.all() if line.payer_fund_id is not None]
    if not fund_lines:
        return None, ZERO
    (fund_id,) = {line.payer_fund_id for line in fund_lines}  # placement refuses two funds in one order
    return fund_id, money_sum(
        line_amounts(unit_price=line.unit_price, quantity=line.accepted_quantity, vat_rate=line.vat_rate)[0]
        for line in fund_lines
    )


@transaction.atomic
def receipt_post(*, order_id: int) -> Receivable | None:
    """Post a received order: buyer receivable Dr its part, the fund's receivable Dr the fund-paid lines' part
    (医保基金直接结算), supplier payable Cr gross, commission to revenue.

    Idempotent: a second call (an event replayed, a task delivered twice) returns the first receivable.
    An order whose every unit was rejected owes nothing and posts nothing.
    """
    existing = Receivable.objects.filter(order_id=order_id).first()
    if existing is not None:
        return existing
    order = order_list(actor=SYSTEM_ACTOR).select_related("buyer").get(pk=order_id)
    if order.status != OrderStatus.RECEIVED or not order.accepted_gross:
        return None
    gross = order.accepted_gross
    fund_id, fund_gross = fund_part(order)
    rate = commission_rate_for(supplier_id=order.supplier_id)
    commission, net = commission_split(gross=gross, rate=rate)
    receivable_account = ledger_account(
        kind=AccountKind.BUYER_RECEIVABLE, organization_id=order.buyer_id, currency=order.currency
    )
    fund_legs = [Leg(fund_account(fund_id=fund_id, currency=order.currency), fund_gross, order.pk)] if fund_id else []
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
            Leg(receivable_account, gross - fund_gross, order.pk),
            *fund_legs,
            Leg(payable_account, -gross, order.pk),
            Leg(payable_account, commission, order.pk),
            Leg(platform_account(AccountKind.COMMISSION_REVENUE, order.currency), -commission, order.pk),
        ],
    )
    received_at = order.received_at or timezone.now()
    fund = InsuranceFund.objects.get(pk=fund_id) if fund_id else None
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
        fund=fund,
        fund_gross=fund_gross,
        fund_due_date=timezone.localdate(received_at) + timedelta(days=fund.terms_days) if fund else None,
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
        changes={
            "entry": entry.pk,
            "gross": gross,
            "due_date": receivable.due_date,
            **({"buyer_gross": receivable.buyer_gross, "fund": fund_id, "fund_gross": fund_gross} if fund_id else {}),
        },
    )
    audit_record(
        actor=SYSTEM_ACTOR.audit,
        action="ledger.commission_charged",
        object_type="order",
        object_id=order.pk,
        organization_id=order.supplier_id,
        changes={"entry": entry.pk, "gross": gross, "commission": commission, "rate": rate},
    )
    if fund is not None:
        # The fund's own record (no organisation: platform staff read it), and the parties' webhook.
        audit_record(
            actor=SYSTEM_ACTOR.audit,
            action="ledger.fund_receivable_posted",
            object_type="order",
            object_id=order.pk,
            changes={
                "entry": entry.pk,
                "fund": fund_id,
                "fund_gross": fund_gross,
                "due_date": receivable.fund_due_date,
            },
        )
        announce_fund_receivable(receivable, "order.fund_receivable_posted")
        fund_apply_credit(fund_id=fund_id)  # a fund's earlier overpayment or credit pays the new order
    if receivable.buyer_gross != ZERO:
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
    if receivable.allocated != ZERO or receivable.fund_allocated != ZERO:
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
