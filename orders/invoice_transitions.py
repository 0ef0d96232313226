"""The red-letter confirmation form's state machine (pharmex.transitions)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from orders.invoice_choices import RED_LETTER_TRANSITIONS, RedLetterStatus
from orders.models import RedLetterEvent, RedLetterForm
from pharmex.transitions import StateMachine

RED_LETTER = StateMachine(
    model=RedLetterForm,
    object_type="red_letter_form",
    noun=_("a red-letter confirmation form"),
    transitions=RED_LETTER_TRANSITIONS,
    history_model=RedLetterEvent,
    history_field="form",
    organization_of=lambda form, action: form.buyer_id if action == "confirm" else form.supplier_id,
    timestamps={
        RedLetterStatus.CONFIRMED: "confirmed_at",
        RedLetterStatus.AUTO_CONFIRMED: "confirmed_at",
        RedLetterStatus.RED_ISSUED: "red_issued_at",
    },
)
