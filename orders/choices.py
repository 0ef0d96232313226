from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    PLACED = "placed", _("Placed")  # buyer submitted; stock reserved; awaiting the supplier
    CONFIRMED = "confirmed", _("Confirmed")  # supplier accepted; must ship within ORDER_SHIP_DEADLINE
    SHIPPED = "shipped", _("Shipped")  # goods on the way; short quantities already back in stock
    RECEIVED = "received", _("Received")  # terminal: buyer checked the goods in (入库验收); owes the accepted value
    REJECTED = "rejected", _("Rejected")  # terminal: supplier declined; reservation released
    CANCELLED = "cancelled", _("Cancelled")  # terminal: buyer withdrew before confirmation; reservation released
    EXPIRED = "expired", _("Expired")  # terminal: not confirmed within ORDER_CONFIRM_TIMEOUT; released


class Side(models.TextChoices):
    BUYER = "buyer"
    SUPPLIER = "supplier"
    SYSTEM = "system"


# action -> (states it may start from, state it leads to, who may take it)
ORDER_TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "confirm": (frozenset({OrderStatus.PLACED}), OrderStatus.CONFIRMED, Side.SUPPLIER),
    "reject": (frozenset({OrderStatus.PLACED}), OrderStatus.REJECTED, Side.SUPPLIER),
    "cancel": (frozenset({OrderStatus.PLACED}), OrderStatus.CANCELLED, Side.BUYER),
    "expire": (frozenset({OrderStatus.PLACED}), OrderStatus.EXPIRED, Side.SYSTEM),
    "ship": (frozenset({OrderStatus.CONFIRMED}), OrderStatus.SHIPPED, Side.SUPPLIER),
    "receive": (frozenset({OrderStatus.SHIPPED}), OrderStatus.RECEIVED, Side.BUYER),
    "auto_receive": (frozenset({OrderStatus.SHIPPED}), OrderStatus.RECEIVED, Side.SYSTEM),
}
RELEASING_ACTIONS = frozenset({"reject", "cancel", "expire"})


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
