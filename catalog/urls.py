from rest_framework.routers import SimpleRouter

from catalog.apis.drugs import DrugViewSet
from catalog.apis.imports import DrugImportViewSet, OfferImportViewSet
from catalog.apis.offers import OfferViewSet

router = SimpleRouter()
router.register("drugs", DrugViewSet, basename="drug")
router.register("drug-imports", DrugImportViewSet, basename="drug-import")
router.register("offers", OfferViewSet, basename="offer")
router.register("offer-imports", OfferImportViewSet, basename="offer-import")

urlpatterns = router.urls
