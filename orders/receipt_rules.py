"""Checks that apps above orders add to receipt (入库验收; SPEC §5a: the two-invoice chain), so that orders never
imports them (tests/test_layering.py).

An app registers a check when it is ready. Receipt by the buyer calls every check with the shipment and its order,
both locked; a check refuses by raising a `ReceiptRefused` of its own (code and message naming what is missing).
The auto-receive job leaves a refused shipment in transit for the buyer rather than receiving it regardless.
A check may come with a description of what it checks, which the shipment's detail shows its parties
(`describe(shipment)`, in the shape orders.serializers declares for it: `invoice_chain`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _

from pharmex.errors import DomainError


class ReceiptRefused(DomainError):
    """The base of what a registered receipt check raises: the goods may not be received until it is resolved."""

    code = "receipt_refused"
    problem = "receipt-refused"
    title = _("The shipment cannot be received until this is resolved")


_checks: dict[str, Callable[..., None]] = {}
_descriptions: dict[str, Callable[..., Any]] = {}


def register(
    name: str, check: Callable[..., None], *, describe: Callable[..., Any] | None = None
) -> Callable[..., None]:
    """`check(*, shipment, order)` raises a ReceiptRefused, or returns; `describe(shipment)` says what it sees."""
    _checks[name] = check
    if describe is not None:
        _descriptions[name] = describe
    return check


def description(name: str, shipment) -> Any:
    """What the check `name` sees in the shipment, or None when no such check is registered."""
    describe = _descriptions.get(name)
    return describe(shipment) if describe is not None else None


def check_receipt(*, shipment, order) -> None:
    """Raises: the first registered check's ReceiptRefused."""
    for check in _checks.values():
        check(shipment=shipment, order=order)
