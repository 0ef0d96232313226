"""Quotes (询价/报价, SPEC §5a): a buyer asks several suppliers, they answer, and the buyer turns one answer into
one order at the quoted price — once, however often or concurrently it accepts."""

from collections import Counter
from decimal import Decimal

import pytest
import time_machine

from accounts.choices import MemberRole, OrganizationKind
from catalog.models import Offer
from orders.models import Order
from pharmex.models import AuditEvent
from procurement.models import Quote
from tests.conftest import client_for
from tests.factories import OfferFactory, OrganizationFactory
from tests.orders.test_concurrency import run_concurrently
from tests.procurement.conftest import days, member
from webhooks.models import OutboxEvent


def scene():
    buyer = OrganizationFactory(kind=OrganizationKind.PHARMACY)
    first, second = OrganizationFactory(), OrganizationFactory()
    offer = OfferFactory(supplier=first, unit_price=Decimal("12.50"), stock=100)
    other_offer = OfferFactory(supplier=second, drug=offer.drug, unit_price=Decimal("12.00"), stock=100)
    buyer_client = client_for(member(buyer, MemberRole.OWNER))
    response = buyer_client.post(
        "/api/v1/quote-requests/",
        {
            "drug_id": offer.drug_id,
            "quantity": 20,
            "delivery_date": str(days(7)),
            "supplier_ids": [first.pk, second.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    quotes = {q["supplier"]: q for q in response.json()["quotes"]}
    assert {q["status"] for q in quotes.values()} == {"requested"}
    return buyer, buyer_client, first, second, offer, other_offer, quotes


def answer(supplier, quote, offer, price="11.00", valid_until=None):
    return client_for(member(supplier)).post(
        f"/api/v1/quotes/{quote['id']}/answer/",
        {"offer_id": offer.pk, "unit_price": price, "valid_until": str(valid_until or days(3))},
        format="json",
    )


@pytest.mark.django_db
def test_an_accepted_quote_becomes_one_order_at_the_quoted_price_and_accepting_again_answers_it():
    buyer, buyer_client, first, second, offer, _other_offer, quotes = scene()
    assert answer(first, quotes[first.pk], offer).json()["status"] == "answered"
    declined = client_for(member(second)).post(f"/api/v1/quotes/{quotes[second.pk]['id']}/decline/", {})
    assert declined.json()["status"] == "declined"

    accepted = buyer_client.post(f"/api/v1/quotes/{quotes[first.pk]['id']}/accept/", {}, format="json")
    assert accepted.status_code == 201, accepted.json()
    order = Order.objects.get(pk=accepted.json()["id"])
    line = order.lines.get()
    assert (order.buyer_id, order.supplier_id, line.offer_id, line.quantity, line.unit_price) == (
        buyer.pk,
        first.pk,
        offer.pk,
        20,
        Decimal("11.00"),
    )
    assert order.total_gross == Decimal("220.00")

    again = buyer_client.post(f"/api/v1/quotes/{quotes[first.pk]['id']}/accept/", {}, format="json")
    assert (again.status_code, again.json()["id"]) == (200, order.pk)
    assert Order.objects.count() == 1
    assert Offer.objects.get(pk=offer.pk).stock == 80
    assert Quote.objects.get(pk=quotes[first.pk]["id"]).order_id == order.pk
    # the quoted price was for that order only: the next one pays the list price
    later = buyer_client.post("/api/v1/orders/", {"lines": [{"offer_id": offer.pk, "quantity": 20}]}, format="json")
    assert Order.objects.get(pk=later.json()["id"]).lines.get().unit_price == Decimal("12.50")
    announced = OutboxEvent.objects.filter(object_type="quote").values_list("event_type", "organization_id")
    assert sorted(announced) == sorted(
        [
            ("quote.requested", first.pk),
            ("quote.requested", second.pk),
            ("quote.answered", buyer.pk),
            ("quote.declined", buyer.pk),
            ("quote.accepted", buyer.pk),
            ("quote.accepted", first.pk),
        ]
    )
    assert set(AuditEvent.objects.filter(object_type="quote").values_list("action", flat=True)) == {
        "quote.answer",
        "quote.decline",
        "quote.accept",
    }


@pytest.mark.django_db
def test_only_the_parties_act_on_a_quote_and_an_expired_or_unanswered_one_cannot_be_accepted():
    buyer, buyer_client, first, second, offer, other_offer, quotes = scene()
    quote = quotes[first.pk]
    assert buyer_client.post(f"/api/v1/quotes/{quote['id']}/accept/", {}).status_code == 409  # not answered
    assert answer(second, quote, other_offer).status_code == 404  # not its quote: not visible to it
    refused = answer(first, quote, other_offer)  # an offer of another supplier
    assert (refused.status_code, refused.json()["errors"][0]["field"]) == (400, "offer_id")
    until = days(1)
    assert answer(first, quote, offer, valid_until=until).status_code == 200
    assert client_for(member(first)).post(f"/api/v1/quotes/{quote['id']}/accept/", {}).status_code == 403
    with time_machine.travel(days(2), tick=False):
        expired = client_for(member(buyer)).post(f"/api/v1/quotes/{quote['id']}/accept/", {})
        assert (expired.status_code, expired.json()["detail"]) == (409, f"The quote expired on {until}.")
    assert Order.objects.count() == 0
    assert client_for(member(second)).get("/api/v1/quote-requests/").json()["results"] == []
    assert [q["id"] for q in client_for(member(second)).get("/api/v1/quotes/").json()["results"]] == [
        quotes[second.pk]["id"]
    ]


@pytest.mark.django_db
def test_accepting_goes_through_the_gate():
    _buyer, buyer_client, first, _second, offer, _other_offer, quotes = scene()
    answer(first, quotes[first.pk], offer)
    Offer.objects.filter(pk=offer.pk).update(stock=5)
    response = buyer_client.post(f"/api/v1/quotes/{quotes[first.pk]['id']}/accept/", {})
    assert response.status_code == 409
    assert [e["code"] for e in response.json()["errors"]] == ["insufficient_stock"]
    assert Quote.objects.get(pk=quotes[first.pk]["id"]).status == "answered"  # nothing half-done


@pytest.mark.django_db(transaction=True)
def test_concurrent_acceptances_make_one_order():
    buyer, _client, first, _second, offer, _other_offer, quotes = scene()
    answer(first, quotes[first.pk], offer)
    users = [member(buyer) for _ in range(5)]

    def accept(index: int) -> tuple[int, int]:
        response = client_for(users[index]).post(f"/api/v1/quotes/{quotes[first.pk]['id']}/accept/", {})
        return response.status_code, response.json()["id"]

    results = run_concurrently(5, accept)
    assert Counter(status for status, _id in results) == {201: 1, 200: 4}
    assert len({order_id for _status, order_id in results}) == 1
    assert Order.objects.count() == 1
    assert Offer.objects.get(pk=offer.pk).stock == 80
