"""The order and shipment lists of an organisation on both sides (a distributor buys and sells) read each side's
index.

Without `?role=` each list is an OR of the buyer and the supplier column, which PostgreSQL can only read newest
first along the primary key — every newer row of the platform for a party whose own are old. The page is taken
from the first rows of each side instead (ApiViewSet.party_fields, NewestFirstCursorPagination.bounded); these
tests show it is the same page, with the same cursors, and that the plan reads the two indexes.
"""

from __future__ import annotations

from decimal import Decimal
from importlib import import_module

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.choices import MemberRole, OrganizationKind
from orders.models import Order, Shipment
from pharmex.api.pagination import NewestFirstCursorPagination
from pharmex.api.views import ApiViewSet
from tests import plans
from tests.conftest import client_for
from tests.cursor_pages import walk
from tests.factories import MembershipFactory, OfferFactory, OrganizationFactory
from tests.orders.conftest import place
from tests.orders.shipping import ship, shipment_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def distributor_orders(market):
    """The market's distributor sells to the pharmacy and buys from a manufacturer, in turns; the pharmacy also
    buys from the manufacturer directly (no business of the distributor's). Every other order is cancelled."""
    maker = OrganizationFactory(kind=OrganizationKind.MANUFACTURER, legal_name="海南制药厂")
    maker_offer = OfferFactory(supplier=maker, unit_price=Decimal("3.10"), stock=1000)
    distributor = client_for(market.supplier_operator)
    pharmacy = market.buyer_client()
    placed = []
    for turn in range(12):
        client, offer = [(pharmacy, market.offer), (distributor, maker_offer), (pharmacy, maker_offer)][turn % 3]
        response = place(client, (offer.pk, 1), key=f"sides-{turn}")
        assert response.status_code == 201, response.content
        placed.append(response.json()["id"])
        if turn % 2 == 1:
            assert client.post(f"/api/v1/orders/{placed[-1]}/cancel/", {}, format="json").status_code == 200
    return distributor


@pytest.mark.parametrize("query", ["", "&status=placed", "&status=cancelled"])
def test_a_distributor_pages_through_its_orders_on_both_sides_as_one_list(market, distributor_orders, query):
    # given: what the party may see, newest first (the unbounded list)
    mine = Order.objects.filter(buyer=market.supplier) | Order.objects.filter(supplier=market.supplier)
    if query:
        mine = mine.filter(status=query.rsplit("=", 1)[1])
    expected = list(mine.order_by("-id").values_list("id", flat=True))
    assert len(expected) > 2  # more than one page of two

    # when: the list is walked forward two at a time, then back
    forward, backward = walk(distributor_orders, f"/api/v1/orders/?page_size=2{query}")

    # then: every order once, in order, on pages of two; the way back shows the same pages
    assert [pk for page in forward for pk in page] == expected
    assert all(len(page) == 2 for page in forward[:-1])
    assert backward == forward[-2::-1]


def test_staff_and_one_side_keep_the_plain_list(market, distributor_orders, admin_user):
    everything = list(Order.objects.order_by("-id").values_list("id", flat=True))
    bought = list(Order.objects.filter(buyer=market.supplier).order_by("-id").values_list("id", flat=True))

    def ids(client, query: str) -> list[int]:
        return [order["id"] for order in client.get(f"/api/v1/orders/?page_size=200{query}").json()["results"]]

    assert ids(client_for(admin_user), "") == everything
    assert ids(distributor_orders, "&role=buyer") == bought


