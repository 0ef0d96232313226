import pytest

from accounts import demo as accounts_demo
from catalog import demo
from catalog.models import Drug, Offer
from catalog.services.offers import listing_refusal

pytestmark = pytest.mark.django_db


def test_demo_catalogue_is_real_drugs_with_offers_and_loads_idempotently():
    accounts_demo.load()
    assert demo.load() == []
    counts = (Drug.objects.count(), Offer.objects.count())
    demo.load()
    assert (Drug.objects.count(), Offer.objects.count()) == counts
    assert counts[0] >= 300
    assert Offer.objects.values("supplier").distinct().count() == 2
    assert Drug.objects.filter(approval_number="国药准字H10960123", generic_name="环孢素软胶囊").exists()
    # the listing rules hold for demo data too: no banned or out-of-scope offer was created
    assert all(
        listing_refusal(drug=offer.drug, may_trade=True, scope_tags={"biologics", "cold_chain"}) is None
        for offer in Offer.objects.select_related("drug")
    )
