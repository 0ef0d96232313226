from django.utils.translation import gettext_lazy as _

from pharmex.errors import DomainError


class OrderNotAllowed(DomainError):
    """One or more lines fail the compliance gate; `errors` lists every reason with its line."""

    code = "order_not_allowed"
    problem = "order-not-allowed"
    title = _("The order breaks one or more trading rules")


class StepNotAllowed(DomainError):
    """A step after placement refused by the rules checked again at it (SPEC §3): the supplier may not trade any
    more, the order is held, the buyer's licence scope does not cover the goods. `errors` lists every reason; the
    order waits, unchanged."""

    code = "step_not_allowed"
    problem = "step-not-allowed"
    title = _("The trading rules refuse this step now; the order waits")


class OrderNotHeld(DomainError):
    code = "order_not_held"
    problem = "order-not-held"
    title = _("The order is not held: there is no hold to decide on")


class InsufficientStock(DomainError):
    code = "insufficient_stock"
    problem = "insufficient-stock"
    title = _("Not enough stock")


class ShipmentInvalid(DomainError):
    code = "shipment_invalid"
    problem = "shipment-invalid"
    title = _("The shipment breaks one or more shipping rules")
    http_status = 400


class DuplicateTraceCode(DomainError):
    code = "duplicate_trace_code"
    problem = "duplicate-trace-code"
    title = _("A traceability code was already shipped: flagged as suspected counterfeit or diversion")


class RecalledLot(DomainError):
    code = "recalled_lot"
    problem = "recalled-lot"
    title = _("This lot is recalled and cannot be shipped")


class ReceiptInvalid(DomainError):
    code = "receipt_invalid"
    problem = "receipt-invalid"
    title = _("The receipt does not match the shipment")
    http_status = 400