def test_the_page_reads_each_sides_index_not_the_primary_key(market, distributor_orders):
    # given: the statement the list sends for its page; and a history: 30 older orders the distributor bought,
    # then 20,000 newer ones of 2,000 other buyers and 200 other suppliers (an OR read along the primary key walks
    # through all of those), with the planner's statistics. Foreign keys are off for the padding (the parties are
    # numbers only), as bench/growth.py seeds.
    with CaptureQueriesContext(connection) as queries:
        assert distributor_orders.get("/api/v1/orders/?page_size=2").status_code == 200
    page_sql = next(q["sql"] for q in queries.captured_queries if "UNION ALL" in q["sql"])
    template = Order.objects.filter(buyer=market.supplier).first().pk
    old = plans.copies(Order, template, 30, number="'OLD' || n")
    new = plans.copies(
        Order, template, 20_000, number="'NEW' || n", buyer_id="100000 + n %% 2000", supplier_id="200000 + n %% 200"
    )

    # when: the page is planned (the page joins both parties: their statistics too)
    with plans.history(["orders_order", "accounts_organization"], old, new):
        plan = plans.costed_plan(page_sql)
        mine = Order.objects.filter(buyer=market.supplier) | Order.objects.filter(supplier=market.supplier)
        walked = mine.order_by("-id")[:3].explain()

    # then: each side is an index read in id order cut at the page size, and the page's orders are fetched by id:
    # neither a walk along the primary key nor a bitmap of every order of the party
    assert "order_buyer_recent" in plan and "order_supplier_recent" in plan, plan
    assert "Index Scan Backward using orders_order_pkey" not in plan and "BitmapOr" not in plan, plan
    assert "Index Scan Backward using orders_order_pkey" in walked  # what it avoids


@pytest.fixture
def distributor_shipments(market):
    """Shipments the market's distributor sent to the pharmacy and received from a manufacturer, in turns; and the
    manufacturer's to the pharmacy (no business of the distributor's)."""
    maker = OrganizationFactory(kind=OrganizationKind.MANUFACTURER, legal_name="海南制药厂")
    maker_offer = OfferFactory(supplier=maker, unit_price=Decimal("3.10"), stock=1000)
    maker_client = client_for(MembershipFactory(organization=maker, role=MemberRole.OPERATOR).user)
    distributor, pharmacy = client_for(market.supplier_operator), market.buyer_client()
    for turn in range(9):
        buyer, supplier, offer = [
            (pharmacy, distributor, market.offer),
            (distributor, maker_client, maker_offer),
            (pharmacy, maker_client, maker_offer),
        ][turn % 3]
        placed = place(buyer, (offer.pk, 1), key=f"shipment-sides-{turn}")
        assert placed.status_code == 201, placed.content
        order = Order.objects.get(pk=placed.json()["id"])
        assert supplier.post(f"/api/v1/orders/{order.pk}/confirm/", {}, format="json").status_code == 200
        shipped = ship(supplier, order, shipment_body(order))
        assert shipped.status_code == 200, shipped.content
    return distributor


def test_a_distributor_pages_through_its_shipments_on_both_sides_as_one_list(market, distributor_shipments):
    mine = Shipment.objects.filter(buyer=market.supplier) | Shipment.objects.filter(supplier=market.supplier)
    expected = list(mine.order_by("-id").values_list("id", flat=True))
    assert len(expected) > 2

    forward, backward = walk(distributor_shipments, "/api/v1/shipments/?page_size=2&status=in_transit")

    assert [pk for page in forward for pk in page] == expected
    assert all(len(page) == 2 for page in forward[:-1])
    assert backward == forward[-2::-1]


def test_the_shipment_page_reads_each_sides_index_not_the_primary_key(market, distributor_shipments):
    # given: the page's statement, and 20,000 newer shipments of other parties (copies of one, foreign keys off)
    with CaptureQueriesContext(connection) as queries:
        assert distributor_shipments.get("/api/v1/shipments/?page_size=2").status_code == 200
    page_sql = next((q["sql"] for q in queries.captured_queries if "UNION ALL" in q["sql"]), None)
    assert page_sql is not None, "the page is not taken from each side"
    template = Shipment.objects.filter(supplier=market.supplier).first().pk
    others = plans.copies(
        Shipment, template, 20_000, sequence="100 + n", buyer_id="100000 + n %% 2000", supplier_id="200000 + n %% 200"
    )

    with plans.history(["orders_shipment"], others):
        plan = plans.costed_plan(page_sql)

    assert "shipment_buyer_recent" in plan and "shipment_supplier_recent" in plan, plan
    assert "Index Scan Backward using orders_shipment_pkey" not in plan and "BitmapOr" not in plan, plan


def _viewsets(base: type) -> list[type]:
    return [view for sub in base.__subclasses__() for view in (sub, *_viewsets(sub))]


