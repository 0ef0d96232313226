"""Lecheng approvals (批件) taken by orders and given back (SPEC §4a), atomically like stock."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

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
    lecheng_follow(before=lecheng_in_use(order.lines.all()), after={})


def lecheng_give_back_returned(*, returned: list[tuple[OrderLine, int]]) -> None:
    """Units a Lecheng institution returned to its supplier (order line, quantity accepted back) are no longer used
    against its approval (SPEC §4a)."""
    back = (OrderLine(lecheng_approval_id=line.lecheng_approval_id, quantity=quantity) for line, quantity in returned)
    lecheng_follow(before=lecheng_in_use(back), after={})


def lecheng_in_use(lines: Iterable[OrderLine]) -> dict[int, int]:
    """What these lines draw on each Lecheng approval, by approval id."""
    use: dict[int, int] = defaultdict(int)
    for line in lines:
        if line.lecheng_approval_id is not None:
            use[line.lecheng_approval_id] += line.quantity
    return dict(use)


def lecheng_follow(*, before: dict[int, int], after: dict[int, int]) -> set[int]:
    """Move an order's use of its approvals from `before` to `after` (lecheng_in_use of its lines then and now: an
    amendment, a line confirmed in part): more is taken atomically, less given back. Returns the approvals that
    were short of the increase; the caller refuses and its transaction rolls everything back."""
    more = {pk: after.get(pk, 0) - before.get(pk, 0) for pk in after if after.get(pk, 0) > before.get(pk, 0)}
    short = lecheng_reserve(quantities=more)
    for approval_id in sorted(before):
        if (less := before[approval_id] - after.get(approval_id, 0)) > 0:
            lecheng_release(approval_id=approval_id, quantity=less)
    return short
