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


class CodesNotShippable(DomainError):
    """Codes the shipper does not hold, already in transit, or twice in one shipment (custody, SPEC §5).

    The code and problem type keep their v1 names from when a code could ship only once on the platform.
    """

    code = "duplicate_trace_code"
    problem = "duplicate-trace-code"
    title = _("Traceability codes the shipper may not ship: flagged as suspected diversion or counterfeit")


class RecalledLot(DomainError):
    code = "recalled_lot"
    problem = "recalled-lot"
    title = _("This lot is recalled and cannot be shipped")


class ReceiptInvalid(DomainError):
    code = "receipt_invalid"
    problem = "receipt-invalid"
    title = _("The receipt does not match the shipment")
    http_status = 400


class SeveralShipmentsInTransit(DomainError):
    code = "several_shipments_in_transit"
    problem = "several-shipments-in-transit"
    title = _("The order has several shipments in transit: receive each at /shipments/{id}/receive/")


class RecallNotAffected(DomainError):
    code = "recall_not_affected"
    problem = "recall-not-affected"
    title = _("Your organisation did not receive the recalled lots")


class RecallAlreadyAcknowledged(DomainError):
    code = "recall_already_acknowledged"
    problem = "recall-already-acknowledged"
    title = _("Your organisation has already acknowledged this recall")


class TemperatureRecordExists(DomainError):
    code = "temperature_record_exists"
    problem = "temperature-record-exists"
    title = _("The shipment already carries its temperature record; records are evidence and are not replaced")


class SecondLineNotNeeded(DomainError):
    """A second-line declaration for an order without zero-tariff goods leaving the island, or a second one."""

    code = "second_line_not_needed"
    problem = "second-line-not-needed"
    title = _("No second-line declaration is wanted for this order")
