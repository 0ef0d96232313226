"""Invoices as records (数电发票) and red-letter confirmation forms (红字发票信息确认单), SPEC §5 "Invoices"."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from pharmex.transitions import Transition


class InvoiceKind(models.TextChoices):
    SPECIAL = "special", _("Special VAT invoice (专票)")
    ORDINARY = "ordinary", _("Ordinary VAT invoice (普票)")


class RedLetterReason(models.TextChoices):
    REJECTION = "rejection", _("Goods rejected at receipt")
    RETURN = "return", _("Goods returned and credited")


class RedLetterStatus(models.TextChoices):
    RAISED = "raised", _("Raised")  # the supplier raised the form; the buyer confirms
    CONFIRMED = "confirmed", _("Confirmed")  # the buyer confirmed it (it had deducted the blue invoice's input tax)
    AUTO_CONFIRMED = "auto_confirmed", _("Confirmed automatically")  # the buyer had not deducted the blue invoice
    RED_ISSUED = "red_issued", _("Red invoice issued")  # terminal: the supplier recorded the red invoice


_CONFIRMED = frozenset({RedLetterStatus.CONFIRMED, RedLetterStatus.AUTO_CONFIRMED})
RED_LETTER_TRANSITIONS: dict[str, Transition] = {
    "confirm": Transition(frozenset({RedLetterStatus.RAISED}), RedLetterStatus.CONFIRMED),
    "auto_confirm": Transition(frozenset({RedLetterStatus.RAISED}), RedLetterStatus.AUTO_CONFIRMED),
    "issue_red": Transition(_CONFIRMED, RedLetterStatus.RED_ISSUED),
}
