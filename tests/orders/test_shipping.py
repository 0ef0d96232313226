"""Shipping in parts, closing the rest, invoices that match the goods, lots the rules refuse (SPEC §5)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.choices import DrugType
from catalog.models import Drug, Offer
from orders.models import Order, Shipment
from pharmex.choices import StaffRole
from tests.conftest import client_for
from tests.factories import OfferFactory, UserFactory
from tests.orders.conftest import place
from tests.orders.shipping import invoice_number, item, receive, ship, shipment_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed(market):
    order_id = place(market.buyer_client(), (market.offer.pk, 5)).json()["id"]
    assert market.supplier_client().post(f"/api/v1/orders/{order_id}/confirm/", {}, format="json").status_code == 200
    return Order.objects.get(pk=order_id)


def stock(market) -> int:
    return Offer.objects.get(pk=market.offer.pk).stock


def test_an_order_ships_in_parts_and_is_received_with_its_last_shipment(market, confirmed):
    line = confirmed.lines.get()
    first = ship(market.supplier_client(), confirmed, shipment_body(confirmed, item(line, 2, lot="A1")))
    assert first.status_code == 200, first.json()
    assert (first.json()["status"], first.json()["lines"][0]["shipped_quantity"]) == ("partially_shipped", 2)
    assert confirmed.events.filter(action="ship_part").count() == 1

    second = ship(market.supplier_client(), confirmed, shipment_body(confirmed, item(line, 3, lot="B2")))
    assert second.json()["status"] == "shipped"
    first_shipment, second_shipment = Shipment.objects.filter(order=confirmed).order_by("sequence")
    assert (first_shipment.sequence, second_shipment.sequence) == (1, 2)

    receive(market.buyer_client(), second_shipment)
    confirmed.refresh_from_db()
    assert confirmed.status == "shipped"  # the first shipment is still on its way
    receive(market.buyer_client(), first_shipment)
    confirmed.refresh_from_db()
    assert (confirmed.status, confirmed.accepted_gross) == ("received", Decimal("61.75"))
    assert confirmed.events.filter(action="complete").count() == 1


def test_the_supplier_closes_what_it_will_not_ship_and_the_rest_goes_back_to_stock(market, confirmed):
    line = confirmed.lines.get()
    assert stock(market) == 95
    ship(market.supplier_client(), confirmed, shipment_body(confirmed, item(line, 3)))
    closed = market.supplier_client().post(f"/api/v1/orders/{confirmed.pk}/close/", {"note": "缺货"}, format="json")
    assert closed.status_code == 200, closed.json()
    body = closed.json()
    assert (body["status"], body["lines"][0]["shipped_quantity"], body["lines"][0]["closed_quantity"]) == (
        "shipped",
        3,
        2,
    )
    assert stock(market) == 97
    assert confirmed.events.get(action="close_rest").data["closed"] == {str(line.pk): 2}
    from webhooks.models import OutboxEvent

    told = OutboxEvent.objects.filter(event_type="order.shipped", organization_id=market.buyer.pk)
    assert told.count() == 1


def test_close_rest_in_the_shipment_itself_ships_and_closes_at_once(market, confirmed):
    line = confirmed.lines.get()
    response = ship(market.supplier_client(), confirmed, shipment_body(confirmed, item(line, 4), close_rest=True))
    assert response.json()["status"] == "shipped"
    assert response.json()["lines"][0]["closed_quantity"] == 1
    assert stock(market) == 96


def test_nothing_is_closed_before_something_shipped_and_nothing_ships_twice(market, confirmed):
    refused = market.supplier_client().post(f"/api/v1/orders/{confirmed.pk}/close/", {}, format="json")
    assert refused.status_code == 409
    line = confirmed.lines.get()
    ship(market.supplier_client(), confirmed, shipment_body(confirmed, item(line, 4)))
    over = ship(market.supplier_client(), confirmed, shipment_body(confirmed, item(line, 2)))
    assert over.status_code == 400
    assert [e["code"] for e in over.json()["errors"]] == ["over_shipped"]


def test_the_ship_deadline_counts_until_the_first_shipment(market, confirmed, settings):
    from orders.services import order_flag_overdue

    line = confirmed.lines.get()
    ship(market.supplier_client(), confirmed, shipment_body(confirmed, item(line, 1)))
    assert order_flag_overdue(now=timezone.now() + settings.ORDER_SHIP_DEADLINE + timedelta(hours=1)) == 0


def test_invoices_must_total_the_shipped_goods_and_be_real_numbers_used_once(market, confirmed):
    line = confirmed.lines.get()
    body = shipment_body(confirmed, item(line, 3))
    wrong = ship(market.supplier_client(), confirmed, {**body, "invoice_amount": "61.75"})
    assert [e["code"] for e in wrong.json()["errors"]] == ["invoice_amount_mismatch"]

    future_year = f"{(timezone.localdate().year + 1) % 100:02d}46" + "0" * 16
    bad = ship(
        market.supplier_client(),
        confirmed,
        {**body, "invoice_numbers": [future_year, "26990000000000000001", "26460000000000000007"]},
    )
    codes = [(e["field"], e["code"]) for e in bad.json()["errors"]]
    assert codes == [
        ("invoice_numbers[0]", "invoice_number_invalid"),
        ("invoice_numbers[1]", "invoice_number_invalid"),
    ]

    number = invoice_number()
    assert ship(market.supplier_client(), confirmed, {**body, "invoice_numbers": [number]}).status_code == 200
    again = ship(
        market.supplier_client(), confirmed, {**shipment_body(confirmed, item(line, 2)), "invoice_numbers": [number]}
    )
    assert [e["code"] for e in again.json()["errors"]] == ["invoice_number_used"]
    confirmed.refresh_from_db()
    assert confirmed.status == "partially_shipped"


def test_expiry_must_leave_the_buyers_minimum_shelf_life(market, confirmed):
    market.buyer.min_shelf_life_days = 365
    market.buyer.save()
    line = confirmed.lines.get()
    response = ship(market.supplier_client(), confirmed, shipment_body(confirmed, item(line, 5, expiry_days=300)))
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "shelf_life_too_short"
    confirmed.refresh_from_db()
    assert confirmed.status == "confirmed"


def test_a_recalled_lot_cannot_ship_whatever_its_spelling(market, confirmed):
    admin = UserFactory(staff_role=StaffRole.ADMIN, is_staff=True)
    recalled = client_for(admin).post(
        "/api/v1/recalls/",
        {"drug": market.offer.drug_id, "lots": ["bad 01"], "level": "II", "reason": "溶出度不合格"},
        format="json",
    )
    assert recalled.status_code == 201, recalled.json()
    line = confirmed.lines.get()
    refused = ship(market.supplier_client(), confirmed, shipment_body(confirmed, item(line, 5, lot="ＢＡＤ01")))
    assert (refused.status_code, refused.json()["code"]) == (409, "recalled_lot")


def test_only_the_supplier_ships_and_a_foreign_organisation_sees_nothing(market, confirmed):
    line = confirmed.lines.get()
    body = shipment_body(confirmed, item(line, 5))
    assert ship(market.buyer_client(), confirmed, body).status_code == 403
    other = OfferFactory().supplier
    from tests.factories import MembershipFactory

    stranger = client_for(MembershipFactory(organization=other).user)
    assert ship(stranger, confirmed, body).status_code == 404
    assert ship(market.supplier_client(), confirmed, body).status_code == 200
    shipment = Shipment.objects.get(order=confirmed)
    for path in (
        f"/api/v1/shipments/{shipment.pk}/",
        f"/api/v1/orders/{confirmed.pk}/shipments/",
        f"/api/v1/shipments/{shipment.pk}/delivery-note/",
        f"/api/v1/shipments/{shipment.pk}/delivery-note.pdf/",
        f"/api/v1/shipments/{shipment.pk}/codes.csv/",
    ):
        assert stranger.get(path).status_code == 404, path
        assert market.buyer_client().get(path).status_code == 200, path
        assert market.supplier_client().get(path).status_code == 200, path
    assert stranger.post(f"/api/v1/shipments/{shipment.pk}/receive/", {}, format="json").status_code == 404


def test_the_buyer_reads_what_was_shipped(market, confirmed):
    """A list shows how many codes each line carried (a case and its units each count); the detail lists them."""
    line = confirmed.lines.get()
    coded = item(
        line, 2, lot="A1", codes=["80000000000000000001"], cases=[("80000000000000000009", ["80000000000000000002"])]
    )
    body = shipment_body(confirmed, coded, item(line, 3, lot="B2"))
    assert ship(market.supplier_client(), confirmed, body).status_code == 200
    shipments = market.buyer_client().get(f"/api/v1/orders/{confirmed.pk}/shipments/").json()["results"]
    assert len(shipments) == 1
    shipment = shipments[0]
    assert (shipment["carrier"], shipment["tracking_number"], shipment["invoice_numbers"], shipment["gross"]) == (
        "顺丰速运",
        "SF1234567890",
        body["invoice_numbers"],
        "61.75",
    )
    assert [(line["lot_number"], line["quantity"], line["code_count"]) for line in shipment["lines"]] == [
        ("A1", 2, 3),
        ("B2", 3, 0),
    ]
    assert all("codes" not in line for line in shipment["lines"])
    assert shipment["cold_chain"] == {"required": False, "flag": "", "rejectable_lines": [], "record": None}
    detail = market.buyer_client().get(f"/api/v1/shipments/{shipment['id']}/").json()
    codes = [[(c["code"], c["is_case"], c["case"]) for c in line.pop("codes")] for line in detail["lines"]]
    assert codes == [
        [
            ("80000000000000000001", False, None),
            ("80000000000000000002", False, "80000000000000000009"),
            ("80000000000000000009", True, None),
        ],
        [],
    ]
    # the detail adds the two-invoice chain (两票制), which binds public institutions only, not this pharmacy
    assert detail.pop("invoice_chain")["applies"] is False
    assert detail == shipment


def test_a_list_of_shipments_reads_no_code_and_a_detail_reads_its_own_once(market, confirmed):
    line = confirmed.lines.get()
    for lot, codes in (("A1", ["80000000000000000011", "80000000000000000012"]), ("B2", ["80000000000000000013"])):
        body = shipment_body(confirmed, item(line, len(codes) + 1, lot=lot, codes=codes))
        assert ship(market.supplier_client(), confirmed, body).status_code == 200
    client = market.buyer_client()
    for path in ("/api/v1/shipments/", f"/api/v1/orders/{confirmed.pk}/shipments/"):
        with CaptureQueriesContext(connection) as reads:
            page = client.get(path).json()["results"]
        assert [[line["code_count"] for line in shipment["lines"]] for shipment in page] == [[1], [2]]
        assert not [q["sql"] for q in reads.captured_queries if "orders_custodyhop" in q["sql"]], path
    with CaptureQueriesContext(connection) as reads:
        detail = client.get(f"/api/v1/shipments/{page[1]['id']}/").json()
    assert [c["code"] for c in detail["lines"][0]["codes"]] == ["80000000000000000011", "80000000000000000012"]
    (hops_read,) = [q["sql"] for q in reads.captured_queries if 'FROM "orders_custodyhop"' in q["sql"]]
    assert '"orders_custodyhop"."shipped_at" IN' in hops_read  # the partition key: one month's partition is read


def test_tcm_decoction_pieces_ship_with_their_place_of_origin_other_drugs_need_none(market, confirmed):
    """中药饮片 need the lot's 产地 (SPEC §7a): refused without it, kept on the shipment line and shown with it."""
    line = confirmed.lines.get()
    approval_number = line.drug.approval_number
    Drug.objects.filter(pk=line.drug_id).update(drug_type=DrugType.TCM_DECOCTION, approval_number="")
    missing = ship(market.supplier_client(), confirmed, shipment_body(confirmed, item(line, 2, lot="Y1")))
    assert missing.status_code == 400, missing.json()
    assert [(e["field"], e["code"]) for e in missing.json()["errors"]] == [
        ("lines[0].place_of_origin", "place_of_origin_required")
    ]
    blank = ship(
        market.supplier_client(),
        confirmed,
        shipment_body(confirmed, {**item(line, 2, lot="Y1"), "place_of_origin": "  "}),
    )
    assert [(e["field"], e["code"]) for e in blank.json()["errors"]] == [
        ("lines[0].place_of_origin", "place_of_origin_required")
    ]
    assert not Shipment.objects.filter(order=confirmed).exists()

    body = shipment_body(confirmed, {**item(line, 2, lot="Y1"), "place_of_origin": "四川江油"})
    assert ship(market.supplier_client(), confirmed, body).status_code == 200
    shipment = Shipment.objects.get(order=confirmed)
    assert shipment.lines.get().place_of_origin == "四川江油"
    shown = market.supplier_client().get(f"/api/v1/shipments/{shipment.pk}/")
    assert shown.status_code == 200, shown.json()
    assert shown.json()["lines"][0]["place_of_origin"] == "四川江油"

    Drug.objects.filter(pk=line.drug_id).update(drug_type=DrugType.CHEMICAL, approval_number=approval_number)
    other = ship(market.supplier_client(), confirmed, shipment_body(confirmed, item(line, 3, lot="Y2")))
    assert other.status_code == 200, other.json()
    second = Shipment.objects.get(order=confirmed, sequence=2)
    assert second.lines.get().place_of_origin == ""
    assert market.supplier_client().get(f"/api/v1/shipments/{second.pk}/").json()["lines"][0]["place_of_origin"] == ""
