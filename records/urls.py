from django.urls import path
from rest_framework.routers import SimpleRouter

from records.apis import DutyReportApi, PurchaseRecordViewSet, SalesRecordViewSet
from records.reports import REPORTS

router = SimpleRouter()
router.register("records/purchases", PurchaseRecordViewSet, basename="purchase-record")
router.register("records/sales", SalesRecordViewSet, basename="sales-record")

urlpatterns = [
    *(
        path(f"reports/duty/{name}/", DutyReportApi.as_view(report=name), name=f"duty-report-{name}")
        for name in REPORTS
    ),
    *router.urls,
]
