"""Quotes (询价/报价, SPEC §5a): a buyer asks one or several suppliers, each answers with a price and validity
from one of its offers, and the buyer turns an answered quote into an order at the quoted price — once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Organization
from catalog.models import Drug, Offer
from orders.compliance import LineRequest, today
from orders.models import Order
from orders.services import order_place
from pharmex.actor import Actor
from pharmex.audit import audit_record
from pharmex.errors import InvalidInput, InvalidTransition, NotAParty
from pharmex.transitions import transition_apply, transition_lock
from procurement.choices import QuoteStatus
from procurement.gate import quoted_prices
from procurement.models import Quote, QuoteRequest
from procurement.notifications import announce_quote
from procurement.transitions import QUOTE


def _invalid(field: str, code: str, message: str) -> InvalidInput:
    return InvalidInput([{"field": field, "code": code, "message": message}])


@transaction.atomic
def quote_request_create(
    *, actor: Actor, drug_id: int, quantity: int, delivery_date: date, supplier_ids: list[int], note: str = ""
) -> QuoteRequest:
    """The caller's organisation asks suppliers for a quote. Raises: InvalidInput."""
    buyer = actor.require_organization()
    drug = Drug.objects.filter(pk=drug_id).first()
    if drug is None:
        raise _invalid("drug_id", "not_found", _("There is no drug %(id)s.") % {"id": drug_id})
    supplier_ids = sorted(set(supplier_ids))
    suppliers = list(Organization.objects.filter(pk__in=supplier_ids).exclude(pk=buyer.pk))
    if len(suppliers) != len(supplier_ids):
        raise _invalid("supplier_ids", "not_found", _("Ask organisations other than your own that exist."))
    if delivery_date < today():
        raise _invalid("delivery_date", "in_the_past", _("The delivery date has passed."))
    request = QuoteRequest.objects.create(
        buyer=buyer, drug=drug, quantity=quantity, delivery_date=delivery_date, note=note
    )
    for quote in Quote.objects.bulk_create(Quote(request=request, supplier=supplier) for supplier in suppliers):
        announce_quote(quote, "quote.requested")
    audit_record(
        actor=actor.audit,
        action="quote_request.created",
        object_type="quote_request",
        object_id=request.pk,
        organization_id=buyer.pk,
        changes={"drug": drug.pk, "quantity": quantity, "delivery_date": delivery_date, "suppliers": supplier_ids},
    )
    return request


@transaction.atomic
def quote_answer(
    *, actor: Actor, quote: Quote, offer_id: int, unit_price: Decimal, valid_until: date, note: str = ""
) -> Quote:
    """The supplier quotes a price, valid until a date, from one of its offers of the drug.

    Raises: NotAParty, InvalidInput, InvalidTransition (answered already)."""
    if not actor.acts_for(quote.supplier_id):
        raise NotAParty()
    locked = transition_lock(QUOTE, quote.pk, "answer", related=("request",))
    offer = Offer.objects.filter(pk=offer_id, supplier_id=locked.supplier_id, drug_id=locked.request.drug_id).first()
    if offer is None:
        raise _invalid("offer_id", "not_found", _("Quote from one of your offers of the requested drug."))
    if valid_until < today():
        raise _invalid("valid_until", "in_the_past", _("The quote must hold until today at least."))
    quote = transition_apply(
        QUOTE,
        locked,
        action="answer",
        actor=actor,
        note=note,
        changes={"offer": offer, "unit_price": unit_price, "valid_until": valid_until},
    )
    announce_quote(quote, "quote.answered")
    return quote


@transaction.atomic
def quote_decline(*, actor: Actor, quote: Quote, note: str = "") -> Quote:
    """The supplier will not quote. Raises: NotAParty, InvalidTransition."""
    if not actor.acts_for(quote.supplier_id):
        raise NotAParty()
    quote = transition_lock(QUOTE, quote.pk, "decline", related=("request",))
    quote = transition_apply(QUOTE, quote, action="decline", actor=actor, note=note)
    announce_quote(quote, "quote.declined")
    return quote


@transaction.atomic
def quote_accept(*, actor: Actor, quote: Quote, note: str = "") -> tuple[Order, bool]:
    """The buyer turns an answered quote into an order of the requested quantity at the quoted price, through the
    gate and placement like any order. Once: accepting again answers the same order (the quote row is locked, so
    two concurrent acceptances make one order). Returns (order, created).

    Raises: NotAParty, InvalidTransition (not answered, or expired), OrderNotAllowed, InsufficientStock.
    """
    if not actor.acts_for(quote.request.buyer_id):
        raise NotAParty()
    locked = Quote.objects.select_for_update(of=("self",)).select_related("request").get(pk=quote.pk)
    if locked.status == QuoteStatus.ACCEPTED and locked.order_id is not None:
        return locked.order, False
    if locked.status == QuoteStatus.ANSWERED and locked.valid_until < today():
        raise InvalidTransition(_("The quote expired on %(date)s.") % {"date": locked.valid_until})
    locked = transition_lock(QUOTE, locked.pk, "accept", related=("request",))
    transition_apply(QUOTE, locked, action="accept", actor=actor, note=note)
    with quoted_prices({locked.offer_id: (locked.unit_price, locked.request.quantity)}):
        order = order_place(
            actor=actor, lines=[LineRequest(offer_id=locked.offer_id, quantity=locked.request.quantity)], note=note
        )
    locked.order = order
    locked.save(update_fields=["order", "updated_at"])
    announce_quote(locked, "quote.accepted")
    return order, True
