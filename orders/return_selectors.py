"""Reads of returns, scoped to the actor (STYLE G6)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from orders.models import Return, ReturnLine
from pharmex.actor import Actor
from pharmex.errors import NotAParty, NotFound
from pharmex.tenancy import own_q, scoped


def return_list(*, actor: Actor) -> QuerySet[Return]:
    """Returns the actor's organisation asked for or received; staff see all."""
    lines = Prefetch("lines", queryset=ReturnLine.objects.select_related("shipment_line").order_by("id"))
    returns = Return.objects.select_related("order").prefetch_related(lines).order_by("-id")
    return scoped(returns, own_q(actor, "buyer", "supplier"))


def return_for_party(*, actor: Actor, return_id: int, side: str) -> Return:
    """A return the actor may act on as `side` ("buyer" or "supplier"). Raises: NotFound, NotAParty."""
    ret = return_list(actor=actor).filter(pk=return_id).first()
    if ret is None:
        raise NotFound()
    if not actor.acts_for(ret.supplier_id if side == "supplier" else ret.buyer_id):
        raise NotAParty(_("Only the %(side)s may do this.") % {"side": side})
    return ret
