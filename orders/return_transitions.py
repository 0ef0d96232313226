"""The return state machine (pharmex.transitions); its table is in orders.return_choices."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from orders.models import Return, ReturnEvent
from orders.return_choices import RETURN_ACTION_SIDE, RETURN_TRANSITIONS, ReturnStatus
from pharmex.transitions import StateMachine

RETURN = StateMachine(
    model=Return,
    object_type="return",
    noun=_("a return"),
    transitions=RETURN_TRANSITIONS,
    history_model=ReturnEvent,
    history_field="return_request",
    organization_of=lambda ret, action: ret.supplier_id if RETURN_ACTION_SIDE[action] == "supplier" else ret.buyer_id,
    timestamps={
        ReturnStatus.APPROVED: "decided_at",
        ReturnStatus.PARTIALLY_APPROVED: "decided_at",
        ReturnStatus.REFUSED: "closed_at",
        ReturnStatus.CANCELLED: "closed_at",
        ReturnStatus.SHIPPED_BACK: "shipped_at",
        ReturnStatus.RECEIVED: "received_at",
        ReturnStatus.CREDITED: "credited_at",
    },
)
