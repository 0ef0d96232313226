from django.db import models
from django.utils.translation import gettext_lazy as _

from pharmex.transitions import Transition


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("Placed")  # buyer submitted; stock reserved; awaiting the supplier
    CONFIRMED = "confirmed", _("Confirmed")  # supplier accepted; must ship within ORDER_SHIP_DEADLINE
    SHIPPED = "shipped", _("Shipped")  # goods on the way; short quantities already back in stock
    RECEIVED = "received", _("Received")  # terminal: buyer checked the goods in (入库验收); owes the accepted value
    REJECTED = "rejected", _("Rejected")  # terminal: supplier declined; reservation released
    CANCELLED = "cancelled", _("Cancelled")  # terminal: buyer withdrew before confirmation; reservation released
    EXPIRED = "expired", _("Expired")  # terminal: not confirmed within ORDER_CONFIRM_TIMEOUT; released


# Orders still under way: a drug leaving the market holds them (SPEC §4).
OPEN_ORDER_STATUSES = frozenset({OrderStatus.PLACED, OrderStatus.CONFIRMED})


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


ORDER_TRANSITIONS: dict[str, Transition] = {
    "confirm": Transition(frozenset({OrderStatus.PLACED}), OrderStatus.CONFIRMED),
    "reject": Transition(frozenset({OrderStatus.PLACED}), OrderStatus.REJECTED),
    "cancel": Transition(frozenset({OrderStatus.PLACED}), OrderStatus.CANCELLED),
    "expire": Transition(frozenset({OrderStatus.PLACED}), OrderStatus.EXPIRED),
    "ship": Transition(frozenset({OrderStatus.CONFIRMED}), OrderStatus.SHIPPED),
    "receive": Transition(frozenset({OrderStatus.SHIPPED}), OrderStatus.RECEIVED),
    "auto_receive": Transition(frozenset({OrderStatus.SHIPPED}), OrderStatus.RECEIVED),
    # Not shipped by ORDER_SHIP_DEADLINE: the order stays confirmed, flagged and announced once.
    "flag_overdue": Transition(frozenset({OrderStatus.CONFIRMED}), OrderStatus.CONFIRMED, audit_action="order.overdue"),
    # An admin's decision on an order held because its drug left the market.
    "cancel_held": Transition(frozenset(OPEN_ORDER_STATUSES), OrderStatus.CANCELLED),
}
# Who may take each action: the order's supplier, its buyer, or the platform's own jobs.
ORDER_ACTION_SIDE: dict[str, str] = {
    "confirm": Side.SUPPLIER,
    "reject": Side.SUPPLIER,
    "cancel": Side.BUYER,
    "expire": Side.SYSTEM,
    "ship": Side.SUPPLIER,
    "receive": Side.BUYER,
    "auto_receive": Side.SYSTEM,
    "flag_overdue": Side.SYSTEM,
    "cancel_held": Side.PLATFORM,
}
RELEASING_ACTIONS = frozenset({"reject", "cancel", "expire", "cancel_held"})


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
