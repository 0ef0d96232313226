"""Reads of credit notes and refunds, scoped to the actor (STYLE G6)."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import QuerySet, Sum

from pharmex.actor import Actor
from pharmex.tenancy import own_q, scoped
from settlements.models import CreditNote, FundPayment, Payment, Refund


def credit_note_list(*, actor: Actor) -> QuerySet[CreditNote]:
    """Staff: all; a buyer or supplier: the credit notes of its returns."""
    queryset = CreditNote.objects.select_related("order", "return_request", "credit").order_by("-id")
    return scoped(queryset, own_q(actor, "buyer", "supplier"))


def refund_list(*, actor: Actor) -> QuerySet[Refund]:
    """Staff: all; a buyer: its own."""
    return scoped(Refund.objects.prefetch_related("sources").order_by("-id"), own_q(actor, "buyer"))


def credit_holders(*, currency: str = "CNY") -> list[tuple[str, int, str, Decimal]]:
    """Who has unapplied credit to pay back, for platform finance: ("buyer" or "fund", id, name, credit), buyers
    first, each kind by name."""
    live = {"currency": currency, "reversed_at__isnull": True, "unallocated__gt": 0}
    buyers = (
        Payment.objects.filter(**live)
        .values_list("buyer_id", "buyer__legal_name")
        .annotate(credit=Sum("unallocated"))
        .order_by("buyer__legal_name", "buyer_id")
    )
    funds = (
        FundPayment.objects.filter(**live)
        .values_list("fund_id", "fund__name")
        .annotate(credit=Sum("unallocated"))
        .order_by("fund__name", "fund_id")
    )
    return [("buyer", *row) for row in buyers] + [("fund", *row) for row in funds]
