from rest_framework.routers import SimpleRouter

from records.apis import PurchaseRecordViewSet, SalesRecordViewSet

router = SimpleRouter()
router.register("records/purchases", PurchaseRecordViewSet, basename="purchase-record")
router.register("records/sales", SalesRecordViewSet, basename="sales-record")

urlpatterns = router.urls
