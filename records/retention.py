"""Retention of the records (SPEC §7a): what the database keeps, and the purge job for what has left its period.

The database refuses to delete an order, or any row that forms its records (lines, events, shipments, shipment
lines and events, custody hops), before `records_retained_until(order)` — five years after the business (the
latest of placement, receipt and closing), and one year past the latest expiry of the lots shipped on it, whichever
is later (migration records 0001). The audit log and the ledger are append-only and never purged: the audit chain
and the books must stay whole.

`purge_past_retention` deletes the orders past their period with everything that forms their records. It is off
unless `RECORDS_PURGE_ENABLED` is set (a platform decides that with its lawyers; keeping longer is always allowed).
An order something else still refers to (a suspected diversion, a code in transit) is skipped and counted, never
forced. Only orders the ledger never booked are candidates: the ledger keeps every other order whole for ever, and
they are most of a platform's history.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import DateTimeField, F, Func, QuerySet
from django.db.models.deletion import ProtectedError, RestrictedError
from django.db.models.functions import Now
from django.utils import timezone

from orders.models import CustodyHop, Order, Shipment, ShipmentEvent, ShipmentLine, TemperatureRecord
from pharmex.actor import SYSTEM_ACTOR
from pharmex.audit import audit_record
from pharmex.jobs import work_through

logger = logging.getLogger(__name__)


class RetainedUntil(Func):
    """The end of an order's retention period, as the database computes and enforces it."""

    function = "records_retained_until"
    output_field = DateTimeField()


def orders_past_retention() -> QuerySet[Order]:
    return Order.objects.annotate(retained_until=RetainedUntil(F("pk"))).filter(retained_until__lte=Now())


def orders_retained() -> QuerySet[Order]:
    return Order.objects.annotate(retained_until=RetainedUntil(F("pk"))).filter(retained_until__gt=Now())


def orders_purgeable() -> QuerySet[Order]:
    """Orders past their period that the ledger never booked, oldest first, read through their own index
    (`order_never_booked`). No order is past its period before five years after its placement; 1,825 days is a day
    or two short of that, so the bound lets the index skip the younger ones without missing any."""
    return (
        orders_past_retention()
        .never_booked()
        .filter(placed_at__lte=timezone.now() - timedelta(days=5 * 365))
        .order_by("placed_at", "pk")
    )


@dataclass(frozen=True)
class PurgeResult:
    enabled: bool
    purged: int = 0
    skipped: int = 0


def purge_past_retention(*, limit: int = 1000) -> PurgeResult:
    """Delete up to `limit` orders past their retention period, each with its records, one transaction each.

    An order still referred to is kept, and the run goes on past it (`pharmex.jobs.work_through`): kept orders do
    not count against `limit`."""
    if not settings.RECORDS_PURGE_ENABLED:
        return PurgeResult(enabled=False)
    worked = work_through(orders_purgeable(), limit=limit, handle=_purged)
    return PurgeResult(enabled=True, purged=worked.done, skipped=worked.passed_over)


def _purged(order_id: int) -> bool:
    try:
        with transaction.atomic():
            _purge_order(order_id)
    except (ProtectedError, RestrictedError, IntegrityError) as error:
        logger.info("records purge: order %s kept, still referred to (%s)", order_id, type(error).__name__)
        return False
    return True


def _purge_order(order_id: int) -> None:
    order = Order.objects.select_for_update().get(pk=order_id)
    shipments = Shipment.objects.filter(order_id=order_id)
    # A return's hops are not among them: the return itself keeps the order (it is never deleted).
    CustodyHop.objects.of_shipments(shipments).delete()
    ShipmentEvent.objects.filter(shipment__in=shipments).delete()
    ShipmentLine.objects.filter(shipment__in=shipments).delete()
    TemperatureRecord.objects.filter(shipment__in=shipments).delete()
    shipments.delete()
    audit_record(
        actor=SYSTEM_ACTOR.audit,
        action="records.purged",
        object_type="order",
        object_id=order.pk,
        organization_id=order.buyer_id,
        changes={"number": order.number, "supplier_id": order.supplier_id, "placed_at": order.placed_at},
    )
    order.delete()  # its lines and events with it
