"""GSP purchase and sales records (SPEC §7a): one per received line, from the order's snapshots."""

from __future__ import annotations

import csv
import io
from datetime import UTC
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import License
from catalog.choices import DrugType
from catalog.models import Drug
from orders.models import Order, Return, Shipment
from tests.orders.conftest import place
from tests.orders.returns import receive_back, request_return, step
from tests.orders.shipping import item, receipt, receive, ship, shipment_body

pytestmark = pytest.mark.django_db


def _records(client, kind: str, **params):
    today = timezone.localdate().isoformat()
    query = {"date_from": today, "date_to": today, **params}
    return client.get(f"/api/v1/records/{kind}/", query)


@pytest.fixture
def received(market) -> Order:
    """An order of 5 shipped in two parts, lots L1 (3) and L2 (2); the buyer rejects 1 of L1 as damaged."""
    order_id = place(market.buyer_client(), (market.offer.pk, 5)).json()["id"]
    market.supplier_client().post(f"/api/v1/orders/{order_id}/confirm/", {}, format="json")
    order = Order.objects.get(pk=order_id)
    line = order.lines.get()
    for lot, quantity in (("L1", 3), ("L2", 2)):
        response = ship(market.supplier_client(), order, shipment_body(order, item(line, quantity, lot=lot)))
        assert response.status_code == 200, response.json()
    first, second = Shipment.objects.filter(order=order).order_by("sequence")
    rejected = {first.lines.get().pk: (1, [])}
    assert receive(market.buyer_client(), first, receipt(first, rejected=rejected)).status_code == 200
    assert receive(market.buyer_client(), second).status_code == 200
    return order


def test_records_match_the_order_line_by_line_with_a_rejection(market, received):
    line = received.lines.get()
    purchases = _records(market.buyer_client(), "purchases")
    assert purchases.status_code == 200, purchases.json()
    body = purchases.json()
    assert body["count"] == 2
    first = body["results"][0]
    assert [(r["lot_number"], r["quantity"], r["amount"]) for r in body["results"]] == [
        ("L1", 2, "24.70"),
        ("L2", 2, "24.70"),
    ]
    assert sum(r["quantity"] for r in body["results"]) == line.accepted_quantity == 4
    assert first == {
        **first,
        "record_type": "purchase",
        "order_number": received.number,
        "shipment_sequence": 1,
        "counterparty_name": "海南康泰医药有限公司",
        "counterparty_license_number": received.supplier_license_number,
        "generic_name": "阿莫西林胶囊",
        "specification": "0.25g",
        "package": "24粒/盒",
        "dosage_form": line.dosage_form,
        "manufacturer_name": line.manufacturer_name,
        "mah_name": line.mah_name,
        "approval_number": line.approval_number,
        "place_of_origin": "",  # not 中药饮片: none shipped, none recorded
        "unit": line.sale_unit,
        "unit_price": "12.35",
        "staff": market.buyer_operator.email,
        "reason": "",
    }
    shipment = Shipment.objects.get(order=received, sequence=1)
    assert first["invoice_numbers"] == ", ".join(shipment.invoice_numbers)
    assert first["expiry_date"] == shipment.lines.get().expiry_date.isoformat()
    assert first["counterparty_license_number"]  # the supplier's trading licence at placement

    # the supplier's sales records are the same lines, seen from the other side
    sales = _records(market.supplier_client(), "sales").json()["results"]
    assert [(r["record_type"], r["lot_number"], r["quantity"], r["amount"]) for r in sales] == [
        ("sales", "L1", 2, "24.70"),
        ("sales", "L2", 2, "24.70"),
    ]
    assert sales[0]["counterparty_name"] == "海口康宁大药房"
    assert sales[0]["staff"] == market.supplier_operator.email
    # an organisation's own sales are not its purchases
    assert _records(market.supplier_client(), "purchases").json()["count"] == 0


def test_a_master_data_change_after_the_sale_does_not_change_a_record(market, received):
    before = _records(market.buyer_client(), "purchases").json()["results"]
    Drug.objects.filter(pk=market.offer.drug_id).update(generic_name="改名胶囊", specification="0.5g")
    market.offer.unit_price = Decimal("99.00")
    market.offer.save()
    type(market.supplier).objects.filter(pk=market.supplier.pk).update(legal_name="新名称医药有限公司")
    assert _records(market.buyer_client(), "purchases").json()["results"] == before


