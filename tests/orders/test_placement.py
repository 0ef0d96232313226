"""Placing orders: reservation, snapshots, money, numbering, atomicity, idempotency (SPEC §5)."""

import re
import uuid
from decimal import Decimal

import pytest

from catalog.models import Offer
from orders.models import Order, OrderEvent, OrderLine
from pharmex.models import AuditEvent
from tests.factories import OfferFactory, OrganizationFactory
from tests.orders.conftest import place

pytestmark = pytest.mark.django_db


def test_placing_reserves_stock_snapshots_the_line_and_totals_the_money(market, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        response = place(market.buyer_client(), (market.offer.pk, 3))

    assert response.status_code == 201, response.json()
    body = response.json()
    assert re.fullmatch(r"PX\d{8}\d{8}", body["number"])
    assert body["status"] == "placed"
    assert (body["total_gross"], body["total_tax"], body["currency"]) == ("37.05", "4.26", "CNY")
    assert body["lines"] == [
        {
            "id": body["lines"][0]["id"],
            "line_no": 1,
            "offer": market.offer.pk,
            "drug": market.offer.drug_id,
            "drug_name": "阿莫西林胶囊",
            "brand_name": "",
            "dosage_form": "tablet",
            "specification": "0.25g",
            "package": "24粒/盒",
            "manufacturer_name": "海南测试制药有限公司",
            "mah_name": "海南测试制药有限公司",
            "approval_number": market.offer.drug.approval_number,
            "sale_unit": "盒",
            "unit_price": "12.35",
            "vat_rate": "0.13",
            "quantity": 3,
            "line_gross": "37.05",
            "line_tax": "4.26",
            "shipped_quantity": 0,
            "accepted_quantity": 0,
            "rejected_quantity": 0,
            "closed_quantity": 0,
            "rejection_reason": "",
            "customs_status": "duty_paid",
            "second_line": False,
            "lecheng_approval": None,
            "requested_quantity": None,
            "confirmation": "",
            "confirmation_reason": "",
            "proposed_quantity": None,
            "proposed_offer": None,
            "proposal_reason": "",
            "payer_fund": None,
        }
    ]
    market.offer.refresh_from_db()
    assert market.offer.stock == 97
    order = Order.objects.get()
    assert list(order.events.values_list("action", "to_status")) == [("place", "placed")]
    assert AuditEvent.objects.filter(action="order.placed", object_id=str(order.pk)).count() == 1
    assert response["ETag"]


def test_line_tax_is_rounded_half_up_per_line_and_totals_are_sums():
    from pharmex.money import line_amounts

    # 0.05 × 1 at 13%: tax = 0.05 − 0.05/1.13 = 0.00575… → 0.01 (half up), not 0.00
    assert line_amounts(unit_price=Decimal("0.05"), quantity=1, vat_rate=Decimal("0.13")) == (
        Decimal("0.05"),
        Decimal("0.01"),
    )
    assert line_amounts(unit_price=Decimal("10.00"), quantity=3, vat_rate=Decimal("0.13")) == (
        Decimal("30.00"),
        Decimal("3.45"),
    )


def test_later_price_changes_do_not_touch_placed_lines(market):
    place(market.buyer_client(), (market.offer.pk, 1))
    Offer.objects.filter(pk=market.offer.pk).update(unit_price=Decimal("99.00"))
    assert OrderLine.objects.get().unit_price == Decimal("12.35")


def test_a_refused_placement_changes_nothing(market, django_capture_on_commit_callbacks):
    # given: a second line whose offer lacks stock
    second = OfferFactory(supplier=market.supplier, stock=1)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = place(market.buyer_client(), (market.offer.pk, 2), (second.pk, 5))

    assert response.status_code == 409
    assert response.json()["type"].endswith("/insufficient-stock")
    assert response.json()["errors"] == [
        {"field": "lines[1].quantity", "code": "insufficient_stock", "message": "Only 1 available."}
    ]
    assert not Order.objects.exists() and not OrderLine.objects.exists() and not OrderEvent.objects.exists()
    assert list(Offer.objects.order_by("pk").values_list("stock", flat=True)) == [100, 1]
    assert not AuditEvent.objects.filter(action="order.placed").exists()
    assert callbacks == []


def test_a_retried_placement_creates_one_order_and_one_reservation(market):
    client = market.buyer_client()
    first = place(client, (market.offer.pk, 4), key="order-7")
    retry = place(client, (market.offer.pk, 4), key="order-7")
    assert first.status_code == retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json()["id"] == first.json()["id"]
    assert Order.objects.count() == 1
    market.offer.refresh_from_db()
    assert market.offer.stock == 96


def test_one_order_is_with_one_supplier(market):
    other = OfferFactory(supplier=OrganizationFactory())
    response = place(market.buyer_client(), (market.offer.pk, 1), (other.pk, 1))
    assert response.status_code == 409
    assert response.json()["errors"] == [
        {"field": "lines", "code": "several_suppliers", "message": "All lines must share one supplier."}
    ]


def test_request_and_checkout_ids_are_time_ordered(market):
    """The audit log's index of request ids and the orders' of checkout ids keep every year: each new id sorts after
    the ones before it (UUIDv7), so it lands on the index's newest leaf rather than anywhere (bench/index_keys.py)."""
    request_ids, checkout_ids = [], []
    for _ in range(3):
        response = place(market.buyer_client(), (market.offer.pk, 1), path="/api/v1/checkout/")
        assert response.status_code == 201, response.json()
        request_ids.append(response["X-Request-ID"])
        checkout_ids.append(response.json()["checkout_id"])
        order_id = response.json()["orders"][0]["id"]
        recorded = AuditEvent.objects.get(object_type="order", object_id=str(order_id), action="order.placed")
        assert recorded.request_id == response["X-Request-ID"]

    assert all(re.fullmatch(r"[0-9a-f]{32}", rid) and uuid.UUID(rid).version == 7 for rid in request_ids)
    assert all(uuid.UUID(cid).version == 7 for cid in checkout_ids)
    assert request_ids == sorted(set(request_ids)) and checkout_ids == sorted(set(checkout_ids))
    # A well-formed id of the client's own is kept as it is, whatever its order.
    mine = market.buyer_client().get("/api/v1/orders/", HTTP_X_REQUEST_ID="zz-client-chosen-id")
    assert mine["X-Request-ID"] == "zz-client-chosen-id"


def test_checkout_creates_one_order_per_supplier_all_or_nothing(market):
    second_supplier = OrganizationFactory()
    other = OfferFactory(supplier=second_supplier, unit_price=Decimal("5.00"), stock=10)
    response = place(market.buyer_client(), (market.offer.pk, 2), (other.pk, 3), path="/api/v1/checkout/")

    assert response.status_code == 201, response.json()
    orders = response.json()["orders"]
    assert [(o["supplier"]["id"], o["total_gross"]) for o in orders] == sorted(
        [(market.supplier.pk, "24.70"), (second_supplier.pk, "15.00")]
    )
    assert {o["checkout_id"] for o in orders} == {response.json()["checkout_id"]}

    # all or nothing: one bad line refuses the whole cart
    refused = place(market.buyer_client(), (market.offer.pk, 2), (other.pk, 30), path="/api/v1/checkout/")
    assert refused.status_code == 409
    assert Order.objects.count() == 2
    assert list(
        Offer.objects.filter(pk__in=[market.offer.pk, other.pk]).order_by("pk").values_list("stock", flat=True)
    ) == [98, 7]


def test_lines_per_order_are_limited(market, settings):
    response = place(market.buyer_client(), *[(market.offer.pk, 1)] * (settings.MAX_ORDER_LINES + 1))
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "lines"


def test_preview_prices_and_judges_lines_and_places_nothing(market):
    response = place(market.buyer_client(), (market.offer.pk, 3), (999999, 1), path="/api/v1/checkout/preview/")
    assert response.status_code == 200
    body = response.json()
    assert body["eligible"] is False
    assert (body["total_gross"], body["total_tax"]) == ("37.05", "4.26")
    assert body["lines"][0]["eligible"] is True
    assert body["lines"][1]["reasons"] == [
        {"field": "lines[1].offer_id", "code": "offer_not_found", "message": "There is no offer 999999."}
    ]
    assert body["orders"] == [{"supplier_id": market.supplier.pk, "total_gross": "37.05", "total_tax": "4.26"}]
    assert not Order.objects.exists()


def test_order_numbers_take_more_digits_once_the_sequence_passes_eight(market):
    from django.db import connection

    # setval is not rolled back with the test's transaction: the sequence is put back for the tests after this one.
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value, is_called FROM orders_order_number_seq")
        before = cursor.fetchone()
        cursor.execute("SELECT setval('orders_order_number_seq', 99999998)")
    try:
        client = market.buyer_client()
        numbers = [place(client, (market.offer.pk, 1)).json()["number"] for _ in range(3)]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT setval('orders_order_number_seq', %s, %s)", before)
    assert [number[10:] for number in numbers] == ["99999999", "100000000", "100000001"]
    assert len(set(numbers)) == 3 and all(number.startswith("PX") for number in numbers)
    # A bank transfer naming the longer number still names the order (settlements.references).
    from settlements.references import order_numbers_in

    assert order_numbers_in(f"货款{numbers[1].lower()}，谢谢") == [numbers[1]]


def test_amounts_and_quantities_must_be_json_numbers_of_the_right_type(market):
    response = market.buyer_client().post(
        "/api/v1/orders/", {"lines": [{"offer_id": market.offer.pk, "quantity": "2"}]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "lines[0].quantity", "code": "invalid_type", "message": "Expected a JSON integer."}
    ]


def test_placing_makes_the_same_queries_whatever_the_number_of_lines(market, django_capture_on_commit_callbacks):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    offers = [market.offer, *(OfferFactory(supplier=market.supplier, stock=50) for _ in range(9))]
    client = market.buyer_client()
    counts = []
    for key, lines in (("one", offers[:1]), ("ten", offers)):
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=False):
            response = place(client, *((offer.pk, 1) for offer in lines), key=key)
        assert response.status_code == 201, response.json()
        counts.append(len(queries))
    # 6: the user with their memberships, key claim, the gate's reads (the offers, the parties' licences and the
    # buyer's negotiated prices, procurement's gate rule: orders.sql.gate_reads), the order with its lines and event,
    # stock, and last the audit record, the outbox rows and the stored response together (pharmex.appends); 2 more:
    # the savepoint the request's transaction is inside this test's
    assert counts == [8, 8]
    last = queries.captured_queries[-2]["sql"]
    assert all(name in last for name in ('"pharmex_auditevent"', '"webhooks_outboxevent"', '"pharmex_idempotencykey"'))


