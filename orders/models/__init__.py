from orders.models.orders import Order, OrderEvent, OrderLine, attach_lines
from orders.models.recalls import Recall
from orders.models.shipments import Shipment, ShipmentLine, SuspectedDiversion, TraceCode

__all__ = [
    "Order",
    "OrderEvent",
    "OrderLine",
    "Recall",
    "Shipment",
    "ShipmentLine",
    "SuspectedDiversion",
    "TraceCode",
    "attach_lines",
]
