from rest_framework.routers import SimpleRouter

from procurement.apis import (
    ContractPriceViewSet,
    ContractViewSet,
    DesignationViewSet,
    PlanViewSet,
    QuoteRequestViewSet,
    QuoteViewSet,
)

router = SimpleRouter()
router.register("delivery-designations", DesignationViewSet, basename="delivery-designation")
router.register("contract-prices", ContractPriceViewSet, basename="contract-price")
router.register("procurement-contracts", ContractViewSet, basename="procurement-contract")
router.register("quote-requests", QuoteRequestViewSet, basename="quote-request")
router.register("quotes", QuoteViewSet, basename="quote")
router.register("procurement-plans", PlanViewSet, basename="procurement-plan")

urlpatterns = router.urls
