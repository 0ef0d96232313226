"""The catalogue's state machines (pharmex.transitions): drug reviews and offers."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from catalog.choices import DrugStatus, OfferStatus
from catalog.models import Drug, DrugStatusChange, Offer, OfferStatusChange
from pharmex.transitions import StateMachine, Transition

DRUG = StateMachine(
    model=Drug,
    object_type="drug",
    noun=_("a drug"),
    transitions={
        "approve": Transition(frozenset({DrugStatus.PENDING_REVIEW, DrugStatus.WITHDRAWN}), DrugStatus.ACTIVE),
        "withdraw": Transition(frozenset({DrugStatus.PENDING_REVIEW, DrugStatus.ACTIVE}), DrugStatus.WITHDRAWN),
    },
    history_model=DrugStatusChange,
    history_field="drug",
    organization_of=lambda drug, _action: drug.proposed_by_id,
    timestamps={DrugStatus.ACTIVE: "reviewed_at", DrugStatus.WITHDRAWN: "reviewed_at"},
)

OFFER = StateMachine(
    model=Offer,
    object_type="offer",
    noun=_("an offer"),
    transitions={
        # The supplier's own switches (PATCH status) …
        "pause": Transition(frozenset({OfferStatus.ACTIVE}), OfferStatus.PAUSED),
        "activate": Transition(frozenset({OfferStatus.PAUSED}), OfferStatus.ACTIVE),
        # … and platform staff's, which only staff lift; a lifted offer comes back paused.
        "suspend": Transition(frozenset({OfferStatus.ACTIVE, OfferStatus.PAUSED}), OfferStatus.SUSPENDED),
        "reinstate": Transition(frozenset({OfferStatus.SUSPENDED}), OfferStatus.PAUSED),
    },
    history_model=OfferStatusChange,
    history_field="offer",
    organization_of=lambda offer, _action: offer.supplier_id,
)
