from orders.models.customs import SecondLineDeclaration
from orders.models.orders import Order, OrderEvent, OrderLine, attach_lines
from orders.models.recalls import Recall, RecallAcknowledgement
from orders.models.shipments import Shipment, ShipmentEvent, ShipmentLine, TemperatureRecord
from orders.models.trace import CodeFormat, CustodyHop, SuspectedDiversion, TraceCode

__all__ = [
    "CodeFormat",
    "CustodyHop",
    "Order",
    "OrderEvent",
    "OrderLine",
    "Recall",
    "RecallAcknowledgement",
    "SecondLineDeclaration",
    "Shipment",
    "ShipmentEvent",
    "ShipmentLine",
    "SuspectedDiversion",
    "TemperatureRecord",
    "TraceCode",
    "attach_lines",
]
