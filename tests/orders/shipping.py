"""Helpers for shipping and receiving through the API in tests: bodies whose invoices add up, unique numbers."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from orders.models import Order, OrderLine, Shipment
from pharmex.money import line_amounts, money_sum
from tests.factories.accounts import valid_uscc

_invoice_numbers = itertools.count(1)


def code(n: int) -> str:
    """A 码上放心 code: 20 digits starting with 8."""
    return f"8{n:019d}"


def invoice_number() -> str:
    """A fresh, well-formed 数电发票 number (2026, Hainan)."""
    return f"2646{next(_invoice_numbers):016d}"


def item(line: OrderLine, quantity: int, *, lot: str = "L2026A", expiry_days: int = 400, codes=(), cases=()) -> dict:
    body = {
        "order_line_id": line.pk,
        "lot_number": lot,
        "quantity": quantity,
        "expiry_date": (timezone.localdate() + timedelta(days=expiry_days)).isoformat(),
        "trace_codes": list(codes),
    }
    if cases:
        body["case_codes"] = [{"code": case, "units": list(units)} for case, units in cases]
    return body


def shipment_body(order: Order, *items: dict, **extra) -> dict:
    """A shipment of `items` (default: every line in full) whose invoice amount is the shipped gross."""
    lines = {line.pk: line for line in order.lines.all()}
    items = items or tuple(
        item(line, line.quantity - line.shipped_quantity - line.closed_quantity) for line in lines.values()
    )
    quantities: dict[int, int] = {}
    for entry in items:
        quantities[entry["order_line_id"]] = quantities.get(entry["order_line_id"], 0) + entry["quantity"]
    gross = money_sum(
        line_amounts(unit_price=lines[pk].unit_price, quantity=q, vat_rate=lines[pk].vat_rate)[0]
        for pk, q in quantities.items()
        if pk in lines
    )
    return {
        "carrier": "顺丰速运",
        "tracking_number": "SF1234567890",
        "invoice_numbers": [invoice_number()],
        "invoice_amount": str(gross),
        "lines": list(items),
        **extra,
    }


def ship(client, order: Order, body: dict):
    return client.post(f"/api/v1/orders/{order.pk}/ship/", body, format="json")


def receipt(shipment: Shipment, *, rejected: dict | None = None, reason: str = "damaged", **extra) -> dict:
    """Accept everything, except `rejected` = {shipment_line_id: (quantity, [codes])}."""
    rejected = rejected or {}
    lines = []
    for line in shipment.lines.all():
        quantity, codes = rejected.get(line.pk, (0, []))
        entry = {
            "shipment_line_id": line.pk,
            "accepted_quantity": line.quantity - quantity,
            "rejected_quantity": quantity,
        }
        if quantity:
            entry.update(rejection_reason=reason, rejected_codes=list(codes))
        lines.append(entry)
    return {"lines": lines, **extra}


def receive(client, shipment: Shipment, body: dict | None = None):
    return client.post(f"/api/v1/shipments/{shipment.pk}/receive/", body or receipt(shipment), format="json")


def first_invoice(client, shipment: Shipment):
    """The shipper records the first invoice of the two-invoice chain (两票制, SPEC §5a) for every lot, as issued by
    the drug's MAH of the master data (for drugs whose MAH is not on the platform); a public institution's receipt
    of a distributor's shipment needs it."""
    line = shipment.lines.select_related("drug").first()
    body = {
        "number": invoice_number(),
        "issue_date": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "amount": str(shipment.gross),
        "issuer_name": line.drug.mah_name or line.drug.manufacturer_name,
        "issuer_uscc": valid_uscc(990000000 + shipment.pk),
        "shipment_line_ids": [line.pk for line in shipment.lines.all()],
    }
    return client.post(f"/api/v1/shipments/{shipment.pk}/first-invoices/", body, format="json")
