"""Returns (退货, SPEC §5): a buyer sends received goods back, by lot and code, and gets a credit note."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from orders.models.orders import MONEY, Order, OrderLine
from orders.models.shipments import ShipmentLine
from orders.return_choices import ReturnReason, ReturnRejectionReason, ReturnStatus
from pharmex.models import TransitionRecord


class Return(models.Model):
    """One return request of one order's received goods: reason, approval, the way back, the supplier's receipt.

    `gross` is the value of what the supplier accepted back (per line at the sale's prices, rounded per line as
    the sale was): the credit note's amount.
    """

    number = models.CharField(max_length=32, unique=True)  # RT + order number + sequence
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    # Indexed by return_buyer_recent and return_supplier_recent, which lead with them: no index of their own.
    buyer = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+", db_index=False)
    supplier = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+", db_index=False)
    recall = models.ForeignKey("orders.Recall", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED)
    reason = models.CharField(max_length=20, choices=ReturnReason.choices)
    note = models.CharField(max_length=1000, blank=True)
    refusal_reason = models.CharField(max_length=1000, blank=True)
    carrier = models.CharField(max_length=100, blank=True)
    tracking_number = models.CharField(max_length=64, blank=True)
    currency = models.CharField(max_length=3, default="CNY")
    gross = models.DecimalField(**MONEY, default=0)  # accepted back by the supplier: what is credited
    tax = models.DecimalField(**MONEY, default=0)
    requested_by = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    credited_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(gross__gte=0, tax__gte=0), name="return_amounts_positive"),
            models.CheckConstraint(
                condition=Q(reason=ReturnReason.RECALL) | Q(recall__isnull=True), name="return_recall_reason"
            ),
        ]
        indexes = [
            models.Index(fields=["buyer", "-id"], name="return_buyer_recent"),
            models.Index(fields=["supplier", "-id"], name="return_supplier_recent"),
        ]

    def __str__(self) -> str:
        return self.number


class ReturnLine(models.Model):
    """Units of one received lot (shipment line) to go back, and what became of them at each step.

    `claimed_quantity` is what the return holds of the lot now — requested, then approved, then accepted back,
    0 once refused or cancelled. Σ claimed over a lot's returns never exceeds the lot's accepted quantity
    (checked under the order lines' row locks).
    """

    # Indexed by return_line_once_per_lot (return_request, shipment_line), which leads with it: no index of its own.
    return_request = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines", db_index=False)
    shipment_line = models.ForeignKey(ShipmentLine, on_delete=models.PROTECT, related_name="return_lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="return_lines")
    requested_quantity = models.PositiveIntegerField()
    approved_quantity = models.PositiveIntegerField(null=True, blank=True)
    accepted_quantity = models.PositiveIntegerField(null=True, blank=True)  # at the supplier's receipt
    rejected_quantity = models.PositiveIntegerField(null=True, blank=True)
    rejection_reason = models.CharField(max_length=30, choices=ReturnRejectionReason.choices, blank=True)
    claimed_quantity = models.PositiveIntegerField()
    codes = ArrayField(models.CharField(max_length=80), default=list, blank=True)  # asked for, canonical
    shipped_codes = ArrayField(models.CharField(max_length=80), default=list, blank=True)  # sent back
    gross = models.DecimalField(**MONEY, default=0)  # accepted back, at the sale's price, rounded per line
    tax = models.DecimalField(**MONEY, default=0)

    class Meta:
        ordering = ["return_request_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["return_request", "shipment_line"], name="return_line_once_per_lot"),
            models.CheckConstraint(condition=Q(requested_quantity__gt=0), name="return_line_requested_positive"),
            models.CheckConstraint(
                condition=Q(approved_quantity__isnull=True) | Q(approved_quantity__lte=F("requested_quantity")),
                name="return_line_approved_le_requested",
            ),
            models.CheckConstraint(
                condition=Q(accepted_quantity__isnull=True)
                | Q(accepted_quantity__lte=F("approved_quantity") - F("rejected_quantity")),
                name="return_line_received_le_approved",
            ),
            models.CheckConstraint(
                condition=Q(claimed_quantity__lte=F("requested_quantity")), name="return_line_claim_le_requested"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.return_request_id}: lot {self.shipment_line_id} × {self.requested_quantity}"


class ReturnEvent(TransitionRecord):
    """One transition of a return: from, to, actor, time, note."""

    # Indexed by return_event_return, which leads with it: no index of its own.
    return_request = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="events", db_index=False)

    class Meta(TransitionRecord.Meta):
        indexes = [models.Index(fields=["return_request", "id"], name="return_event_return")]

    def __str__(self) -> str:
        return f"{self.return_request_id}: {self.from_status or '-'} → {self.to_status}"
