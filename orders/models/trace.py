"""Traceability codes (药品追溯码) and their custody (SPEC §5): who holds each box, and every hop it took."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from orders.choices import DiversionKind, DiversionStatus, HopOutcome, TraceCodeKind
from orders.models.orders import Order
from orders.models.shipments import Shipment, ShipmentLine

CODE_LENGTH = 80  # the longest canonical form: (01) + 14 digits + (21) + a 20-character serial


class TraceCode(models.Model):
    """A code the platform knows, with its one current holder.

    A code enters custody the first time a supplier ships it (bought off-platform or made by the shipper);
    receipt of an accepted unit moves it to the buyer. While `shipment` is set the code is in transit.
    """

    code = models.CharField(max_length=CODE_LENGTH)  # canonical form (orders/trace_codes.py); trace_code_unique
    kind = models.CharField(max_length=20, choices=TraceCodeKind.choices)
    drug = models.ForeignKey("catalog.Drug", on_delete=models.PROTECT, related_name="+")
    gtin = models.CharField(max_length=14, blank=True)
    lot_number = models.CharField(max_length=40, blank=True)
    expiry_date = models.DateField(null=True, blank=True)
    # Indexed by trace_code_holder_drug, which leads with it: no index of its own.
    holder = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+", db_index=False)
    shipment = models.ForeignKey(Shipment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    is_case = models.BooleanField(default=False)  # a case code (箱码): its units point to it as `case`
    case = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="units")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # When its newest custody hop was shipped (written with every hop). The code's hops lie between created_at and
    # this, so a trace lookup reads only those monthly partitions of custody hops, however long the history.
    last_hop_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~(Q(is_case=True) & Q(case__isnull=False)), name="trace_case_not_nested"),
            # A constraint, not unique=True, which also builds a `LIKE 'x%'` index: an entry per code shipped that
            # no query reads.
            models.UniqueConstraint(fields=["code"], name="trace_code_unique"),
        ]
        indexes = [models.Index(fields=["holder", "drug"], name="trace_code_holder_drug")]

    def __str__(self) -> str:
        return self.code


class CustodyHopQuerySet(models.QuerySet):
    def of_shipment(self, shipment: Shipment) -> CustodyHopQuerySet:
        """The hops a shipment carried. Every one has the shipment's `created_at` as `shipped_at`, the partition key
        (orders 0016): saying so lets PostgreSQL read the one monthly partition that holds them."""
        return self.filter(shipment=shipment, shipped_at=shipment.created_at)

    def of_code(self, code: TraceCode) -> CustodyHopQuerySet:
        """A code's hops. None is older than the code (orders 0017) nor newer than its last hop (orders 0018): saying
        so reads only the monthly partitions in between, whatever the length of the history."""
        hops = self.filter(code=code, shipped_at__gte=code.created_at)
        return hops if code.last_hop_at is None else hops.filter(shipped_at__lte=code.last_hop_at)

    def of_shipments(self, shipments: models.QuerySet[Shipment]) -> CustodyHopQuerySet:
        """The hops many shipments carried, read from the months between the first shipment's `created_at` and the
        last's. The bounds come from one small aggregate first: bounds taken from a subquery would prune no
        partition when the query is planned, and every month of history would be read."""
        window = shipments.order_by().aggregate(first=models.Min("created_at"), last=models.Max("created_at"))
        if window["first"] is None:
            return self.none()
        return self.filter(shipment__in=shipments, shipped_at__gte=window["first"], shipped_at__lte=window["last"])

    def of_return(self, ret) -> CustodyHopQuerySet:
        """The hops a return sent back: shipped back after the return was asked for, so no older partition is read."""
        return self.filter(return_request=ret, shipped_at__gte=ret.created_at)


class CustodyHop(models.Model):
    """One code carried one leg: by a shipment from the shipper to the buyer, or by a return (退货) from the buyer
    back to the supplier; settled by the receiving side's receipt (accepted: custody moved; rejected: it stays).

    Exactly one of `shipment` (with its `shipment_line`) and `return_request` (with its `return_line`) is set.
    """

    # Indexed by custody_hop_once_per_shipment (code, shipment) and custody_hop_once_per_return, which lead with
    # it: no index of its own.
    code = models.ForeignKey(TraceCode, on_delete=models.PROTECT, related_name="hops", db_index=False)
    shipment = models.ForeignKey(Shipment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    shipment_line = models.ForeignKey(
        ShipmentLine, null=True, blank=True, on_delete=models.PROTECT, related_name="hops"
    )
    return_request = models.ForeignKey(
        "orders.Return", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    return_line = models.ForeignKey(
        "orders.ReturnLine", null=True, blank=True, on_delete=models.PROTECT, related_name="hops"
    )
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+")
    from_organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    to_organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=10, choices=HopOutcome.choices, default=HopOutcome.IN_TRANSIT)
    shipped_at = models.DateTimeField(default=timezone.now)  # the partition key (monthly, orders 0016)
    settled_at = models.DateTimeField(null=True, blank=True)

    objects = CustodyHopQuerySet.as_manager()

    class Meta:
        ordering = ["code_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["code", "shipment"], name="custody_hop_once_per_shipment"),
            models.UniqueConstraint(fields=["code", "return_request"], name="custody_hop_once_per_return"),
            models.CheckConstraint(
                condition=(
                    Q(shipment__isnull=False, shipment_line__isnull=False)
                    & Q(return_request__isnull=True, return_line__isnull=True)
                )
                | (
                    Q(shipment__isnull=True, shipment_line__isnull=True)
                    & Q(return_request__isnull=False, return_line__isnull=False)
                ),
                name="custody_hop_shipment_or_return",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code_id}: {self.from_organization_id} → {self.to_organization_id} ({self.outcome})"


def attach_hops(shipments: list[Shipment]) -> None:
    """Give the lines of the shipments (lines prefetched) their hops as `prefetch_related("hops")` would, ordered by
    code, from one query bounded by the partition key: a shipment's hops carry its `created_at` as `shipped_at`."""
    lines = [line for shipment in shipments for line in shipment.lines.all()]
    by_line: dict[int, list[CustodyHop]] = {line.pk: [] for line in lines}
    if lines:
        hops = (
            CustodyHop.objects.filter(
                shipment_line__in=list(by_line), shipped_at__in=sorted({shipment.created_at for shipment in shipments})
            )
            .select_related("code__case")
            .order_by("code__code")
        )
        for hop in hops:
            by_line[hop.shipment_line_id].append(hop)
    for line in lines:
        queryset = CustodyHop.objects.filter(shipment_line=line)
        queryset._result_cache, queryset._prefetch_done = by_line[line.pk], True
        line.__dict__.setdefault("_prefetched_objects_cache", {})["hops"] = queryset


