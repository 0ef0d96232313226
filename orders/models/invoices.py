"""Invoices as records (数电发票) and red-letter confirmation forms (红字发票信息确认单), SPEC §5 "Invoices".

Goods, invoices and money agree (票货一致): a shipment's blue invoices total its shipped gross (several invoices
may share a shipment, one invoice may cover several shipments of the same buyer); a rejection at receipt or a
credited return is red-lettered for its value through a confirmation form the buyer confirms.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from orders.invoice_choices import InvoiceKind, RedLetterReason, RedLetterStatus
from orders.models.orders import MONEY
from orders.models.shipments import Shipment
from pharmex.models import TransitionRecord


class Invoice(models.Model):
    """A 数电发票 the supplier issued to the buyer: blue (positive amounts) or red (红字, negative, from a form)."""

    # Indexed by invoice_number_unique_per_issuer (supplier, number) and invoice_buyer_recent, which lead with them:
    # no index of their own.
    supplier = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+", db_index=False)
    buyer = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+", db_index=False)
    number = models.CharField(max_length=20)
    kind = models.CharField(max_length=10, choices=InvoiceKind.choices)
    issue_date = models.DateField()
    amount_excl_tax = models.DecimalField(**MONEY)
    tax = models.DecimalField(**MONEY)
    total = models.DecimalField(**MONEY)
    red = models.BooleanField(default=False)
    # The buyer's answer: has it deducted this invoice's input tax (进项抵扣)? A red-letter form of a blue invoice
    # not deducted is confirmed without the buyer.
    buyer_deducted = models.BooleanField(null=True, blank=True)
    recorded_by = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "number"], name="invoice_number_unique_per_issuer"),
            models.CheckConstraint(condition=Q(total=F("amount_excl_tax") + F("tax")), name="invoice_total"),
            models.CheckConstraint(
                condition=Q(red=False, total__gt=0) | Q(red=True, total__lt=0), name="invoice_sign_by_colour"
            ),
        ]
        indexes = [
            models.Index(fields=["buyer", "-id"], name="invoice_buyer_recent"),
            models.Index(fields=["supplier", "-id"], name="invoice_supplier_recent"),
        ]

    def __str__(self) -> str:
        return self.number


class InvoiceFile(models.Model):
    """The 数电发票 metadata file (XML or OFD) the supplier uploaded for an invoice, kept as uploaded, with the
    fields read from it (orders/invoice_files.py); one per format."""

    # Indexed by invoice_file_once_per_format (invoice, format), which leads with it: no index of its own.
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="files", db_index=False)
    format = models.CharField(max_length=10)  # "xml" or "ofd", by content
    original_name = models.CharField(max_length=200, blank=True)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    carried_fields = models.JSONField(default=dict, blank=True)  # what the file carries, as text
    uploaded_by = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["invoice_id", "id"]
        constraints = [models.UniqueConstraint(fields=["invoice", "format"], name="invoice_file_once_per_format")]

    def __str__(self) -> str:
        return f"{self.invoice_id}.{self.format}"


class InvoiceShipment(models.Model):
    """How much of a shipment's gross one invoice covers (negative for a red invoice)."""

    # Indexed by invoice_shipment_once (invoice, shipment), which leads with it: no index of its own.
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="covers", db_index=False)
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="invoice_covers")
    amount = models.DecimalField(**MONEY)

    class Meta:
        ordering = ["invoice_id", "shipment_id"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "shipment"], name="invoice_shipment_once"),
            models.CheckConstraint(condition=~Q(amount=0), name="invoice_shipment_amount_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.invoice_id} covers {self.amount} of {self.shipment_id}"


class RedLetterForm(models.Model):
    """A 红字发票信息确认单: the supplier names the blue invoice and the value to red-letter (a rejection at
    receipt or a credited return); the buyer confirms; the supplier then records the red invoice."""

    number = models.CharField(max_length=32, unique=True)  # HZ + blue invoice number + sequence
    # Indexed by red_letter_supplier_recent and red_letter_buyer_recent, which lead with them: no index of their own.
    supplier = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+", db_index=False)
    buyer = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+", db_index=False)
    blue_invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="red_letter_forms")
    shipment = models.ForeignKey(Shipment, on_delete=models.PROTECT, related_name="red_letter_forms")
    reason = models.CharField(max_length=20, choices=RedLetterReason.choices)
    return_request = models.ForeignKey(
        "orders.Return", null=True, blank=True, on_delete=models.PROTECT, related_name="red_letter_forms"
    )
    amount = models.DecimalField(**MONEY)  # the value red-lettered, tax included, positive
    tax = models.DecimalField(**MONEY)
    status = models.CharField(max_length=20, choices=RedLetterStatus.choices, default=RedLetterStatus.RAISED)
    red_invoice = models.OneToOneField(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="red_letter_form"
    )
    raised_by = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    red_issued_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0, tax__gte=0), name="red_letter_amounts"),
            models.CheckConstraint(
                condition=Q(reason=RedLetterReason.RETURN, return_request__isnull=False)
                | Q(reason=RedLetterReason.REJECTION, return_request__isnull=True),
                name="red_letter_return_named",
            ),
        ]
        indexes = [  # a party's list, a page from each side (ApiViewSet.party_fields)
            models.Index(fields=["buyer", "-id"], name="red_letter_buyer_recent"),
            models.Index(fields=["supplier", "-id"], name="red_letter_supplier_recent"),
        ]

    def __str__(self) -> str:
        return self.number


class RedLetterEvent(TransitionRecord):
    form = models.ForeignKey(RedLetterForm, on_delete=models.CASCADE, related_name="events")

    class Meta(TransitionRecord.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.form_id}: {self.from_status or '-'} → {self.to_status}"