def test_every_list_cut_into_sides_pages_by_cursor_with_an_index_in_id_order_on_each_side():
    import_module(settings.ROOT_URLCONF)  # every API view imported
    views = {view for view in _viewsets(ApiViewSet) if view.party_fields}
    assert {view.__name__ for view in views} >= {
        "OrderViewSet",
        "ShipmentViewSet",
        "InvoiceViewSet",
        "ReturnViewSet",
        "CreditNoteViewSet",
        "RedLetterFormViewSet",
    }
    for view in views:
        # it has `bounded`, which takes each side's newest rows: the list must read newest first
        assert issubclass(view.pagination_class, NewestFirstCursorPagination), view.__name__
        assert view.pagination_class.ordering == "-id", view.__name__
        model = view.serializer_class.Meta.model
        ordered = {tuple(index.fields) for index in model._meta.indexes}
        assert all((field, "-id") in ordered for field in view.party_fields), (view.__name__, sorted(ordered))


@pytest.mark.parametrize("query", ["?status=placed", "?status=placed&role=supplier"])
def test_a_page_of_orders_on_their_way_reads_the_in_flight_indexes(market, distributor_orders, query):
    # given: the page's statement; and years of history (foreign keys off, as plans.history pads): 5,000 received
    # orders on each side of the distributor, along which a page of its orders to confirm walked each side's index
    # of all its orders; 30,000 received orders of other parties; and 2,000 of theirs awaiting confirmation (the
    # platform's, all of which the state's own index would read)
    with CaptureQueriesContext(connection) as queries:
        assert distributor_orders.get(f"/api/v1/orders/{query}&page_size=2").status_code == 200
    page_sql = next(q["sql"] for q in queries.captured_queries if "ORDER BY" in q["sql"] and "LIMIT" in q["sql"])
    mine = [Order.objects.filter(**{side: market.supplier}).first().pk for side in ("buyer", "supplier")]
    theirs = Order.objects.exclude(buyer=market.supplier).exclude(supplier=market.supplier).filter(status="placed")
    others = {"buyer_id": "100000 + n %% 2000", "supplier_id": "200000 + n %% 200"}
    padding = [
        *(plans.copies(Order, pk, 5_000, status="'received'", number=f"'MINE{pk}-' || n") for pk in mine),
        plans.copies(Order, theirs.first().pk, 30_000, status="'received'", number="'DONE' || n", **others),
        plans.copies(Order, theirs.first().pk, 2_000, number="'OPEN' || n", **others),
    ]

    with plans.history(["orders_order"], *padding):
        plan = plans.costed_plan(page_sql)

    # then: each side reads its own orders on their way, and nothing else
    assert "order_supplier_in_flight" in plan, plan
    assert ("order_buyer_in_flight" in plan) == ("role=" not in query), plan
    assert not {"order_supplier_recent", "order_buyer_recent", "order_status_expiry"} & set(plan.split()), plan
    assert "Backward using orders_order_pkey" not in plan, plan


def test_a_page_of_shipments_in_transit_reads_the_in_transit_indexes(market, distributor_shipments):
    # given: as for orders, the distributor's received shipments on each side, other parties' received ones and
    # theirs in transit (copies of one shipment each: sequences within the smallint)
    with CaptureQueriesContext(connection) as queries:
        assert distributor_shipments.get("/api/v1/shipments/?status=in_transit&page_size=2").status_code == 200
    page_sql = next(q["sql"] for q in queries.captured_queries if "UNION ALL" in q["sql"])
    mine = [Shipment.objects.filter(**{side: market.supplier}).first().pk for side in ("buyer", "supplier")]
    done, underway = Shipment.objects.exclude(buyer=market.supplier).exclude(supplier=market.supplier)[:2]
    others = {"sequence": "100 + n", "buyer_id": "100000 + n %% 2000", "supplier_id": "200000 + n %% 200"}
    padding = [
        *(plans.copies(Shipment, pk, 5_000, status="'received'", sequence="100 + n") for pk in mine),
        plans.copies(Shipment, done.pk, 30_000, status="'received'", **others),
        plans.copies(Shipment, underway.pk, 2_000, **others),
    ]

    with plans.history(["orders_shipment"], *padding):
        plan = plans.costed_plan(page_sql)

    assert "shipment_buyer_in_transit" in plan and "shipment_supplier_in_transit" in plan, plan
    assert not {"shipment_buyer_recent", "shipment_supplier_recent", "shipment_status_shipped"} & set(plan.split())
    assert "Backward using orders_shipment_pkey" not in plan, plan