def test_without_a_key_the_records_still_go_last_in_one_statement_and_a_refusal_writes_none(
    market, django_capture_on_commit_callbacks
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from webhooks.models import OutboxEvent

    client = market.buyer_client()
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=False):
        placed = place(client, (market.offer.pk, 1))
    statements = [query["sql"] for query in queries.captured_queries]  # the next request resets Django's query log
    refused = place(client, (market.offer.pk, 10**6))

    assert (placed.status_code, refused.status_code) == (201, 409)
    last = statements[-2]  # before the test's savepoint is released
    assert '"pharmex_auditevent"' in last and '"webhooks_outboxevent"' in last
    assert sum('"pharmex_auditevent"' in sql for sql in statements) == 1
    order_id = str(placed.json()["id"])
    assert list(AuditEvent.objects.values_list("action", "object_id")) == [("order.placed", order_id)]
    assert set(OutboxEvent.objects.values_list("event_type", "object_id")) == {("order.placed", order_id)}


@pytest.mark.django_db(transaction=True)
def test_a_placements_array_reads_are_planned_once_not_for_each_cart(market):
    from django.db import connection

    from catalog.sql import STOCK_TAKE
    from orders.gate_rules import registered
    from orders.sql import gate_reads_statement

    client = market.buyer_client()
    connection.close()  # prepared statements live as long as the connection: start without those of other tests
    for n in range(14):  # psycopg prepares a statement after its fifth run (prepare_threshold): 9 runs prepared
        assert place(client, (market.offer.pk, 1), key=f"k{n}").status_code == 201
    plans = []
    for statement in (gate_reads_statement(registered())[0], STOCK_TAKE):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement LIKE %s",
                ["%" + statement.strip()[:60] + "%"],
            )
            plans.append(cursor.fetchall())
    # PostgreSQL's five trial plans, then the generic one for good (pharmex.db.any_of): no re-planning per cart.
    assert plans == [[(4, 5)], [(4, 5)]]


def test_the_placement_response_is_the_order_as_stored(market, django_capture_on_commit_callbacks):
    second = OfferFactory(supplier=market.supplier, stock=5, unit_price=Decimal("3.33"))
    client = market.buyer_client()
    with django_capture_on_commit_callbacks(execute=False):
        placed = place(client, (market.offer.pk, 2), (second.pk, 1))
    stored = client.get(f"/api/v1/orders/{placed.json()['id']}/")
    assert (placed.status_code, stored.status_code) == (201, 200)
    assert placed.json() == stored.json()
    assert placed["ETag"] == stored["ETag"]


def test_an_offer_id_beyond_the_database_range_is_an_offer_not_found(market):
    # the offers are read by hand-written SQL: an id no bigint can hold must not become a server error
    response = place(market.buyer_client(), (2**63, 1))
    assert response.status_code == 409
    assert response.json()["errors"] == [
        {"field": "lines[0].offer_id", "code": "offer_not_found", "message": f"There is no offer {2**63}."}
    ]