def test_records_export_as_csv_and_xlsx_through_the_safe_writer(market, received):
    Order.objects.filter(pk=received.pk).update(supplier_name="=HYPERLINK(1)")
    today = timezone.localdate().isoformat()
    response = market.buyer_client().get(
        "/api/v1/records/purchases/export/", {"date_from": today, "date_to": today, "file_format": "csv"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:3] == ["record_type", "date", "order_number"]
    assert [row[rows[0].index("lot_number")] for row in rows[1:]] == ["L1", "L2"]
    assert {row[rows[0].index("counterparty_name")] for row in rows[1:]} == {"'=HYPERLINK(1)"}

    xlsx = market.buyer_client().get(
        "/api/v1/records/purchases/export/", {"date_from": today, "date_to": today, "file_format": "xlsx"}
    )
    assert xlsx.status_code == 200
    assert b"".join(xlsx.streaming_content)[:2] == b"PK"


def test_a_date_range_outside_the_receipts_has_no_records_and_bad_ranges_are_refused(market, received):
    client = market.buyer_client()
    assert _records(client, "purchases", date_from="2020-01-01", date_to="2020-12-31").json()["count"] == 0
    backwards = _records(client, "purchases", date_from="2021-01-02", date_to="2021-01-01")
    assert backwards.status_code == 400
    assert _records(client, "purchases", date_from="2021-1-1").status_code == 400


def test_another_organisations_records_are_not_found(market, received):
    response = _records(market.buyer_client(), "purchases", organization=market.supplier.pk)
    assert response.status_code == 404


def _csv(client, kind: str) -> list[dict]:
    today = timezone.localdate().isoformat()
    response = client.get(f"/api/v1/records/{kind}/export/", {"date_from": today, "date_to": today})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_a_return_is_a_negative_record_on_both_sides_in_json_and_csv(market, received):
    """The flow: 5 ordered, L1 (3, 1 rejected at receipt) and L2 (2); the buyer returns 2 of L2, the supplier
    accepts 1 back and rejects 1 — so the records are +2 L1, +2 L2, −1 L2 (the return), both sides."""
    buyer, supplier = market.buyer_client(), market.supplier_client()
    second = Shipment.objects.get(order=received, sequence=2)
    asked = request_return(buyer, received, second, 2)
    assert asked.status_code == 201, asked.json()
    ret_id = asked.json()["id"]
    assert step(supplier, ret_id, "approve").status_code == 200
    shipped = step(buyer, ret_id, "ship-back", {"carrier": "顺丰速运", "tracking_number": "SF7"})
    assert shipped.status_code == 200, shipped.json()
    done = receive_back(supplier, Return.objects.get(pk=ret_id), rejected=1)
    assert done.status_code == 200, done.json()
    ret = Return.objects.get(pk=ret_id)
    line = received.lines.get()
    lot = second.lines.get()

    expected = {
        "purchases": ("purchase", market.buyer_client, market.buyer_operator.email, received.supplier_name),
        "sales": ("sales", market.supplier_client, market.supplier_operator.email, received.buyer_name),
    }
    for kind, (record_type, client, staff, counterparty) in expected.items():
        body = _records(client(), kind).json()
        assert body["count"] == 3
        rows = body["results"]
        assert [(r["record_type"], r["lot_number"], r["quantity"], r["amount"]) for r in rows] == [
            (record_type, "L1", 2, "24.70"),
            (record_type, "L2", 2, "24.70"),
            (record_type, "L2", -1, "-12.35"),
        ]
        back = rows[2]
        assert back == {
            **back,
            "order_number": received.number,
            "shipment_sequence": 2,
            "counterparty_name": counterparty,
            "generic_name": "阿莫西林胶囊",
            "specification": "0.25g",
            "unit_price": "12.35",
            "expiry_date": lot.expiry_date.isoformat(),
            "staff": staff,
            "reason": "Quality problem: 批号外观异常",
        }
        # dated at the supplier's receipt of the return
        assert back["date"].startswith(ret.received_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"))
        # the records add up to what the buyer holds: accepted at receipt minus accepted back
        assert sum(r["quantity"] for r in rows) == line.accepted_quantity - 1 == 3
        assert sum(Decimal(r["amount"]) for r in rows) == Decimal("37.05")

        # the union pages in SQL, in the same order as the export
        pages = [_records(client(), kind, page_size=2, page=n).json() for n in (1, 2)]
        assert [r for page in pages for r in page["results"]] == rows
        assert [page["count"] for page in pages] == [3, 3]

        exported = _csv(client(), kind)
        assert [(r["lot_number"], r["quantity"], r["amount"], r["reason"]) for r in exported] == [
            ("L1", "2", "24.70", ""),
            ("L2", "2", "24.70", ""),
            ("L2", "-1", "-12.35", "Quality problem: 批号外观异常"),
        ]
        assert exported[2]["staff"] == staff


def test_the_place_of_origin_of_tcm_decoction_pieces_is_in_the_records_and_their_returns(market):
    """中药饮片: the 产地 the supplier shipped the lot with is on both sides' records, JSON and CSV, returns too."""
    buyer, supplier = market.buyer_client(), market.supplier_client()
    order_id = place(buyer, (market.offer.pk, 3)).json()["id"]
    assert supplier.post(f"/api/v1/orders/{order_id}/confirm/", {}, format="json").status_code == 200
    order = Order.objects.get(pk=order_id)
    line = order.lines.get()
    Drug.objects.filter(pk=line.drug_id).update(drug_type=DrugType.TCM_DECOCTION, approval_number="")
    for licence in License.objects.filter(organization=market.buyer):  # the pharmacy may hold 中药饮片
        licence.scope_tags = [*licence.scope_tags, "tcm_decoction"]
        licence.save(update_fields=["scope_tags"])
    body = shipment_body(order, {**item(line, 3, lot="T1"), "place_of_origin": "甘肃岷县"})
    assert ship(supplier, order, body).status_code == 200
    shipment = Shipment.objects.get(order=order)
    received_now = receive(buyer, shipment)
    assert received_now.status_code == 200, received_now.json()
    asked = request_return(buyer, order, shipment, 1)
    assert asked.status_code == 201, asked.json()
    ret_id = asked.json()["id"]
    assert step(supplier, ret_id, "approve").status_code == 200
    assert step(buyer, ret_id, "ship-back", {"carrier": "顺丰速运", "tracking_number": "SF8"}).status_code == 200
    assert receive_back(supplier, Return.objects.get(pk=ret_id)).status_code == 200

    for kind, client in (("purchases", market.buyer_client), ("sales", market.supplier_client)):
        rows = _records(client(), kind).json()["results"]
        assert [(r["lot_number"], r["quantity"], r["place_of_origin"]) for r in rows] == [
            ("T1", 3, "甘肃岷县"),
            ("T1", -1, "甘肃岷县"),
        ]
        exported = _csv(client(), kind)
        assert [(r["lot_number"], r["quantity"], r["place_of_origin"]) for r in exported] == [
            ("T1", "3", "甘肃岷县"),
            ("T1", "-1", "甘肃岷县"),
        ]
