"""The procurement app's state machines (pharmex.transitions)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from pharmex.transitions import StateMachine, Transition
from procurement.choices import DesignationStatus, PlanStatus, QuoteStatus, SoleSellerStatus
from procurement.models import (
    DeliveryDesignation,
    DeliveryDesignationChange,
    ProcurementPlan,
    ProcurementPlanChange,
    Quote,
    QuoteChange,
    SoleSeller,
    SoleSellerChange,
)

DESIGNATION = StateMachine(
    model=DeliveryDesignation,
    object_type="delivery_designation",
    noun=_("a delivery designation"),
    transitions={
        "accept": Transition(frozenset({DesignationStatus.PROPOSED}), DesignationStatus.ACCEPTED),
        "decline": Transition(frozenset({DesignationStatus.PROPOSED}), DesignationStatus.DECLINED),
        "revoke": Transition(
            frozenset({DesignationStatus.PROPOSED, DesignationStatus.ACCEPTED}), DesignationStatus.REVOKED
        ),
    },
    history_model=DeliveryDesignationChange,
    history_field="designation",
    organization_of=lambda d, action: d.distributor_id if action in ("accept", "decline") else d.manufacturer_id,
    timestamps={DesignationStatus.ACCEPTED: "accepted_at", DesignationStatus.REVOKED: "revoked_at"},
)

QUOTE = StateMachine(
    model=Quote,
    object_type="quote",
    noun=_("a quote"),
    transitions={
        "answer": Transition(frozenset({QuoteStatus.REQUESTED}), QuoteStatus.ANSWERED),
        "decline": Transition(frozenset({QuoteStatus.REQUESTED}), QuoteStatus.DECLINED),
        "accept": Transition(frozenset({QuoteStatus.ANSWERED}), QuoteStatus.ACCEPTED),
    },
    history_model=QuoteChange,
    history_field="quote",
    organization_of=lambda q, action: q.request.buyer_id if action == "accept" else q.supplier_id,
    timestamps={QuoteStatus.ANSWERED: "answered_at", QuoteStatus.ACCEPTED: "accepted_at"},
)

PLAN = StateMachine(
    model=ProcurementPlan,
    object_type="procurement_plan",
    noun=_("a procurement plan"),
    transitions={"place": Transition(frozenset({PlanStatus.CHECKED}), PlanStatus.PLACED)},
    history_model=ProcurementPlanChange,
    history_field="plan",
    organization_of=lambda plan, action: plan.buyer_id,
    timestamps={PlanStatus.PLACED: "placed_at"},
)


SOLE_SELLER = StateMachine(
    model=SoleSeller,
    object_type="sole_seller",
    noun=_("a sole sales company"),
    transitions={
        "verify": Transition(frozenset({SoleSellerStatus.PENDING}), SoleSellerStatus.VERIFIED),
        "reject": Transition(frozenset({SoleSellerStatus.PENDING}), SoleSellerStatus.REJECTED),
        "revoke": Transition(
            frozenset({SoleSellerStatus.PENDING, SoleSellerStatus.VERIFIED}), SoleSellerStatus.REVOKED
        ),
    },
    history_model=SoleSellerChange,
    history_field="sole_seller",
    organization_of=lambda s, action: s.manufacturer_id,
    timestamps={SoleSellerStatus.VERIFIED: "verified_at", SoleSellerStatus.REVOKED: "revoked_at"},
)
