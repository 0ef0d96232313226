"""Supplier proposals on a placed order (issue 21, optional part): another quantity or a substitute offer, which the
buyer accepts (an amendment: re-gated, stock moved) or declines, before confirmation."""

from decimal import Decimal

import pytest

from catalog.models import Offer
from orders.models import Order
from pharmex.models import AuditEvent
from tests.factories import DrugFactory, OfferFactory, OrganizationFactory
from tests.orders.conftest import place
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db
PROBLEMS = "https://pharmex.example/problems/"


@pytest.fixture
def substitute(market) -> Offer:
    drug = DrugFactory(generic_name="阿莫西林胶囊", specification="0.5g", package="12粒/盒")
    return OfferFactory(supplier=market.supplier, drug=drug, unit_price=Decimal("20.00"), stock=30)


@pytest.fixture
def placed(market) -> Order:
    response = place(market.buyer_client(), (market.offer.pk, 10))
    assert response.status_code == 201, response.json()
    return Order.objects.get(pk=response.json()["id"])


def post(client, order, action, body=None, **headers):
    return client.post(f"/api/v1/orders/{order.pk}/{action}/", body or {}, format="json", **headers)


def stock(offer) -> int:
    return Offer.objects.get(pk=offer.pk).stock


def propose_substitute(market, placed, substitute):
    body = {"lines": [{"line_no": 1, "offer_id": substitute.pk, "quantity": 5, "reason": "0.25g 缺货，可供 0.5g"}]}
    return post(market.supplier_client(), placed, "propose", body)


def test_supplier_proposes_a_substitute_and_the_buyer_accepts_it(market, placed, substitute):
    response = propose_substitute(market, placed, substitute)

    assert response.status_code == 200, response.json()
    line = response.json()["lines"][0]
    assert (line["quantity"], line["proposed_quantity"], line["proposed_offer"], line["proposal_reason"]) == (
        10,
        5,
        substitute.pk,
        "0.25g 缺货，可供 0.5g",
    )
    assert (stock(market.offer), stock(substitute)) == (90, 30)  # a proposal moves no stock
    proposal = {
        "line_no": 1,
        "offer_id": market.offer.pk,
        "quantity": 10,
        "proposed_offer_id": substitute.pk,
        "proposed_quantity": 5,
        "reason": "0.25g 缺货，可供 0.5g",
    }
    assert Order.objects.get(pk=placed.pk).events.get(action="propose").data == {"lines": [proposal]}
    assert OutboxEvent.objects.filter(event_type="order.proposal_made").first().payload["proposals"] == [proposal]
    assert AuditEvent.objects.filter(action="order.proposal_made", organization_id=market.supplier.pk).count() == 1

    client = market.buyer_client()
    etag = client.get(f"/api/v1/orders/{placed.pk}/")["ETag"]
    accepted = post(client, placed, "accept-proposal", {"note": "同意"}, HTTP_IF_MATCH=etag)

    assert accepted.status_code == 200, accepted.json()
    order = accepted.json()
    assert [
        (line["line_no"], line["offer"], line["quantity"], line["proposed_quantity"]) for line in order["lines"]
    ] == [(2, substitute.pk, 5, None)]
    assert order["total_gross"] == "100.00"
    assert (stock(market.offer), stock(substitute)) == (100, 25)
    event = Order.objects.get(pk=placed.pk).events.get(action="accept_proposal")
    assert [(line["line_no"], line["quantity"]) for line in event.data["lines"]] == [(1, [10, None]), (2, [None, 5])]
    assert OutboxEvent.objects.filter(event_type="order.amended").count() == 2  # buyer and supplier


def test_the_buyer_declines_and_nothing_changes(market, placed, substitute):
    assert propose_substitute(market, placed, substitute).status_code == 200

    response = post(market.buyer_client(), placed, "decline-proposal", {"note": "只要 0.25g"})

    assert response.status_code == 200, response.json()
    line = response.json()["lines"][0]
    assert (line["offer"], line["quantity"], line["proposed_quantity"], line["proposed_offer"]) == (
        market.offer.pk,
        10,
        None,
        None,
    )
    assert (stock(market.offer), stock(substitute)) == (90, 30)
    assert OutboxEvent.objects.filter(event_type="order.proposal_declined").count() == 2
    again = post(market.buyer_client(), placed, "decline-proposal")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")


def test_accepting_requires_if_match_and_is_regated(market, placed, substitute):
    assert propose_substitute(market, placed, substitute).status_code == 200
    client = market.buyer_client()
    missing = post(client, placed, "accept-proposal")
    assert (missing.status_code, missing.json()["type"]) == (428, PROBLEMS + "precondition-required")

    Offer.objects.filter(pk=substitute.pk).update(stock=2)
    refused = post(client, placed, "accept-proposal", HTTP_IF_MATCH="*")

    assert refused.status_code == 409, refused.json()
    assert [e["code"] for e in refused.json()["errors"]] == ["insufficient_stock"]
    assert (stock(market.offer), stock(substitute)) == (90, 2)
    assert Order.objects.get(pk=placed.pk).lines.get().proposed_quantity == 5  # still open


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ({"line_no": 2, "quantity": 5}, ("lines[0].line_no", "unknown_line")),
        ({"line_no": 1, "quantity": 10}, ("lines[0]", "unchanged")),
        ({"line_no": 1, "offer_id": "other"}, ("lines[0].offer_id", "other_supplier")),
    ],
)
def test_a_proposal_that_does_not_fit_is_a_400(market, placed, line, error):
    if line.get("offer_id") == "other":
        line = {**line, "offer_id": OfferFactory(supplier=OrganizationFactory()).pk}
    response = post(market.supplier_client(), placed, "propose", {"lines": [{**line, "reason": "x"}]})

    assert response.status_code == 400, response.json()
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [error]
    assert not Order.objects.get(pk=placed.pk).events.filter(action="propose").exists()


def test_confirming_ends_an_open_proposal_and_only_parties_on_their_side_act(market, placed, substitute):
    assert (
        post(
            market.buyer_client(), placed, "propose", {"lines": [{"line_no": 1, "quantity": 5, "reason": "x"}]}
        ).status_code
        == 403
    )
    assert propose_substitute(market, placed, substitute).status_code == 200
    assert post(market.supplier_client(), placed, "decline-proposal").status_code == 403

    confirmed = post(market.supplier_client(), placed, "confirm")

    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["lines"][0]["proposed_quantity"] is None
    late = post(market.buyer_client(), placed, "accept-proposal", HTTP_IF_MATCH="*")
    assert (late.status_code, late.json()["code"]) == (409, "invalid_transition")
