"""The statement state machine (pharmex.transitions); the table itself is in settlements.choices."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pharmex.transitions import StateMachine
from settlements.choices import STATEMENT_TRANSITIONS, StatementStatus
from settlements.models import Statement, StatementEvent

STATEMENT = StateMachine(
    model=Statement,
    object_type="statement",
    noun=_("a statement"),
    transitions=STATEMENT_TRANSITIONS,
    history_model=StatementEvent,
    history_field="statement",
    organization_of=lambda statement, _action: statement.supplier_id,
    timestamps={
        StatementStatus.ISSUED: "issued_at",
        StatementStatus.APPROVED: "approved_at",
        StatementStatus.PAID: "paid_at",
        StatementStatus.RECONCILED: "reconciled_at",
    },
)
