"""Reads of credit notes and refunds, scoped to the actor (STYLE G6)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from pharmex.actor import Actor
from settlements.models import CreditNote, Refund


def credit_note_list(*, actor: Actor) -> QuerySet[CreditNote]:
    """Staff: all; a buyer or supplier: the credit notes of its returns."""
    queryset = CreditNote.objects.select_related("order", "return_request", "credit")
    if actor.is_staff:
        return queryset.order_by("-id")
    if actor.organization is None:
        return queryset.none()
    return queryset.filter(Q(buyer=actor.organization) | Q(supplier=actor.organization)).order_by("-id")


def refund_list(*, actor: Actor) -> QuerySet[Refund]:
    """Staff: all; a buyer: its own."""
    queryset = Refund.objects.prefetch_related("sources")
    if actor.is_staff:
        return queryset.order_by("-id")
    if actor.organization is None:
        return queryset.none()
    return queryset.filter(buyer=actor.organization).order_by("-id")
