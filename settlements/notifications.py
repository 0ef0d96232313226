"""Settlement announcements: webhook events written to the outbox in the same transaction as the change."""

from __future__ import annotations

from settlements.models import Receivable
from webhooks.services import outbox_publish


def _fund_part(receivable: Receivable) -> dict:
    return {
        "order_id": receivable.order_id,
        "fund_id": receivable.fund_id,
        "currency": receivable.currency,
        "gross": str(receivable.gross),
        "buyer_gross": str(receivable.buyer_gross),
        "fund_gross": str(receivable.fund_gross),
        "fund_allocated": str(receivable.fund_allocated),
        "fund_due_date": receivable.fund_due_date.isoformat() if receivable.fund_due_date else None,
        "paid": receivable.paid_at is not None,
    }


def announce_fund_receivable(receivable: Receivable, event_type: str) -> None:
    """The fund's part of an order posted (`order.fund_receivable_posted`) or paid (`order.fund_paid`): the buyer
    and the supplier learn who owes what; the fund itself has no endpoint (it is not an organisation)."""
    outbox_publish(
        event_type=event_type,
        organization_ids=[receivable.buyer_id, receivable.supplier_id],
        payload=_fund_part(receivable),
        object_type="order",
        object_id=receivable.order_id,
    )
