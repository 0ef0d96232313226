from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from orders.choices import (
    IN_FLIGHT_ORDER_STATUSES,
    UNSHIPPED_ORDER_STATUSES,
    HoldStatus,
    LineConfirmation,
    OrderStatus,
    RejectionReason,
)
from pharmex.models import TransitionRecord

MONEY = {"max_digits": 18, "decimal_places": 2}

# Never received, or nothing accepted at receipt: the ledger books every other order (settlements.services.receipts)
# and keeps it for ever.
NEVER_BOOKED = Q(accepted_gross__isnull=True) | Q(accepted_gross=0)
# Confirmed and not yet flagged overdue (orders.services.order_flag_overdue): an order leaves it when it ships or is
# flagged, while a confirmed order that never ships stays confirmed (and flagged) for good.
NOT_YET_OVERDUE = Q(status=OrderStatus.CONFIRMED, overdue_at__isnull=True)
IN_FLIGHT = Q(status__in=sorted(IN_FLIGHT_ORDER_STATUSES))
# Flagged overdue and still to ship: the desk's queue of overdue shipments (desk.queues), counted on every admin page.
OVERDUE_UNSHIPPED = Q(status__in=UNSHIPPED_ORDER_STATUSES, overdue_at__isnull=False)


class OrderQuerySet(models.QuerySet):
    def awaiting_confirmation_past(self, moment) -> OrderQuerySet:
        return self.filter(status=OrderStatus.PLACED, expires_at__lte=moment)

    def never_booked(self) -> OrderQuerySet:
        return self.filter(NEVER_BOOKED)

    def unshipped_past(self, moment) -> OrderQuerySet:
        """Confirmed orders not shipped by their deadline and not flagged for it yet, through `order_ship_due`."""
        return self.filter(NOT_YET_OVERDUE, ship_by__lte=moment)


# PX + yyyymmdd + the sequence, in at least eight digits (orders.sql), within the column's 24 characters.
NUMBER_PATTERN = r"PX\d{16,22}"


