from django.db import models
from django.utils.translation import gettext_lazy as _

from pharmex.transitions import Transition


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("Placed")  # buyer submitted; stock reserved; awaiting the supplier
    CONFIRMED = "confirmed", _("Confirmed")  # supplier accepted; must ship within ORDER_SHIP_DEADLINE
    PARTIALLY_SHIPPED = "partially_shipped", _("Partially shipped")  # some shipped; the rest to ship or close
    SHIPPED = "shipped", _("Shipped")  # every line shipped in full or its rest closed (back in stock)
    RECEIVED = "received", _("Received")  # terminal: every shipment checked in (入库验收); owes the accepted value
    REJECTED = "rejected", _("Rejected")  # terminal: supplier declined; reservation released
    CANCELLED = "cancelled", _("Cancelled")  # terminal: buyer withdrew before confirmation; reservation released
    EXPIRED = "expired", _("Expired")  # terminal: not confirmed within ORDER_CONFIRM_TIMEOUT; released


# Orders still under way, with something left to ship: a drug leaving the market holds them (SPEC §4).
OPEN_ORDER_STATUSES = frozenset({OrderStatus.PLACED, OrderStatus.CONFIRMED, OrderStatus.PARTIALLY_SHIPPED})
# Orders on their way, the ones a party's queues list (to confirm, to ship, to receive): a few weeks' worth at any
# time, however long the history (the partial indexes order_buyer_in_flight and order_supplier_in_flight).
IN_FLIGHT_ORDER_STATUSES = OPEN_ORDER_STATUSES | {OrderStatus.SHIPPED}
# Where an order flagged overdue is still to ship: the desk's queue of overdue shipments (desk.queues) and its index.
UNSHIPPED_ORDER_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.PARTIALLY_SHIPPED)


class HoldStatus(models.TextChoices):
    """An open order held because its drug left the market (banned class, expired registration), until an admin
    decides: release (it goes on) or cancel (its reservation comes back)."""

    NONE = "none", _("Not held")
    HELD = "held", _("Held")  # neither confirmed nor shipped until an admin decides
    RELEASED = "released", _("Released")  # an admin let it go on
    CANCELLED = "cancelled", _("Cancelled")  # an admin cancelled the order


class Side(models.TextChoices):
    BUYER = "buyer"
    SUPPLIER = "supplier"
    SYSTEM = "system"
    PLATFORM = "platform"  # platform admins (and the platform's own jobs)


_SHIPPING = frozenset({OrderStatus.CONFIRMED, OrderStatus.PARTIALLY_SHIPPED})
ORDER_TRANSITIONS: dict[str, Transition] = {
    "confirm": Transition(frozenset({OrderStatus.PLACED}), OrderStatus.CONFIRMED),
    # The buyer changes a placed order (quantities, lines removed or added); it stays placed, re-gated.
    "amend": Transition(frozenset({OrderStatus.PLACED}), OrderStatus.PLACED, audit_action="order.amended"),
    # The supplier proposes another quantity or offer for some lines; the buyer accepts (an amendment) or declines.
    "propose": Transition(frozenset({OrderStatus.PLACED}), OrderStatus.PLACED, audit_action="order.proposal_made"),
    "accept_proposal": Transition(
        frozenset({OrderStatus.PLACED}), OrderStatus.PLACED, audit_action="order.proposal_accepted"
    ),
    "decline_proposal": Transition(
        frozenset({OrderStatus.PLACED}), OrderStatus.PLACED, audit_action="order.proposal_declined"
    ),
    "reject": Transition(frozenset({OrderStatus.PLACED}), OrderStatus.REJECTED),
    "cancel": Transition(frozenset({OrderStatus.PLACED}), OrderStatus.CANCELLED),
    "expire": Transition(frozenset({OrderStatus.PLACED}), OrderStatus.EXPIRED),
    # A shipment that leaves something to ship, and one that ships (or closes) everything left.
    "ship_part": Transition(_SHIPPING, OrderStatus.PARTIALLY_SHIPPED),
    "ship": Transition(_SHIPPING, OrderStatus.SHIPPED),
    # The supplier will not ship the rest: it goes back to stock and the buyer is told.
    "close_rest": Transition(frozenset({OrderStatus.PARTIALLY_SHIPPED}), OrderStatus.SHIPPED),
    # The last shipment of a shipped order was received (by the buyer or the auto-receive job).
    "complete": Transition(frozenset({OrderStatus.SHIPPED}), OrderStatus.RECEIVED),
    # Not shipped by ORDER_SHIP_DEADLINE: the order stays confirmed, flagged and announced once.
    "flag_overdue": Transition(frozenset({OrderStatus.CONFIRMED}), OrderStatus.CONFIRMED, audit_action="order.overdue"),
    # An admin's decision on an order held because its drug left the market: cancel it if nothing shipped yet,
    # else close what is left to ship (what did ship is received and paid for as usual).
    "cancel_held": Transition(frozenset({OrderStatus.PLACED, OrderStatus.CONFIRMED}), OrderStatus.CANCELLED),
    "close_held": Transition(frozenset({OrderStatus.PARTIALLY_SHIPPED}), OrderStatus.SHIPPED),
}
# Who may take each action: the order's supplier, its buyer, or the platform's own jobs.
ORDER_ACTION_SIDE: dict[str, str] = {
    "confirm": Side.SUPPLIER,
    "amend": Side.BUYER,
    "propose": Side.SUPPLIER,
    "accept_proposal": Side.BUYER,
    "decline_proposal": Side.BUYER,
    "reject": Side.SUPPLIER,
    "cancel": Side.BUYER,
    "expire": Side.SYSTEM,
    "ship_part": Side.SUPPLIER,
    "ship": Side.SUPPLIER,
    "close_rest": Side.SUPPLIER,
    "complete": Side.SYSTEM,  # follows from a shipment's receipt; the audit record names who received it
    "flag_overdue": Side.SYSTEM,
    "cancel_held": Side.PLATFORM,
    "close_held": Side.PLATFORM,
}
RELEASING_ACTIONS = frozenset({"reject", "cancel", "expire", "cancel_held"})


