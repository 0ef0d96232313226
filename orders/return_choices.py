"""Returns (退货, SPEC §5): reasons, states and the one transition table."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from pharmex.transitions import Transition


class ReturnReason(models.TextChoices):
    QUALITY = "quality", _("Quality problem")
    NEAR_EXPIRY = "near_expiry", _("Near expiry")
    DAMAGED = "damaged", _("Damaged")
    WRONG_ITEM = "wrong_item", _("Wrong item")
    RECALL = "recall", _("Recall")  # no return window
    OTHER = "other", _("Other")


class ReturnRejectionReason(models.TextChoices):
    """Why the supplier does not accept returned units at its own goods-in check."""

    NOT_AS_DESCRIBED = "not_as_described", _("Not as described in the return")
    DAMAGED_IN_RETURN = "damaged_in_return", _("Damaged on the way back")
    WRONG_ITEM = "wrong_item", _("Wrong item")
    MISSING = "missing", _("Missing from the return shipment")
    OTHER = "other", _("Other")


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")  # the buyer asked; the units are claimed
    APPROVED = "approved", _("Approved")  # the supplier agreed to every unit asked for
    PARTIALLY_APPROVED = "partially_approved", _("Partially approved")  # agreed to some units; the rest freed
    REFUSED = "refused", _("Refused")  # terminal: the supplier said no, with a reason; the units are freed
    CANCELLED = "cancelled", _("Cancelled")  # terminal: the buyer withdrew before the supplier decided
    SHIPPED_BACK = "shipped_back", _("Shipped back")  # on its way back: carrier, tracking, codes
    RECEIVED = "received", _("Received")  # the supplier checked the goods in; custody of the codes went back
    CREDITED = "credited", _("Credited")  # terminal: the credit note is posted (SPEC §6)


_APPROVED = frozenset({ReturnStatus.APPROVED, ReturnStatus.PARTIALLY_APPROVED})
RETURN_TRANSITIONS: dict[str, Transition] = {
    "approve": Transition(frozenset({ReturnStatus.REQUESTED}), ReturnStatus.APPROVED),
    "approve_part": Transition(frozenset({ReturnStatus.REQUESTED}), ReturnStatus.PARTIALLY_APPROVED),
    "refuse": Transition(frozenset({ReturnStatus.REQUESTED}), ReturnStatus.REFUSED),
    "cancel": Transition(frozenset({ReturnStatus.REQUESTED}), ReturnStatus.CANCELLED),
    "ship_back": Transition(_APPROVED, ReturnStatus.SHIPPED_BACK),
    "receive": Transition(frozenset({ReturnStatus.SHIPPED_BACK}), ReturnStatus.RECEIVED),
    "credit": Transition(frozenset({ReturnStatus.RECEIVED}), ReturnStatus.CREDITED),
}
# Who takes each step: the buyer, the supplier, or the platform (the credit follows the receipt).
RETURN_ACTION_SIDE: dict[str, str] = {
    "approve": "supplier",
    "approve_part": "supplier",
    "refuse": "supplier",
    "cancel": "buyer",
    "ship_back": "buyer",
    "receive": "supplier",
    "credit": "system",
}