class Order(models.Model):
    """One buyer's order with one supplier; money, drug and party facts are snapshots taken at placement (the GSP
    sales record, SPEC §5): later master-data changes never change an order."""

    number = models.CharField(max_length=24)  # PX + yyyymmdd + sequence; unique by order_number_unique
    # Indexed by order_buyer_recent and order_supplier_recent, which lead with them: no index of their own.
    buyer = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="orders_placed", db_index=False
    )
    supplier = models.ForeignKey(
        "accounts.Organization", on_delete=models.PROTECT, related_name="orders_received", db_index=False
    )
    buyer_name = models.CharField(max_length=200, blank=True)
    buyer_license_number = models.CharField(max_length=64, blank=True)  # its trading licence valid at placement
    supplier_name = models.CharField(max_length=200, blank=True)
    supplier_license_number = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PLACED)
    # Held because a drug of the order left the market (orders.transitions.ORDER_HOLD): not confirmed or shipped
    # until an admin releases or cancels it.
    hold_status = models.CharField(max_length=20, choices=HoldStatus.choices, default=HoldStatus.NONE)
    hold_reason = models.CharField(max_length=30, blank=True)  # the reason code: network_sale_banned, …
    hold_note = models.CharField(max_length=500, blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    hold_decided_at = models.DateTimeField(null=True, blank=True)
    checkout_id = models.UUIDField(null=True, blank=True, db_index=True)
    placed_by = models.CharField(max_length=255)  # the actor's audit label
    note = models.CharField(max_length=500, blank=True)
    currency = models.CharField(max_length=3, default="CNY")
    total_gross = models.DecimalField(**MONEY)
    total_tax = models.DecimalField(**MONEY)
    accepted_gross = models.DecimalField(**MONEY, null=True, blank=True)  # what the buyer owes after receipt
    buyer_province = models.CharField(max_length=6)
    placed_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    ship_by = models.DateTimeField(null=True, blank=True)
    overdue_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)  # rejected, cancelled or expired
    updated_at = models.DateTimeField(auto_now=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(buyer=F("supplier")), name="order_buyer_is_not_supplier"),
            models.CheckConstraint(condition=Q(total_gross__gte=0, total_tax__gte=0), name="order_totals_positive"),
            # A constraint, not unique=True, which also builds a `LIKE 'x%'` index no query here asks for.
            models.UniqueConstraint(fields=["number"], name="order_number_unique"),
        ]
        indexes = [
            models.Index(fields=["buyer", "-id"], name="order_buyer_recent"),
            models.Index(fields=["supplier", "-id"], name="order_supplier_recent"),
            # A party's list of its orders in one of these states (`?status=placed`: the supplier's orders to
            # confirm). Without them the page reads either the party's whole history (along the indexes above, when
            # it has fewer such orders than a page) or every such order of the platform (order_status_expiry).
            models.Index(fields=["buyer", "-id"], name="order_buyer_in_flight", condition=IN_FLIGHT),
            models.Index(fields=["supplier", "-id"], name="order_supplier_in_flight", condition=IN_FLIGHT),
            models.Index(fields=["status", "expires_at"], name="order_status_expiry"),
            models.Index(fields=["held_at"], name="order_held", condition=Q(hold_status=HoldStatus.HELD)),
            # The dashboard's days of orders (desk/dashboard.py). Not a BRIN index, though orders are inserted in
            # placed_at order: each status change writes the row's new version wherever a page has room, and on the
            # growth bench's year of orders a BRIN index matched 9,088 of 10,100 pages for one month (BENCHMARKS.md).
            models.Index(fields=["placed_at"], name="order_placed_at"),
            # The records purge's candidates (records.retention): only these can ever be deleted, and once the
            # purge runs they are the last five years' unsold orders, however long the history is.
            models.Index(fields=["placed_at"], name="order_never_booked", condition=NEVER_BOOKED),
            # The overdue job's candidates, every 15 minutes: not every confirmed order, which order_status_expiry
            # would read, flagged ones included.
            models.Index(fields=["ship_by"], name="order_ship_due", condition=NOT_YET_OVERDUE),
            # Not every order confirmed or partly shipped, which order_status_expiry would read for the queue.
            models.Index(fields=["overdue_at"], name="order_overdue_unshipped", condition=OVERDUE_UNSHIPPED),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def held(self) -> bool:
        return self.hold_status == HoldStatus.HELD

    @property
    def buyer_party(self) -> dict:
        return {"id": self.buyer_id, "legal_name": self.buyer_name, "license_number": self.buyer_license_number}

    @property
    def supplier_party(self) -> dict:
        return {
            "id": self.supplier_id,
            "legal_name": self.supplier_name,
            "license_number": self.supplier_license_number,
        }

    @property
    def hold_view(self) -> dict:
        return {
            "status": self.hold_status,
            "reason": self.hold_reason,
            "note": self.hold_note,
            "held_at": self.held_at,
            "decided_at": self.hold_decided_at,
        }


class OrderLine(models.Model):
    """A line with its snapshot and quantity buckets (SPEC §5), which always add up:
    shipped + closed ≤ ordered (equal once the order is shipped), accepted + rejected ≤ shipped (equal once every
    shipment is received). Closed units were never shipped and went back to stock."""

    # Indexed by order_line_unique_no (order, line_no), which leads with it: no index of its own.
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", db_index=False)
    line_no = models.PositiveSmallIntegerField()
    offer = models.ForeignKey("catalog.Offer", on_delete=models.PROTECT, related_name="+")
    drug = models.ForeignKey("catalog.Drug", on_delete=models.PROTECT, related_name="+")
    # The GSP sales record (药品经营质量管理规范 第92条) as it was at placement.
    drug_name = models.CharField(max_length=200)  # 通用名称
    brand_name = models.CharField(max_length=200, blank=True)
    dosage_form = models.CharField(max_length=30, blank=True)  # 剂型
    specification = models.CharField(max_length=300)
    package = models.CharField(max_length=100)
    manufacturer_name = models.CharField(max_length=300, blank=True)  # 生产企业
    mah_name = models.CharField(max_length=200, blank=True)  # 上市许可持有人
    approval_number = models.CharField(max_length=40, blank=True)
    sale_unit = models.CharField(max_length=10)
    unit_price = models.DecimalField(**MONEY)
    vat_rate = models.DecimalField(max_digits=4, decimal_places=2)
    quantity = models.PositiveIntegerField()
    line_gross = models.DecimalField(**MONEY)
    line_tax = models.DecimalField(**MONEY)
    shipped_quantity = models.PositiveIntegerField(default=0)
    accepted_quantity = models.PositiveIntegerField(default=0)
    rejected_quantity = models.PositiveIntegerField(default=0)
    closed_quantity = models.PositiveIntegerField(default=0)
    rejection_reason = models.CharField(max_length=30, choices=RejectionReason.choices, blank=True)
    # Hainan customs (SPEC §4a) at placement: the offer's status; whether the goods cross the second line to a
    # mainland buyer (the order ships only with its SecondLineDeclaration); the Lecheng approval it drew on.
    customs_status = models.CharField(max_length=20, blank=True, default="")
    second_line = models.BooleanField(default=False)
    lecheng_approval = models.ForeignKey(
        "catalog.LechengApproval", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The supplier's line-level confirmation (部分确认): `quantity` becomes what it accepted (0 for a rejected line
    # of a confirmed order), `requested_quantity` keeps what the buyer asked for; blank/null until confirmed.
    confirmation = models.CharField(max_length=10, choices=LineConfirmation.choices, blank=True)
    confirmation_reason = models.CharField(max_length=500, blank=True)
    requested_quantity = models.PositiveIntegerField(null=True, blank=True)
    # The supplier's open proposal for the line while placed (another quantity and/or a substitute offer of its
    # own), until the buyer accepts (an amendment) or declines it; null when there is none.
    proposed_quantity = models.PositiveIntegerField(null=True, blank=True)
    proposed_offer = models.ForeignKey(
        "catalog.Offer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposal_reason = models.CharField(max_length=500, blank=True)
    # Direct settlement (医保基金直接结算, SPEC §5a): the fund that pays this line instead of the buyer, as the 集采
    # contract said at placement; null: the buyer pays. The order's receivable is split by it at receipt.
    payer_fund = models.ForeignKey(
        "accounts.InsuranceFund", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["order_id", "line_no"]
        constraints = [
            models.UniqueConstraint(fields=["order", "line_no"], name="order_line_unique_no"),
            models.CheckConstraint(
                condition=Q(quantity__gt=0) | Q(confirmation=LineConfirmation.REJECTED),
                name="order_line_quantity_positive",
            ),
            models.CheckConstraint(
                condition=Q(shipped_quantity__lte=F("quantity") - F("closed_quantity")), name="order_line_shipped_le"
            ),
            models.CheckConstraint(
                condition=Q(accepted_quantity__lte=F("shipped_quantity") - F("rejected_quantity")),
                name="order_line_received_le_shipped",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}#{self.line_no} {self.drug_name} × {self.quantity}"


def attach_lines(order: Order, lines: list[OrderLine]) -> None:
    """Give an order its lines as `prefetch_related("lines")` would, without a query (the order was just written):
    a queryset holding them, so `order.lines.all()` reads them and `.get()`/`.filter()` still query."""
    queryset = OrderLine.objects.filter(order=order)
    queryset._result_cache, queryset._prefetch_done = list(lines), True
    order._prefetched_objects_cache = {"lines": queryset}


class OrderEvent(TransitionRecord):
    """One transition of an order: from, to, actor, time, note (and what else happened, in `data`)."""

    # Indexed by order_event_order, which leads with it: no index of its own.
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events", db_index=False)

    class Meta(TransitionRecord.Meta):
        indexes = [models.Index(fields=["order", "id"], name="order_event_order")]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status or '-'} → {self.to_status}"
