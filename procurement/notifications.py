"""Procurement announcements: webhook events written to the outbox in the same transaction as the change."""

from __future__ import annotations

from collections.abc import Iterable

from orders.models import Shipment
from procurement.models import (
    ContractPrice,
    DeliveryDesignation,
    ProcurementContract,
    ProcurementPlan,
    Quote,
    SoleSeller,
    UpstreamInvoice,
)
from webhooks.services import outbox_publish


def announce_designation(designation: DeliveryDesignation, event_type: str) -> None:
    recipients = [designation.distributor_id]
    if event_type != "delivery_designation.proposed":
        recipients.append(designation.manufacturer_id)
    outbox_publish(
        event_type=event_type,
        organization_ids=recipients,
        payload={
            "designation_id": designation.pk,
            "status": designation.status,
            "drug_id": designation.drug_id,
            "manufacturer_id": designation.manufacturer_id,
            "distributor_id": designation.distributor_id,
            "valid_from": designation.valid_from.isoformat(),
            "valid_until": designation.valid_until.isoformat() if designation.valid_until else None,
        },
        object_type="delivery_designation",
        object_id=designation.pk,
    )


def announce_contract_price(price: ContractPrice) -> None:
    outbox_publish(
        event_type="contract_price.set",
        organization_ids=[price.supplier_id, price.buyer_id],
        payload={
            "contract_price_id": price.pk,
            "supplier_id": price.supplier_id,
            "buyer_id": price.buyer_id,
            "drug_id": price.drug_id,
            "unit_price": str(price.unit_price),
            "valid_from": price.valid_from.isoformat(),
            "valid_until": price.valid_until.isoformat(),
        },
        object_type="contract_price",
        object_id=price.pk,
    )


def announce_contract(contract: ProcurementContract, institution_ids: Iterable[int]) -> None:
    outbox_publish(
        event_type="procurement_contract.loaded",
        organization_ids=[contract.supplier_id, *institution_ids],
        payload={
            "contract_id": contract.pk,
            "programme": contract.programme,
            "drug_id": contract.drug_id,
            "supplier_id": contract.supplier_id,
            "agreed_price": str(contract.agreed_price),
            "valid_from": contract.valid_from.isoformat(),
            "valid_until": contract.valid_until.isoformat(),
        },
        object_type="procurement_contract",
        object_id=contract.pk,
    )


def announce_quote(quote: Quote, event_type: str) -> None:
    recipients = {
        "quote.requested": [quote.supplier_id],
        "quote.answered": [quote.request.buyer_id],
        "quote.declined": [quote.request.buyer_id],
    }.get(event_type, [quote.request.buyer_id, quote.supplier_id])
    outbox_publish(
        event_type=event_type,
        organization_ids=recipients,
        payload={
            "quote_id": quote.pk,
            "request_id": quote.request_id,
            "status": quote.status,
            "buyer_id": quote.request.buyer_id,
            "supplier_id": quote.supplier_id,
            "drug_id": quote.request.drug_id,
            "quantity": quote.request.quantity,
            "unit_price": None if quote.unit_price is None else str(quote.unit_price),
            "valid_until": quote.valid_until.isoformat() if quote.valid_until else None,
            "order_id": quote.order_id,
        },
        object_type="quote",
        object_id=quote.pk,
    )


def announce_plan(plan: ProcurementPlan, orders, *, skipped_rows: list[int], price_changed_rows: list[int]) -> None:
    """To the buyer: its plan became these orders (each supplier hears of its order by `order.placed`)."""
    outbox_publish(
        event_type="procurement_plan.placed",
        organization_ids=[plan.buyer_id],
        payload={
            "plan_id": plan.pk,
            "buyer_id": plan.buyer_id,
            "checkout_id": str(plan.checkout_id),
            "order_ids": [order.pk for order in orders],
            "skipped_rows": skipped_rows,
            "price_changed_rows": price_changed_rows,
        },
        object_type="procurement_plan",
        object_id=plan.pk,
    )


def announce_contract_volumes(contract: ProcurementContract, institution_ids: Iterable[int]) -> None:
    """A re-uploaded result changed these institutions' agreed volumes: to them and the winner."""
    institution_ids = list(institution_ids)
    outbox_publish(
        event_type="procurement_contract.volumes_updated",
        organization_ids=[contract.supplier_id, *institution_ids],
        payload={
            "contract_id": contract.pk,
            "programme": contract.programme,
            "drug_id": contract.drug_id,
            "supplier_id": contract.supplier_id,
            "institution_ids": list(institution_ids),
        },
        object_type="procurement_contract",
        object_id=contract.pk,
    )


def announce_sole_seller(sole_seller: SoleSeller, event_type: str) -> None:
    """To the manufacturer/MAH and the seller, each when it is on the platform."""
    recipients = [pk for pk in (sole_seller.manufacturer_id, sole_seller.seller_id) if pk is not None]
    outbox_publish(
        event_type=event_type,
        organization_ids=recipients,
        payload={
            "sole_seller_id": sole_seller.pk,
            "kind": sole_seller.kind,
            "status": sole_seller.status,
            "manufacturer_id": sole_seller.manufacturer_id,
            "drug_id": sole_seller.drug_id,
            "seller_id": sole_seller.seller_id,
            "seller_name": sole_seller.seller_name,
            "seller_uscc": sole_seller.seller_uscc,
        },
        object_type="sole_seller",
        object_id=sole_seller.pk,
    )


def announce_upstream_invoice(invoice: UpstreamInvoice, shipment: Shipment) -> None:
    """To the buyer (it sees the chain on the shipment) and the shipper."""
    outbox_publish(
        event_type="upstream_invoice.recorded",
        organization_ids=[shipment.buyer_id, shipment.supplier_id],
        payload={
            "upstream_invoice_id": invoice.pk,
            "shipment_id": shipment.pk,
            "order_id": shipment.order_id,
            "number": invoice.number,
            "issue_date": invoice.issue_date.isoformat(),
            "amount": str(invoice.amount),
            "issuer_name": invoice.issuer_name,
            "issuer_uscc": invoice.issuer_uscc,
            "recipient_name": invoice.recipient_name,
            "recipient_uscc": invoice.recipient_uscc,
            "shipment_line_ids": sorted(line.pk for line in invoice.lines.all()),
        },
        object_type="upstream_invoice",
        object_id=invoice.pk,
    )
