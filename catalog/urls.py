from rest_framework.routers import SimpleRouter

from catalog.apis.drugs import DrugViewSet
from catalog.apis.imports import DrugImportViewSet, OfferImportViewSet
from catalog.apis.offers import OfferViewSet

# path() converters (each viewset's lookup_value_converter = "int"): a non-integer id is a 404, and the schema
# documents ids as integers.
router = SimpleRouter(use_regex_path=False)
router.register("drugs", DrugViewSet, basename="drug")
router.register("drug-imports", DrugImportViewSet, basename="drug-import")
router.register("offers", OfferViewSet, basename="offer")
router.register("offer-imports", OfferImportViewSet, basename="offer-import")

urlpatterns = router.urls