class CodeFormat(models.Model):
    """An enterprise-defined code (企业自定义码) format a supplier declares for a drug: digits, length, prefix."""

    # Indexed by code_format_unique (drug, organization, prefix, length), which leads with it: no index of its own.
    drug = models.ForeignKey("catalog.Drug", on_delete=models.PROTECT, related_name="+", db_index=False)
    organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    prefix = models.CharField(max_length=20)
    length = models.PositiveSmallIntegerField()
    declared_by = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["drug_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["drug", "organization", "prefix", "length"], name="code_format_unique"),
            models.CheckConstraint(condition=Q(length__gte=8, length__lte=40), name="code_format_length_range"),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.length} digits)"


class SuspectedDiversion(models.Model):
    """A refused attempt to ship a code the shipper does not hold: suspected diversion or counterfeit (回流/串货)."""

    code = models.CharField(max_length=CODE_LENGTH, db_index=True)
    kind = models.CharField(max_length=30, choices=DiversionKind.choices)
    attempted_order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+")
    attempted_by_organization = models.ForeignKey("accounts.Organization", on_delete=models.PROTECT, related_name="+")
    attempted_by = models.CharField(max_length=255)
    expected_holder = models.ForeignKey(
        "accounts.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    in_transit_shipment = models.ForeignKey(Shipment, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=20, choices=DiversionStatus.choices, default=DiversionStatus.OPEN)
    resolution_note = models.CharField(max_length=1000, blank=True)
    resolved_by = models.CharField(max_length=255, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "-id"], name="diversion_status_recent")]

    def __str__(self) -> str:
        return f"{self.kind} {self.code} on {self.attempted_order_id}"
