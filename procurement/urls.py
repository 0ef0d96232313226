from django.urls import path
from rest_framework.routers import SimpleRouter

from procurement.apis import (
    ContractPriceViewSet,
    ContractViewSet,
    DesignationViewSet,
    PlanViewSet,
    QuoteRequestViewSet,
    QuoteViewSet,
)
from procurement.chain_apis import InvoiceChainViewSet, SoleSellerViewSet

router = SimpleRouter()
router.register("delivery-designations", DesignationViewSet, basename="delivery-designation")
router.register("contract-prices", ContractPriceViewSet, basename="contract-price")
router.register("procurement-contracts", ContractViewSet, basename="procurement-contract")
router.register("quote-requests", QuoteRequestViewSet, basename="quote-request")
router.register("quotes", QuoteViewSet, basename="quote")
router.register("procurement-plans", PlanViewSet, basename="procurement-plan")
router.register("sole-sellers", SoleSellerViewSet, basename="sole-seller")

urlpatterns = [
    *router.urls,
    # Under the shipment (orders' ShipmentViewSet), served here: orders never imports procurement.
    path(
        "shipments/<int:shipment_id>/invoice-chain/",
        InvoiceChainViewSet.as_view({"get": "chain"}),
        name="shipment-invoice-chain",
    ),
    path(
        "shipments/<int:shipment_id>/first-invoices/",
        InvoiceChainViewSet.as_view({"post": "record"}),
        name="shipment-first-invoices",
    ),
]
