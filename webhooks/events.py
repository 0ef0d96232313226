"""The registry of webhook event types: the names endpoints subscribe to and `outbox_publish` accepts.

Names are part of the API contract (like problem slugs): add new ones, never rename or repurpose one.
The API guide (api_docs/guide/webhooks.md) lists the same names with their payloads.
"""

from __future__ import annotations

EVENT_TYPES: dict[str, str] = {
    "order.placed": "A buyer placed an order (sent to the buyer and the supplier).",
    "order.confirmed": "The supplier confirmed an order.",
    "order.rejected": "The supplier rejected an order; its reservation was released.",
    "order.cancelled": "The buyer cancelled an order before confirmation; its reservation was released.",
    "order.expired": "The supplier did not confirm within ORDER_CONFIRM_TIMEOUT; the order expired.",
    "order.shipped": "The supplier shipped an order (lots, expiry dates, invoice).",
    "order.received": "The buyer received an order (accepted and rejected quantities).",
    "order.overdue": "A confirmed order was not shipped within ORDER_SHIP_DEADLINE.",
    "recall.issued": "A recall affects lots this buyer received.",
    "trace.duplicate_code": "A traceability code was shipped twice: suspected counterfeit or diversion.",
    "license.expiring": "One of the organisation's licences expires soon.",
    "organization.trading_suspended": "The organisation may no longer trade (suspended or licence expired).",
    "documents.share_requested": "An organisation asks for your documents (sent to the provider).",
    "documents.shared": "An organisation shared its documents with you (sent to the recipient).",
    "documents.share_revoked": "An organisation stopped sharing its documents with you (sent to the recipient).",
    "document.expiring": "A document expires in 30 or 7 days (sent to its owner and every organisation sharing it).",
    "first_business.approved": "A buyer's quality staff approved a supplier or a drug (sent to buyer and supplier).",
    "first_business.approval_expired": "A first-business approval expired with a document it rested on (both parties).",
}

EVENT_TYPE_CHOICES: list[tuple[str, str]] = [(name, name) for name in EVENT_TYPES]
