"""Existing shipments become the first (and only) shipment of their order, and every code shipped so far enters
custody: held by the buyer once its order was received, else in transit from the supplier."""

import unicodedata
from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations

CENT = Decimal("0.01")
_SPACES = {ord(c): None for c in " \t\r\n\u3000\u00a0"}


def _lot_key(lot: str) -> str:
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", lot or "").translate(_SPACES).upper())


def forwards(apps, schema_editor):
    Shipment = apps.get_model("orders", "Shipment")
    ShipmentLine = apps.get_model("orders", "ShipmentLine")
    OrderLine = apps.get_model("orders", "OrderLine")
    TraceCode = apps.get_model("orders", "TraceCode")
    CustodyHop = apps.get_model("orders", "CustodyHop")
    Recall = apps.get_model("orders", "Recall")
    SuspectedDiversion = apps.get_model("orders", "SuspectedDiversion")

    for shipment in Shipment.objects.select_related("order").iterator():
        order = shipment.order
        received = order.status == "received"
        gross = Decimal("0.00")
        accepted_left = {}
        for line in OrderLine.objects.filter(order=order):
            accepted_left[line.pk] = (line.accepted_quantity, line.rejected_quantity, line.rejection_reason)
            if order.status in ("shipped", "received"):  # a short shipment closed the rest
                line.closed_quantity = line.quantity - line.shipped_quantity
                line.save(update_fields=["closed_quantity"])
            gross += (line.unit_price * line.shipped_quantity).quantize(CENT, ROUND_HALF_UP)
        for item in ShipmentLine.objects.filter(shipment=shipment).order_by("pk"):
            item.lot_key = _lot_key(item.lot_number)
            if received:
                accepted, rejected, reason = accepted_left[item.order_line_id]
                item.accepted_quantity = min(accepted, item.quantity)
                item.rejected_quantity = min(rejected, item.quantity - item.accepted_quantity)
                item.rejection_reason = reason if item.rejected_quantity else ""
                accepted_left[item.order_line_id] = (
                    accepted - item.accepted_quantity,
                    rejected - item.rejected_quantity,
                    reason,
                )
            item.save(update_fields=["lot_key", "accepted_quantity", "rejected_quantity", "rejection_reason"])
        shipment.supplier_id, shipment.buyer_id, shipment.gross = order.supplier_id, order.buyer_id, gross
        if received:
            shipment.status, shipment.received_at, shipment.accepted_gross = (
                "received",
                order.received_at,
                (order.accepted_gross),
            )
            shipment.received_by = "migration"
        shipment.save()
        for code in TraceCode.objects.filter(shipment_line__shipment=shipment).select_related("shipment_line"):
            line = code.shipment_line
            code.drug_id, code.lot_number, code.expiry_date = line.drug_id, line.lot_number, line.expiry_date
            code.holder_id = order.buyer_id if received else order.supplier_id
            code.shipment_id = None if received else shipment.pk
            code.save()
            CustodyHop.objects.create(
                code=code,
                shipment=shipment,
                shipment_line=line,
                order=order,
                from_organization_id=order.supplier_id,
                to_organization_id=order.buyer_id,
                outcome="accepted" if received else "in_transit",
                shipped_at=shipment.created_at,
                settled_at=order.received_at if received else None,
            )
    for recall in Recall.objects.all():
        recall.lot_keys = sorted({_lot_key(lot) for lot in recall.lots})
        recall.save(update_fields=["lot_keys"])
    for flag in SuspectedDiversion.objects.select_related("attempted_order", "first_shipment_line__shipment__order"):
        flag.attempted_by_organization_id = flag.attempted_order.supplier_id
        first = flag.first_shipment_line
        if first is not None:
            holder = first.shipment.order
            flag.expected_holder_id = holder.buyer_id if holder.status == "received" else holder.supplier_id
        flag.save()


class Migration(migrations.Migration):
    dependencies = [("orders", "0004_shipments_in_parts_and_custody")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
