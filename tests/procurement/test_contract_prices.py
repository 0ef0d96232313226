"""Negotiated prices (协议价, SPEC §5a): the named buyer pays the lower price in its period, in the gate, on the
order's lines and in the market view; nobody else does."""

from decimal import Decimal

import pytest
import time_machine

from accounts.choices import MemberRole, OrganizationKind
from orders.models import Order
from pharmex.models import AuditEvent
from tests.conftest import client_for
from tests.factories import OfferFactory, OrganizationFactory
from tests.orders.conftest import place
from tests.procurement.conftest import TODAY, days, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def deal(db):
    supplier = OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR)
    buyer = OrganizationFactory(kind=OrganizationKind.PHARMACY)
    other = OrganizationFactory(kind=OrganizationKind.PHARMACY)
    offer = OfferFactory(supplier=supplier, unit_price=Decimal("12.50"), stock=100)
    return supplier, buyer, other, offer


def set_price(supplier, buyer, offer, price="10.00", valid_from=None, valid_until=None):
    response = client_for(member(supplier)).post(
        "/api/v1/contract-prices/",
        {
            "buyer_id": buyer.pk,
            "drug_id": offer.drug_id,
            "unit_price": price,
            "valid_from": str(valid_from or TODAY()),
            "valid_until": str(valid_until or days(30)),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_the_named_buyer_orders_at_the_contract_price_and_others_at_the_list_price(deal):
    supplier, buyer, other, offer = deal
    set_price(supplier, buyer, offer, "10.00")

    response = place(client_for(member(buyer)), (offer.pk, 3))
    assert response.status_code == 201, response.json()
    order = Order.objects.get(pk=response.json()["id"])
    assert [(line.unit_price, line.line_gross) for line in order.lines.all()] == [(Decimal("10.00"), Decimal("30.00"))]
    assert order.total_gross == Decimal("30.00")

    response = place(client_for(member(other)), (offer.pk, 3))
    assert Order.objects.get(pk=response.json()["id"]).total_gross == Decimal("37.50")


def test_the_contract_price_applies_in_its_period_only(deal):
    supplier, buyer, _other, offer = deal
    set_price(supplier, buyer, offer, "10.00", valid_from=days(5), valid_until=days(10))
    preview = client_for(member(buyer)).post(
        "/api/v1/checkout/preview/", {"lines": [{"offer_id": offer.pk, "quantity": 1}]}, format="json"
    )
    assert preview.json()["lines"][0]["unit_price"] == "12.50"
    for day, expected in ((days(5), "10.00"), (days(10), "10.00"), (days(11), "12.50")):
        with time_machine.travel(day, tick=False):
            preview = client_for(member(buyer)).post(
                "/api/v1/checkout/preview/", {"lines": [{"offer_id": offer.pk, "quantity": 1}]}, format="json"
            )
            assert preview.json()["lines"][0]["unit_price"] == expected, day


def test_a_contract_price_above_the_list_price_changes_nothing(deal):
    supplier, buyer, _other, offer = deal
    set_price(supplier, buyer, offer, "13.00")
    response = place(client_for(member(buyer)), (offer.pk, 1))
    assert Order.objects.get(pk=response.json()["id"]).total_gross == Decimal("12.50")


def test_the_market_view_shows_the_price_to_that_buyer_only(deal):
    supplier, buyer, other, offer = deal
    set_price(supplier, buyer, offer, "10.00")
    path = f"/api/v1/drugs/{offer.drug_id}/offers/"
    mine = client_for(member(buyer)).get(path).json()["results"]
    theirs = client_for(member(other)).get(path).json()["results"]
    assert [(o["id"], o["unit_price"], o["your_price"]) for o in mine] == [(offer.pk, "12.50", "10.00")]
    assert [(o["id"], o["unit_price"], o["your_price"]) for o in theirs] == [(offer.pk, "12.50", None)]


def test_a_contract_price_below_the_ceiling_lets_a_public_hospital_buy_an_offer_above_it(deal):
    supplier, _buyer, _other, offer = deal
    hospital = OrganizationFactory(kind=OrganizationKind.HOSPITAL, ownership="public")
    offer.drug.ceiling_prices.create(price=Decimal("11.00"), effective_from=days(-10))
    assert place(client_for(member(hospital)), (offer.pk, 1)).json()["errors"][0]["code"] == "above_ceiling_price"
    set_price(supplier, hospital, offer, "10.50")
    assert place(client_for(member(hospital)), (offer.pk, 1)).status_code == 201


def test_the_parties_see_the_price_and_the_supplier_ends_it(deal):
    supplier, buyer, other, offer = deal
    price = set_price(supplier, buyer, offer)
    assert [p["id"] for p in client_for(member(buyer)).get("/api/v1/contract-prices/").json()["results"]] == [
        price["id"]
    ]
    assert client_for(member(other)).get("/api/v1/contract-prices/").json()["results"] == []
    refused = client_for(member(buyer)).post(
        f"/api/v1/contract-prices/{price['id']}/end/", {"ends_on": str(TODAY())}, format="json"
    )
    assert refused.status_code == 403
    ended = client_for(member(supplier, MemberRole.OWNER)).post(
        f"/api/v1/contract-prices/{price['id']}/end/", {"ends_on": str(TODAY())}, format="json"
    )
    assert (ended.status_code, ended.json()["valid_until"]) == (200, str(TODAY()))
    assert set(AuditEvent.objects.filter(object_type="contract_price").values_list("action", flat=True)) == {
        "contract_price.created",
        "contract_price.ended",
    }


def test_bad_input_is_refused_clearly(deal):
    supplier, _buyer, _other, offer = deal
    response = client_for(member(supplier)).post(
        "/api/v1/contract-prices/",
        {"buyer_id": supplier.pk, "drug_id": offer.drug_id, "unit_price": "0.00", "valid_from": str(TODAY()),
         "valid_until": str(TODAY())},
        format="json",
    )  # fmt: skip
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"unit_price"}
