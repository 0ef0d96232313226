"""The order and shipment state machines (pharmex.transitions); the tables themselves are in orders.choices."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from orders.choices import (
    ORDER_ACTION_SIDE,
    ORDER_TRANSITIONS,
    SHIPMENT_TRANSITIONS,
    HoldStatus,
    OrderStatus,
    ShipmentStatus,
    Side,
)
from orders.models import Order, OrderEvent, Shipment, ShipmentEvent
from pharmex.transitions import StateMachine, Transition

ORDER = StateMachine(
    model=Order,
    object_type="order",
    noun=_("an order"),
    transitions=ORDER_TRANSITIONS,
    history_model=OrderEvent,
    history_field="order",
    # The audit record belongs to the side that acted (the buyer for its own and the system's actions).
    organization_of=lambda order, action: (
        order.supplier_id if ORDER_ACTION_SIDE[action] == Side.SUPPLIER else order.buyer_id
    ),
    timestamps={
        OrderStatus.CONFIRMED: "confirmed_at",
        OrderStatus.SHIPPED: "shipped_at",
        OrderStatus.RECEIVED: "received_at",
        OrderStatus.REJECTED: "closed_at",
        OrderStatus.CANCELLED: "closed_at",
        OrderStatus.EXPIRED: "closed_at",
    },
)

SHIPMENT = StateMachine(
    model=Shipment,
    object_type="shipment",
    noun=_("a shipment"),
    transitions=SHIPMENT_TRANSITIONS,
    history_model=ShipmentEvent,
    history_field="shipment",
    organization_of=lambda shipment, action: shipment.buyer_id,  # receipt is the buyer's act (or for the buyer)
    timestamps={ShipmentStatus.RECEIVED: "received_at"},
)

# The hold of an open order whose drug left the market (SPEC §4), beside its status: the history goes to the same
# order events (action `hold` or `release_hold`, from and to the hold status). An admin's cancellation is the
# order machine's `cancel_held`, which also ends the hold.
ORDER_HOLD = StateMachine(
    model=Order,
    object_type="order",
    noun=_("an order's hold"),
    transitions={
        "hold": Transition(
            frozenset({HoldStatus.NONE, HoldStatus.RELEASED}), HoldStatus.HELD, audit_action="order.held"
        ),
        "release_hold": Transition(
            frozenset({HoldStatus.HELD}), HoldStatus.RELEASED, audit_action="order.hold_released"
        ),
    },
    history_model=OrderEvent,
    history_field="order",
    organization_of=lambda order, _action: order.supplier_id,
    timestamps={HoldStatus.HELD: "held_at", HoldStatus.RELEASED: "hold_decided_at"},
    status_field="hold_status",
)
