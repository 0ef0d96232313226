"""The buyer's amendment of a placed order (SPEC §5, issue 21): re-gated, stock moved by the difference only,
If-Match required, idempotent, evented, announced and audited; the confirm deadline restarts."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from catalog.models import Offer
from orders.models import Order
from pharmex.models import AuditEvent
from tests.factories import DrugFactory, OfferFactory, OrganizationFactory
from tests.orders.conftest import place
from webhooks.models import OutboxEvent

pytestmark = pytest.mark.django_db
PROBLEMS = "https://pharmex.example/problems/"


@pytest.fixture
def second_offer(market) -> Offer:
    drug = DrugFactory(generic_name="布洛芬缓释胶囊", specification="0.3g", package="20粒/盒")
    return OfferFactory(supplier=market.supplier, drug=drug, unit_price=Decimal("8.80"), stock=50)


@pytest.fixture
def placed(market) -> Order:
    response = place(market.buyer_client(), (market.offer.pk, 5))
    assert response.status_code == 201, response.json()
    return Order.objects.get(pk=response.json()["id"])


def amend(client, order, lines, *, etag=None, key=None, note=None):
    body = {"lines": [{"offer_id": offer_id, "quantity": quantity} for offer_id, quantity in lines]}
    if note is not None:
        body["note"] = note
    headers = {}
    if etag is not False:
        headers["HTTP_IF_MATCH"] = etag or client.get(f"/api/v1/orders/{order.pk}/")["ETag"]
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post(f"/api/v1/orders/{order.pk}/amend/", body, format="json", **headers)


def stock(offer) -> int:
    return Offer.objects.get(pk=offer.pk).stock


def test_amending_changes_a_quantity_adds_a_line_and_moves_only_the_difference_in_stock(
    market, placed, second_offer, django_capture_on_commit_callbacks
):
    client = market.buyer_client()
    etag = client.get(f"/api/v1/orders/{placed.pk}/")["ETag"]
    later = timezone.now() + timedelta(minutes=3)
    with time_machine.travel(later, tick=False):
        response = amend(client, placed, [(market.offer.pk, 8), (second_offer.pk, 10)], etag=etag, note="补货")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "placed"
    assert [(line["line_no"], line["offer"], line["quantity"], line["line_gross"]) for line in body["lines"]] == [
        (1, market.offer.pk, 8, "98.80"),
        (2, second_offer.pk, 10, "88.00"),
    ]
    assert (body["total_gross"], body["total_tax"]) == ("186.80", "21.49")
    assert body["lines"][1]["drug_name"] == "布洛芬缓释胶囊"  # snapshotted as a placement does
    assert (stock(market.offer), stock(second_offer)) == (92, 40)
    order = Order.objects.get(pk=placed.pk)
    assert order.expires_at == later + timedelta(hours=24)  # the confirm deadline restarted (ORDER_CONFIRM_TIMEOUT)
    current = client.get(f"/api/v1/orders/{placed.pk}/")
    assert response["ETag"] == current["ETag"], current.json()

    event = order.events.get(action="amend")
    assert (event.from_status, event.to_status, event.note, event.actor) == (
        "placed",
        "placed",
        "补货",
        market.buyer_operator.email,
    )
    lines = [
        {
            "line_no": 1,
            "offer_id": market.offer.pk,
            "drug_name": "阿莫西林胶囊",
            "quantity": [5, 8],
            "line_gross": ["61.75", "98.80"],
        },
        {
            "line_no": 2,
            "offer_id": second_offer.pk,
            "drug_name": "布洛芬缓释胶囊",
            "quantity": [None, 10],
            "line_gross": [None, "88.00"],
        },
    ]
    assert event.data == {"lines": lines, "total_gross": ["61.75", "186.80"], "total_tax": ["7.10", "21.49"]}
    announced = OutboxEvent.objects.filter(event_type="order.amended")
    assert {e.organization_id for e in announced} == {market.buyer.pk, market.supplier.pk}
    assert announced[0].payload["lines"] == lines
    assert announced[0].payload["total_gross"] == "186.80"
    audit = AuditEvent.objects.get(action="order.amended", object_id=str(placed.pk))
    assert audit.organization_id == market.buyer.pk
    assert (audit.changes["status"], audit.changes["lines"]) == (["placed", "placed"], lines)


def test_removing_a_line_gives_its_stock_back(market, placed, second_offer):
    client = market.buyer_client()
    assert amend(client, placed, [(market.offer.pk, 5), (second_offer.pk, 10)]).status_code == 200
    response = amend(client, placed, [(second_offer.pk, 4)])

    assert response.status_code == 200, response.json()
    assert [(line["line_no"], line["quantity"]) for line in response.json()["lines"]] == [(2, 4)]
    assert response.json()["total_gross"] == "35.20"
    assert (stock(market.offer), stock(second_offer)) == (100, 46)
    event = Order.objects.get(pk=placed.pk).events.filter(action="amend").latest("id")
    assert [(line["line_no"], line["quantity"]) for line in event.data["lines"]] == [(1, [5, None]), (2, [10, 4])]


def test_amendment_is_regated_with_every_reason_and_changes_nothing_when_refused(market, placed):
    other_supplier_offer = OfferFactory(supplier=OrganizationFactory(), stock=100)
    Offer.objects.filter(pk=market.offer.pk).update(min_order_quantity=2, order_multiple=2)
    before = Order.objects.get(pk=placed.pk)

    response = amend(market.buyer_client(), placed, [(market.offer.pk, 1), (other_supplier_offer.pk, 1), (999999, 1)])

    assert response.status_code == 409, response.json()
    assert sorted((e["field"], e["code"]) for e in response.json()["errors"]) == [
        ("lines[0].quantity", "below_minimum_quantity"),
        ("lines[0].quantity", "not_order_multiple"),
        ("lines[1].offer_id", "other_supplier"),
        ("lines[2].offer_id", "offer_not_found"),
    ]
    after = Order.objects.get(pk=placed.pk)
    assert (after.updated_at, after.total_gross, list(after.lines.values_list("quantity", flat=True))) == (
        before.updated_at,
        before.total_gross,
        [5],
    )
    assert (stock(market.offer), stock(other_supplier_offer)) == (95, 100)
    assert not after.events.filter(action="amend").exists()
    assert not OutboxEvent.objects.filter(event_type="order.amended").exists()


def test_only_the_increase_needs_stock(market, placed):
    Offer.objects.filter(pk=market.offer.pk).update(stock=3)
    client = market.buyer_client()

    refused = amend(client, placed, [(market.offer.pk, 9)])
    assert refused.status_code == 409, refused.json()
    assert refused.json()["errors"] == [
        {"field": "lines[0].quantity", "code": "insufficient_stock", "message": "Only 3 more available."}
    ]
    assert amend(client, placed, [(market.offer.pk, 8)]).status_code == 200  # 5 held + 3 more
    assert stock(market.offer) == 0


def test_amendment_requires_if_match_and_refuses_a_stale_one(market, placed):
    client = market.buyer_client()
    stale = client.get(f"/api/v1/orders/{placed.pk}/")["ETag"]
    with time_machine.travel(timezone.now() + timedelta(seconds=1)):
        assert amend(client, placed, [(market.offer.pk, 6)], etag=stale).status_code == 200

    missing = amend(client, placed, [(market.offer.pk, 7)], etag=False)
    assert (missing.status_code, missing.json()["type"], missing.json()["code"]) == (
        428,
        PROBLEMS + "precondition-required",
        "precondition_required",
    )
    outdated = amend(client, placed, [(market.offer.pk, 7)], etag=stale)
    assert (outdated.status_code, outdated.json()["type"]) == (412, PROBLEMS + "precondition-failed")
    assert Order.objects.get(pk=placed.pk).lines.get().quantity == 6
    assert stock(market.offer) == 94


def test_amendment_is_refused_once_confirmed(market, placed):
    assert market.supplier_client().post(f"/api/v1/orders/{placed.pk}/confirm/", {}, format="json").status_code == 200

    response = amend(market.buyer_client(), placed, [(market.offer.pk, 6)])

    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")
    assert stock(market.offer) == 95


def test_only_the_buyer_amends(market, placed):
    response = amend(market.supplier_client(), placed, [(market.offer.pk, 6)])
    assert (response.status_code, response.json()["type"]) == (403, PROBLEMS + "permission-denied")
    assert stock(market.offer) == 95


def test_an_amendment_that_changes_nothing_is_a_400(market, placed):
    response = amend(market.buyer_client(), placed, [(market.offer.pk, 5)])
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "lines", "code": "unchanged", "message": "These are the order's lines already."}
    ]


def test_amendment_is_idempotent(market, placed):
    client = market.buyer_client()
    etag = client.get(f"/api/v1/orders/{placed.pk}/")["ETag"]

    first = amend(client, placed, [(market.offer.pk, 7)], etag=etag, key="amend-1")
    again = amend(client, placed, [(market.offer.pk, 7)], etag=etag, key="amend-1")
    other = amend(client, placed, [(market.offer.pk, 9)], key="amend-1")

    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert other.status_code == 422
    assert stock(market.offer) == 93
    assert Order.objects.get(pk=placed.pk).events.filter(action="amend").count() == 1


def test_an_order_past_its_confirm_deadline_is_not_amended(market, placed):
    Order.objects.filter(pk=placed.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = amend(market.buyer_client(), placed, [(market.offer.pk, 6)])

    assert (response.status_code, response.json()["code"]) == (409, "invalid_transition")
    assert stock(market.offer) == 95


def test_the_expiry_job_spares_an_order_amended_after_it_found_it_due(market, placed, monkeypatch):
    from orders.services import lifecycle

    found_due = lifecycle.due_ids

    def amended_meanwhile(queryset, *, batch):
        ids = found_due(queryset, batch=batch)
        Order.objects.filter(pk=placed.pk).update(expires_at=timezone.now() + timedelta(hours=24))  # the amendment
        return ids

    monkeypatch.setattr(lifecycle, "due_ids", amended_meanwhile)
    Order.objects.filter(pk=placed.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert lifecycle.order_expire_due() == 0
    assert Order.objects.get(pk=placed.pk).status == "placed"
    assert stock(market.offer) == 95
