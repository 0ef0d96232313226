"""The registry of webhook event types: the names endpoints subscribe to and `outbox_publish` accepts.

Names are part of the API contract (like problem slugs): add new ones, never rename or repurpose one.
The API guide (api_docs/guide/webhooks.md) lists the same names with their payloads.
"""

from __future__ import annotations

EVENT_TYPES: dict[str, str] = {
    "order.placed": "A buyer placed an order (sent to the buyer and the supplier).",
    "order.confirmed": "The supplier confirmed an order (`changed_lines`: the lines it accepted in part or rejected, "
    "and why).",
    "order.proposal_made": "The supplier proposed another quantity or offer for lines of a placed order "
    "(`proposals`); the buyer accepts (order.amended) or declines.",
    "order.proposal_declined": "The buyer declined the supplier's proposal (`proposals`); the order is unchanged.",
    "order.amended": "The buyer amended a placed order (`lines`: each changed line's quantity before and after).",
    "order.rejected": "The supplier rejected an order; its reservation was released.",
    "order.cancelled": "The buyer cancelled an order before confirmation; its reservation was released.",
    "order.expired": "The supplier did not confirm within ORDER_CONFIRM_TIMEOUT; the order expired.",
    "order.partially_shipped": "The supplier shipped part of an order; the rest ships later or is closed.",
    "order.shipped": "Every line of an order is shipped in full or its rest closed (back in stock).",
    "order.received": "Every shipment of an order is received; the buyer owes the accepted value.",
    "order.overdue": "A confirmed order was not shipped within ORDER_SHIP_DEADLINE.",
    "shipment.created": "A shipment left the supplier (carrier, tracking, lots, codes).",
    "shipment.received": "The buyer checked a shipment in (accepted and rejected quantities).",
    "order.held": "A drug of an open order left the market (banned class, expired registration): the order is held.",
    "order.hold_released": "A platform admin released a held order: it goes on.",
    "order.second_line_declared": "The supplier recorded the second-line (二线) declaration of an order's zero-tariff "
    "goods for the mainland: it may ship.",
    "recall.issued": "A recall affects lots this buyer received.",
    "recall.acknowledged": "An affected buyer acknowledged a recall (sent to the recalling MAH, if any).",
    "trace.suspected_diversion": "Someone tried to ship codes this organisation holds (or has in transit).",
    # Retired when codes began to follow custody (a code may ship again once received); never sent now.
    "trace.duplicate_code": "Retired: replaced by trace.suspected_diversion.",
    "license.expiring": "One of the organisation's licences expires soon.",
    "organization.trading_suspended": "The organisation may no longer trade (suspended or licence expired).",
    "documents.share_requested": "An organisation asks for your documents (sent to the provider).",
    "documents.shared": "An organisation shared its documents with you (sent to the recipient).",
    "documents.share_revoked": "An organisation stopped sharing its documents with you (sent to the recipient).",
    "document.expiring": "A document expires in 30 or 7 days (sent to its owner and every organisation sharing it).",
    "first_business.approved": "A buyer's quality staff approved a supplier or a drug (sent to buyer and supplier).",
    "first_business.approval_expired": "A first-business approval expired with a document it rested on (both parties).",
    "return.requested": "A buyer asked to return received goods (sent to the buyer and the supplier).",
    "return.approved": "The supplier approved a return in full.",
    "return.partially_approved": "The supplier approved part of a return; the rest may be asked for again.",
    "return.refused": "The supplier refused a return, with a reason.",
    "return.cancelled": "The buyer withdrew a return request before the supplier decided.",
    "return.shipped_back": "The buyer sent the approved goods back (carrier, tracking, codes).",
    "return.received": "The supplier checked a return in; custody of the accepted codes went back to it.",
    "return.credited": "The credit note of a received return is posted.",
    "invoice.recorded": "The supplier recorded a 数电发票 covering shipments to the buyer.",
    "red_letter_form.raised": "The supplier raised a red-letter confirmation form (红字发票信息确认单).",
    "red_letter_form.confirmed": "The buyer confirmed a red-letter confirmation form.",
    "red_letter_form.red_issued": "The supplier recorded the red invoice issued on a confirmed form.",
    "delivery_designation.proposed": "A drug's MAH designated this distributor as a delivery enterprise (配送企业).",
    "delivery_designation.accepted": "The distributor accepted a delivery designation (sent to both parties).",
    "delivery_designation.declined": "The distributor declined a delivery designation (sent to both parties).",
    "delivery_designation.revoked": "The MAH revoked a delivery designation with an end date (both parties).",
    "contract_price.set": "A supplier set a negotiated price (协议价) for this buyer (sent to both parties).",
    "procurement_contract.loaded": "A 集采 result was loaded: sent to the winner and each institution with a volume.",
    "procurement_contract.volumes_updated": "A re-uploaded 集采 result changed agreed volumes (winner, institutions).",
    "procurement_plan.placed": "A procurement plan was placed as one checkout (sent to the buyer).",
    "quote.requested": "A buyer asks this supplier for a quote (询价).",
    "quote.answered": "A supplier answered a quote with price and validity (sent to the buyer).",
    "sole_seller.registered": "A manufacturer/MAH registered its sole sales company or national agent (唯一销售公司/"
    "全国总代理); sent to it and, when on the platform, the seller.",
    "sole_seller.verified": "A platform admin verified a sole sales company/national agent: it may now issue first "
    "invoices of the two-invoice chain (sent to the manufacturer and the seller).",
    "sole_seller.rejected": "A platform admin rejected a sole sales company/national agent registration.",
    "sole_seller.revoked": "A sole sales company/national agent registration was ended (manufacturer or admin).",
    "upstream_invoice.recorded": "A distributor recorded the first invoice (两票制) of lots on its shipment to a "
    "public institution (sent to the buyer and the shipper).",
    "quote.declined": "A supplier declined to quote (sent to the buyer).",
    "quote.accepted": "The buyer turned a quote into an order at the quoted price (sent to both parties).",
    "order.fund_receivable_posted": "A received order has lines under a direct-settlement 集采 contract: the medical "
    "insurance fund owes their value, the buyer the rest (sent to the buyer and the supplier).",
    "order.fund_paid": "A medical insurance fund payment paid the fund's part of an order, in full or in part, or a "
    "reversal released it (sent to the buyer and the supplier).",
}

EVENT_TYPE_CHOICES: list[tuple[str, str]] = [(name, name) for name in EVENT_TYPES]
