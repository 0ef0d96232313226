"""Every write of the orders app (STYLE G5)."""

from orders.services.amendment import order_amend
from orders.services.code_formats import code_format_declare
from orders.services.custody import diversion_resolve
from orders.services.holds import order_hold_cancel, order_hold_release
from orders.services.lifecycle import (
    LineDecision,
    order_cancel,
    order_confirm,
    order_expire_due,
    order_flag_overdue,
    order_reject,
)
from orders.services.placement import checkout_place, checkout_preview, order_place
from orders.services.proposals import LineProposal, order_answer_proposal, order_propose
from orders.services.recalls import recall_acknowledge, recall_issue
from orders.services.receiving import order_auto_receive_due, order_receive, shipment_receive
from orders.services.shipping import order_close_rest, order_ship, shipment_record_temperatures

__all__ = [
    "LineDecision",
    "LineProposal",
    "checkout_place",
    "checkout_preview",
    "code_format_declare",
    "diversion_resolve",
    "order_amend",
    "order_answer_proposal",
    "order_auto_receive_due",
    "order_cancel",
    "order_close_rest",
    "order_confirm",
    "order_expire_due",
    "order_flag_overdue",
    "order_hold_cancel",
    "order_hold_release",
    "order_place",
    "order_propose",
    "order_receive",
    "order_reject",
    "order_ship",
    "recall_acknowledge",
    "recall_issue",
    "shipment_receive",
    "shipment_record_temperatures",
]
