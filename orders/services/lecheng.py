"""Lecheng approvals (批件) taken by orders and given back (SPEC §4a), atomically like stock."""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import gettext as _

from catalog.customs import lecheng_release, lecheng_reserve
from orders.errors import OrderNotAllowed
from orders.models import Order, OrderLine


def lecheng_take(*, lines: list[OrderLine], indexes: dict[int, int]) -> None:
    """Take the quantity of every line drawing on a Lecheng approval; call it in the order's transaction, after the
    stock. `indexes`: the request index of each line (by id), for the error.

    Raises: OrderNotAllowed (lecheng_quantity_exceeded) when another order took the approval's quantity since the
    gate read it; the caller's transaction rolls everything back.
    """
    wanted: dict[int, int] = defaultdict(int)
    for line in lines:
        if line.lecheng_approval_id is not None:
            wanted[line.lecheng_approval_id] += line.quantity
    short = lecheng_reserve(quantities=wanted)
    if short:
        errors = [
            {
                "field": f"lines[{indexes[line.pk]}].quantity",
                "code": "lecheng_quantity_exceeded",
                "message": _("The approval (批件) for this drug has not enough quantity left."),
            }
            for line in lines
            if line.lecheng_approval_id in short
        ]
        raise OrderNotAllowed(_("The Lecheng approval's remaining quantity is too small."), errors=errors)


def lecheng_give_back(*, order: Order) -> None:
    """An order ended before shipping (cancelled, rejected, expired) gives its approvals' quantity back."""
    for line in order.lines.filter(lecheng_approval__isnull=False).order_by("lecheng_approval_id"):
        lecheng_release(approval_id=line.lecheng_approval_id, quantity=line.quantity)
