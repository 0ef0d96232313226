"""Every write of the orders app (STYLE G5)."""

from orders.services.fulfilment import order_auto_receive_due, order_receive, order_ship
from orders.services.holds import order_hold_cancel, order_hold_release
from orders.services.lifecycle import (
    order_cancel,
    order_confirm,
    order_expire_due,
    order_flag_overdue,
    order_reject,
)
from orders.services.placement import checkout_place, checkout_preview, order_place
from orders.services.recalls import recall_issue

__all__ = [
    "checkout_place",
    "checkout_preview",
    "order_auto_receive_due",
    "order_cancel",
    "order_confirm",
    "order_expire_due",
    "order_flag_overdue",
    "order_hold_cancel",
    "order_hold_release",
    "order_place",
    "order_receive",
    "order_reject",
    "order_ship",
    "recall_issue",
]
