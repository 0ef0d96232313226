from django.urls import path
from rest_framework.routers import SimpleRouter

from orders.apis.checkout import CheckoutApi, CheckoutPreviewApi
from orders.apis.customs import CustomsReportApi
from orders.apis.diversions import DiversionViewSet
from orders.apis.holds import OrderHoldViewSet
from orders.apis.orders import OrderViewSet
from orders.apis.shipments import ShipmentViewSet
from orders.apis.trace_recalls import CodeFormatViewSet, RecallViewSet, TraceApi

router = SimpleRouter()
router.register("orders", OrderViewSet, basename="order")
router.register("orders", OrderHoldViewSet, basename="order-hold")  # the admin's decisions on held orders
router.register("recalls", RecallViewSet, basename="recall")
router.register("shipments", ShipmentViewSet, basename="shipment")
router.register("suspected-diversions", DiversionViewSet, basename="suspected-diversion")
router.register("trace-code-formats", CodeFormatViewSet, basename="trace-code-format")

urlpatterns = [
    path("checkout/", CheckoutApi.as_view(), name="checkout"),
    path("checkout/preview/", CheckoutPreviewApi.as_view(), name="checkout-preview"),
    path("trace/<str:code>/", TraceApi.as_view(), name="trace"),
    path("customs/report/", CustomsReportApi.as_view(), name="customs-report"),
    *router.urls,
]
