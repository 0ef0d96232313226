"""Reactions to other apps' domain events; each runs inside the emitter's transaction."""

from __future__ import annotations

from pharmex import events
from settlements.services.credits import credit_note_post
from settlements.services.receipts import receipt_post


@events.subscribe(events.ORDER_RECEIVED)
def on_order_received(*, order_id: int, **_payload) -> None:
    """Post the receipt to the ledger atomically with the receipt itself."""
    receipt_post(order_id=order_id)


@events.subscribe(events.RETURN_RECEIVED)
def on_return_received(*, return_id: int, **_payload) -> None:
    """Post the credit note atomically with the supplier's receipt of the return."""
    credit_note_post(return_id=return_id)
