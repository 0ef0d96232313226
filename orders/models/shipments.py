"""Shipments (SPEC §5): an order ships in one or more parts, each received (入库验收) on its own."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from orders.choices import RejectionReason, ShipmentStatus, TemperatureFlag
from orders.models.orders import MONEY, Order, OrderLine
from pharmex.models import TransitionRecord

IN_TRANSIT = Q(status=ShipmentStatus.IN_TRANSIT)


class ShipmentQuerySet(models.QuerySet):
    _with_hops = False

    def with_hops(self) -> ShipmentQuerySet:
        """Each fetched shipment's (prefetched) lines get their custody hops, in one query that names the shipments'
        `created_at`, the hops' partition key (orders 0016): PostgreSQL then plans only those months' partitions,
        where `prefetch_related("lines__hops")` would plan every month kept."""
        clone = self._chain()
        clone._with_hops = True
        return clone

    def _clone(self):
        clone = super()._clone()
        clone._with_hops = self._with_hops
        return clone

    def _fetch_all(self):
        fetched = self._result_cache is not None
        super()._fetch_all()
        if self._with_hops and not fetched and self._iterable_class is models.query.ModelIterable:
            from orders.models.trace import attach_hops  # trace.py imports this module

            attach_hops(self._result_cache)


class Shipment(models.Model):
    """Goods of one order leaving the supplier together: carrier, tracking, invoices (数电发票), lines."""

    # Indexed by shipment_unique_sequence (order, sequence), which leads with it: no index of its own.
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="shipments", db_index=False)
    sequence = models.PositiveSmallIntegerField()  # 1, 2, … within the order
    # The parties, copied from the order: tenancy filters and the per-supplier invoice rule need no join.
    # Indexed by shipment_supplier_recent and shipment_buyer_recent, which lead with them: no index of their own.
    supplier = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+", db_index=False)
    buyer = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+", db_index=False)
    status = models.CharField(max_length=20, choices=ShipmentStatus.choices, default=ShipmentStatus.IN_TRANSIT)
    carrier = models.CharField(max_length=100)
    tracking_number = models.CharField(max_length=64)
    invoice_numbers = ArrayField(models.CharField(max_length=20), default=list)
    invoice_amount = models.DecimalField(**MONEY)
    gross = models.DecimalField(**MONEY)  # the shipped quantities at the order's prices, rounded per line
    accepted_gross = models.DecimalField(**MONEY, null=True, blank=True)
    temperature_flag = models.CharField(max_length=30, choices=TemperatureFlag.choices, blank=True)
    shipped_by = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)  # shipped at
    received_by = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ShipmentQuerySet.as_manager()

    class Meta:
        ordering = ["order_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["order", "sequence"], name="shipment_unique_sequence"),
            models.CheckConstraint(condition=Q(gross__gte=0, invoice_amount__gte=0), name="shipment_amounts_positive"),
        ]
        indexes = [
            models.Index(fields=["buyer", "-id"], name="shipment_buyer_recent"),
            models.Index(fields=["supplier", "-id"], name="shipment_supplier_recent"),
            # A party's shipments in transit (`?status=in_transit`: the buyer's to receive), a few weeks' worth: not
            # the party's every shipment (the indexes above) nor the platform's in transit (shipment_status_shipped).
            models.Index(fields=["buyer", "-id"], name="shipment_buyer_in_transit", condition=IN_TRANSIT),
            models.Index(fields=["supplier", "-id"], name="shipment_supplier_in_transit", condition=IN_TRANSIT),
            models.Index(fields=["status", "created_at"], name="shipment_status_shipped"),
            models.Index(fields=["buyer", "received_at"], name="shipment_buyer_received"),
            GinIndex(fields=["invoice_numbers"], name="shipment_invoice_numbers"),
            models.Index(fields=["tracking_number"], name="shipment_tracking_number"),  # the desk's search
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.sequence} {self.carrier} {self.tracking_number}"


LOT_KEY_LENGTH = 40


class ShipmentLine(models.Model):
    """Quantity of one lot shipped against an order line, and what the buyer accepted of it."""

    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="shipment_lines")
    # Indexed by shipment_line_drug_lot, which leads with it: no index of its own.
    drug = models.ForeignKey("catalog.Drug", on_delete=models.PROTECT, related_name="+", db_index=False)
    lot_number = models.CharField(max_length=40)
    # The lot normalised: recalls match on it, always with the drug (shipment_line_drug_lot), so no index of its own.
    lot_key = models.CharField(max_length=LOT_KEY_LENGTH)
    expiry_date = models.DateField()
    # 产地 of the lot, required for 中药饮片; a database default keeps raw INSERTs (bench seeding) working
    place_of_origin = models.CharField(max_length=100, blank=True, default="", db_default="")
    quantity = models.PositiveIntegerField()
    accepted_quantity = models.PositiveIntegerField(default=0)
    rejected_quantity = models.PositiveIntegerField(default=0)
    rejection_reason = models.CharField(max_length=30, choices=RejectionReason.choices, blank=True)
    # How many codes (units and cases) the line carried, written when it ships: a shipment list shows it where
    # counting a page's custody hops would read every code of every shipment on it.
    code_count = models.PositiveIntegerField(default=0, db_default=0)

    class Meta:
        ordering = ["shipment_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="shipment_line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(accepted_quantity__lte=F("quantity") - F("rejected_quantity")),
                name="shipment_line_received_le_shipped",
            ),
        ]
        indexes = [models.Index(fields=["drug", "lot_key"], name="shipment_line_drug_lot")]

    def __str__(self) -> str:
        return f"lot {self.lot_number} × {self.quantity}"


class ShipmentEvent(TransitionRecord):
    """One transition of a shipment (received, received automatically)."""

    # Indexed by shipment_event_shipment, which leads with it: no index of its own.
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events", db_index=False)

    class Meta(TransitionRecord.Meta):
        indexes = [models.Index(fields=["shipment", "id"], name="shipment_event_shipment")]


class TemperatureRecord(models.Model):
    """A cold-chain shipment's temperature evidence: a logger's readings, or its min/max summary."""

    shipment = models.OneToOneField(Shipment, on_delete=models.PROTECT, related_name="temperature_record")
    logger_id = models.CharField(max_length=64, blank=True)
    min_celsius = models.DecimalField(max_digits=5, decimal_places=2)
    max_celsius = models.DecimalField(max_digits=5, decimal_places=2)
    readings = models.JSONField(default=list, blank=True)  # [[ISO time, "°C"], …] as uploaded, when uploaded
    source = models.CharField(max_length=10)  # "summary" or "readings"
    recorded_by = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(min_celsius__lte=F("max_celsius")), name="temperature_min_le_max")
        ]

    def __str__(self) -> str:
        return f"{self.min_celsius}–{self.max_celsius} °C"
