"""Reads of invoices and red-letter forms, scoped to the actor (STYLE G6): staff see all, an organisation those it
issued or received; regulators none (SPEC §7a does not open invoices to them)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from orders.models import Invoice, InvoiceFile, RedLetterForm
from pharmex.actor import Actor
from pharmex.tenancy import own_q, scoped


def invoice_list(*, actor: Actor) -> QuerySet[Invoice]:
    files = Prefetch("files", queryset=InvoiceFile.objects.defer("content").order_by("id"))
    invoices = Invoice.objects.prefetch_related("covers", files).order_by("-id")
    return scoped(invoices, own_q(actor, "buyer", "supplier"))


def red_letter_list(*, actor: Actor) -> QuerySet[RedLetterForm]:
    forms = RedLetterForm.objects.select_related("blue_invoice", "red_invoice").order_by("-id")
    return scoped(forms, own_q(actor, "buyer", "supplier"))
