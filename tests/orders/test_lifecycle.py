"""The order state machine: each transition allowed and refused, roles, tenancy, ETags, jobs (SPEC §5)."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.choices import MemberRole
from catalog.models import Offer
from orders.models import Order
from orders.services import order_expire_due, order_flag_overdue
from tests import plans
from tests.conftest import client_for
from tests.factories import MembershipFactory, OrganizationFactory
from tests.orders.conftest import place

pytestmark = pytest.mark.django_db


@pytest.fixture
def placed(market):
    response = place(market.buyer_client(), (market.offer.pk, 5))
    assert response.status_code == 201
    return Order.objects.get(pk=response.json()["id"])


def act(client, order, action, body=None, **headers):
    return client.post(f"/api/v1/orders/{order.pk}/{action}/", body or {}, format="json", **headers)


def stock(market) -> int:
    return Offer.objects.get(pk=market.offer.pk).stock


def test_supplier_confirms_and_the_event_is_recorded(market, placed):
    response = act(market.supplier_client(), placed, "confirm", {"note": "备货中"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["confirmed_at"] is not None and body["ship_by"] is not None
    events = market.buyer_client().get(f"/api/v1/orders/{placed.pk}/events/").json()["results"]
    assert [(e["action"], e["from_status"], e["to_status"], e["note"]) for e in events] == [
        ("confirm", "placed", "confirmed", "备货中"),
        ("place", "", "placed", ""),
    ]
    assert events[0]["actor"] == market.supplier_operator.email


@pytest.mark.parametrize(
    ("action", "side", "status"),
    [
        ("reject", "supplier", "rejected"),
        ("cancel", "buyer", "cancelled"),
    ],
)
def test_leaving_placed_for_a_terminal_state_releases_the_reservation(market, placed, action, side, status):
    assert stock(market) == 95
    client = market.supplier_client() if side == "supplier" else market.buyer_client()
    response = act(client, placed, action, {"note": "不需要了"})
    assert response.status_code == 200
    assert response.json()["status"] == status
    assert stock(market) == 100


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("confirm", {}),
        ("reject", {"note": "x"}),
        ("cancel", {}),
    ],
)
def test_a_transition_from_the_wrong_state_is_409(market, placed, action, body):
    act(market.buyer_client(), placed, "cancel")
    client = market.buyer_client() if action == "cancel" else market.supplier_client()
    response = act(client, placed, action, body)
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    assert stock(market) == 100  # released once, never twice


@pytest.mark.parametrize(
    ("action", "wrong_side"),
    [
        ("confirm", "buyer"),
        ("reject", "buyer"),
        ("ship", "buyer"),
        ("cancel", "supplier"),
        ("receive", "supplier"),
    ],
)
def test_the_other_party_may_not_take_the_action(market, placed, action, wrong_side):
    client = market.buyer_client() if wrong_side == "buyer" else market.supplier_client()
    response = act(client, placed, action, {"note": "x"})
    assert response.status_code == 403


@pytest.mark.parametrize("role", [MemberRole.VIEWER, MemberRole.FINANCE])
def test_reading_roles_may_not_act(market, placed, role):
    viewer = MembershipFactory(organization=market.supplier, role=role).user
    assert act(client_for(viewer), placed, "confirm").status_code == 403
    assert client_for(viewer).get(f"/api/v1/orders/{placed.pk}/").status_code == 200


def test_another_organisation_gets_404_everywhere(market, placed):
    stranger = MembershipFactory(organization=OrganizationFactory(), role=MemberRole.OWNER).user
    client = client_for(stranger)
    assert client.get(f"/api/v1/orders/{placed.pk}/").status_code == 404
    assert client.get(f"/api/v1/orders/{placed.pk}/events/").status_code == 404
    assert act(client, placed, "confirm").status_code == 404
    assert client.get("/api/v1/orders/").json()["results"] == []


def test_a_stale_if_match_is_412_and_changes_nothing(market, placed):
    etag = market.supplier_client().get(f"/api/v1/orders/{placed.pk}/")["ETag"]
    Order.objects.filter(pk=placed.pk).update(note="changed meanwhile", updated_at=timezone.now())
    response = act(market.supplier_client(), placed, "confirm", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    placed.refresh_from_db()
    assert placed.status == "placed"


def test_unconfirmed_orders_expire_after_the_timeout_and_release_stock(market, placed, settings):
    with time_machine.travel(timezone.now() + settings.ORDER_CONFIRM_TIMEOUT - timedelta(minutes=1)):
        assert order_expire_due() == 0
    with time_machine.travel(timezone.now() + settings.ORDER_CONFIRM_TIMEOUT + timedelta(minutes=1)):
        assert order_expire_due() == 1
        assert order_expire_due() == 0  # a second run changes nothing
    placed.refresh_from_db()
    assert placed.status == "expired"
    assert stock(market) == 100
    assert list(placed.events.values_list("action", flat=True)) == ["place", "expire"]


def test_confirmed_orders_not_shipped_in_time_are_flagged_once(market, placed, settings):
    act(market.supplier_client(), placed, "confirm")
    with time_machine.travel(timezone.now() + settings.ORDER_SHIP_DEADLINE + timedelta(minutes=1)):
        assert order_flag_overdue() == 1
        assert order_flag_overdue() == 0
    placed.refresh_from_db()
    assert placed.status == "confirmed" and placed.overdue_at is not None
    assert placed.events.filter(action="flag_overdue").count() == 1


def test_the_overdue_job_reads_only_orders_not_yet_flagged(market, placed, settings):
    """A confirmed order that never ships stays confirmed, flagged, for good: the job, every 15 minutes, reads the
    orders still to flag through their own index, not every confirmed order there is."""
    act(market.supplier_client(), placed, "confirm")
    later = timezone.now() + settings.ORDER_SHIP_DEADLINE + timedelta(minutes=1)
    with time_machine.travel(later):
        order_flag_overdue()
    due = Order.objects.get(pk=place(market.buyer_client(), (market.offer.pk, 1)).json()["id"])
    act(market.supplier_client(), due, "confirm")

    with time_machine.travel(later + settings.ORDER_SHIP_DEADLINE), CaptureQueriesContext(connection) as queries:
        assert order_flag_overdue() == 1

    assert Order.objects.get(pk=due.pk).overdue_at is not None
    (candidates, *_) = [q["sql"] for q in queries.captured_queries if "ship_by" in q["sql"]]
    # Asked of 20,000 flagged orders of earlier years (on a handful of rows the planner's choice is a tie of costs).
    with plans.history([Order._meta.db_table], plans.copies(Order, placed.pk, 20_000, number="'PAD' || n")):
        assert plans.table_reads(candidates) == [("orders_order", "order_ship_due")]


def test_list_and_detail_make_a_constant_number_of_queries(market):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import OfferFactory

    client = market.buyer_client()
    for _ in range(3):
        place(client, (market.offer.pk, 1))
    with CaptureQueriesContext(connection) as small_list:
        assert len(client.get("/api/v1/orders/").json()["results"]) == 3
    with CaptureQueriesContext(connection) as small_detail:
        client.get(f"/api/v1/orders/{Order.objects.first().pk}/")

    offers = [OfferFactory(supplier=market.supplier) for _ in range(8)]
    for _ in range(6):
        place(client, *[(offer.pk, 1) for offer in offers])
    with CaptureQueriesContext(connection) as big_list:
        assert len(client.get("/api/v1/orders/?page_size=9").json()["results"]) == 9
    order = Order.objects.filter(lines__line_no=8).first()
    with CaptureQueriesContext(connection) as big_detail:
        assert len(client.get(f"/api/v1/orders/{order.pk}/").json()["lines"]) == 8

    assert len(big_list.captured_queries) == len(small_list.captured_queries)
    assert len(big_detail.captured_queries) == len(small_detail.captured_queries)
    # An order renders the parties it recorded at placement: reading it joins no organisation.
    order_reads = [
        q["sql"] for q in big_list.captured_queries + big_detail.captured_queries if "orders_order" in q["sql"]
    ]
    assert order_reads and not any("accounts_organization" in sql for sql in order_reads)
