from django.urls import path
from rest_framework.routers import SimpleRouter

from firstbusiness.apis.documents import DocumentFileApi, DocumentViewSet
from firstbusiness.apis.representatives import RepresentativeViewSet
from firstbusiness.apis.reviews import ReviewViewSet
from firstbusiness.apis.shares import DocumentShareViewSet

router = SimpleRouter()
router.register("documents", DocumentViewSet, basename="document")
router.register("document-shares", DocumentShareViewSet, basename="document-share")
router.register("sales-representatives", RepresentativeViewSet, basename="sales-representative")
router.register("first-business-reviews", ReviewViewSet, basename="first-business-review")

urlpatterns = [
    path("document-files/<str:token>/", DocumentFileApi.as_view(), name="document-file"),
    *router.urls,
]
