from orders.models.customs import SecondLineDeclaration
from orders.models.invoices import Invoice, InvoiceFile, InvoiceShipment, RedLetterEvent, RedLetterForm
from orders.models.orders import Order, OrderEvent, OrderLine, attach_lines
from orders.models.recalls import Recall, RecallAcknowledgement
from orders.models.returns import Return, ReturnEvent, ReturnLine
from orders.models.shipments import Shipment, ShipmentEvent, ShipmentLine, TemperatureRecord
from orders.models.trace import CodeFormat, CustodyHop, SuspectedDiversion, TraceCode

__all__ = [
    "CodeFormat",
    "CustodyHop",
    "Invoice",
    "InvoiceFile",
    "InvoiceShipment",
    "Order",
    "OrderEvent",
    "OrderLine",
    "Recall",
    "RecallAcknowledgement",
    "RedLetterEvent",
    "RedLetterForm",
    "Return",
    "ReturnEvent",
    "ReturnLine",
    "SecondLineDeclaration",
    "Shipment",
    "ShipmentEvent",
    "ShipmentLine",
    "SuspectedDiversion",
    "TemperatureRecord",
    "TraceCode",
    "attach_lines",
]