class LineConfirmation(models.TextChoices):
    """What the supplier did with a line when it confirmed the order (部分确认); blank until then."""

    FULL = "full", _("Confirmed in full")
    PARTIAL = "partial", _("Confirmed in part")  # a lower quantity; the rest went back to stock
    REJECTED = "rejected", _("Rejected")  # none of it; its stock went back


class RejectionReason(models.TextChoices):
    DAMAGED = "damaged", _("Damaged")
    WRONG_ITEM = "wrong_item", _("Wrong item")
    NEAR_EXPIRY = "near_expiry", _("Near expiry")
    TEMPERATURE_EXCURSION = "temperature_excursion", _("Temperature excursion")
    QUALITY = "quality", _("Quality problem")
    OTHER = "other", _("Other")


class RecallLevel(models.TextChoices):
    I = "I", _("Level I (一级召回)")  # noqa: E741  (the regulation's own name)
    II = "II", _("Level II (二级召回)")
    III = "III", _("Level III (三级召回)")


class ShipmentStatus(models.TextChoices):
    IN_TRANSIT = "in_transit", _("In transit")
    RECEIVED = "received", _("Received")  # checked in by the buyer (or automatically after AUTO_RECEIVE_DAYS)


SHIPMENT_TRANSITIONS: dict[str, Transition] = {
    "receive": Transition(frozenset({ShipmentStatus.IN_TRANSIT}), ShipmentStatus.RECEIVED),
    "auto_receive": Transition(frozenset({ShipmentStatus.IN_TRANSIT}), ShipmentStatus.RECEIVED),
}


class TemperatureFlag(models.TextChoices):
    RECORD_MISSING = "record_missing", _("Cold-chain goods shipped without a temperature record")
    EXCURSION = "temperature_excursion", _("A reading outside the drug's storage range")


class TraceCodeKind(models.TextChoices):
    NATIONAL = "national", _("码上放心 code (20 digits, starts with 8)")
    ENTERPRISE = "enterprise", _("Enterprise-defined code")
    GS1 = "gs1", _("GS1 code (GTIN + serial)")


class HopOutcome(models.TextChoices):
    IN_TRANSIT = "in_transit", _("In transit")
    ACCEPTED = "accepted", _("Accepted by the buyer")  # custody moved to the buyer
    REJECTED = "rejected", _("Rejected at receipt")  # custody stays with the shipper


class DiversionKind(models.TextChoices):
    HELD_BY_OTHER = "held_by_other", _("Held by another organisation")
    IN_TRANSIT = "in_transit", _("Already in transit")
    REPEATED = "repeated_in_shipment", _("Twice in one shipment")


class DiversionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CONFIRMED = "confirmed", _("Confirmed diversion or counterfeit")
    DISMISSED = "dismissed", _("Dismissed (explained)")
