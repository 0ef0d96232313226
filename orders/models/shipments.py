from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from orders.models.orders import MONEY, Order, OrderLine


class Shipment(models.Model):
    """The goods of an order leaving the supplier: carrier, tracking, invoices (数电发票)."""

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="shipment")
    carrier = models.CharField(max_length=100)
    tracking_number = models.CharField(max_length=64)
    invoice_numbers = ArrayField(models.CharField(max_length=20), default=list)
    invoice_amount = models.DecimalField(**MONEY)
    shipped_by = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_number}"


class ShipmentLine(models.Model):
    """Quantity of one lot shipped against an order line."""

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="shipment_lines")
    drug = models.ForeignKey("catalog.Drug", on_delete=models.PROTECT, related_name="+")
    lot_number = models.CharField(max_length=40)
    expiry_date = models.DateField()
    quantity = models.PositiveIntegerField()

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(quantity__gt=0), name="shipment_line_quantity_positive")]
        indexes = [models.Index(fields=["drug", "lot_number"], name="shipment_line_drug_lot")]

    def __str__(self) -> str:
        return f"lot {self.lot_number} × {self.quantity}"


class TraceCode(models.Model):
    """A drug traceability code (药品追溯码); unique on the whole platform: a code ships once."""

    code = models.CharField(max_length=20, unique=True)
    shipment_line = models.ForeignKey(ShipmentLine, on_delete=models.PROTECT, related_name="trace_codes")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.code


class SuspectedDiversion(models.Model):
    """A refused attempt to ship an already shipped code: suspected counterfeit or diversion (回流/串货)."""

    code = models.CharField(max_length=20, db_index=True)
    attempted_order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+")
    attempted_by = models.CharField(max_length=255)
    first_shipment_line = models.ForeignKey(ShipmentLine, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"duplicate {self.code} on {self.attempted_order_id}"
