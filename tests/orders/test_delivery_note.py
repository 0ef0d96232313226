"""The delivery note (随货同行单, SPEC §5): the GSP fields as JSON and as a PDF whose Chinese text can be read."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import License
from catalog.models import Drug
from orders.delivery_note import QUALITY_STAMP
from orders.models import Order, Shipment
from pharmex import pdf
from tests.factories import DrugFactory, OfferFactory
from tests.orders.conftest import place
from tests.orders.shipping import item, ship, shipment_body

pytestmark = pytest.mark.django_db


def confirmed_order(market, *lines) -> Order:
    response = place(market.buyer_client(), *lines)
    assert response.status_code == 201, response.json()
    order_id = response.json()["id"]
    assert market.supplier_client().post(f"/api/v1/orders/{order_id}/confirm/", {}, format="json").status_code == 200
    return Order.objects.get(pk=order_id)


def shipped(market, order: Order, *items) -> Shipment:
    response = ship(market.supplier_client(), order, shipment_body(order, *items))
    assert response.status_code == 200, response.json()
    return Shipment.objects.filter(order=order).latest("sequence")


def licence_number(organization) -> str:
    return License.objects.get(organization=organization).number


def pdf_text(content: bytes) -> str:
    """Every page's text with the whitespace removed (a table cell may wrap anywhere)."""
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def test_the_delivery_note_has_the_gsp_fields_of_what_was_shipped(market):
    order = confirmed_order(market, (market.offer.pk, 5))
    line = order.lines.get()
    drug = market.offer.drug
    shipment = shipped(
        market, order, item(line, 2, lot="A1", expiry_days=400), item(line, 1, lot="B2", expiry_days=500)
    )
    today = timezone.localdate()

    response = market.buyer_client().get(f"/api/v1/shipments/{shipment.pk}/delivery-note/")

    assert response.status_code == 200, response.json()
    row = {
        "generic_name": "阿莫西林胶囊",
        "brand_name": "",
        "dosage_form": "片剂",
        "specification": "0.25g",
        "package": "24粒/盒",
        "manufacturer": "海南测试制药有限公司",
        "marketing_authorization_holder": "海南测试制药有限公司",
        "approval_number": drug.approval_number,
        "unit": "盒",
        "unit_price": "12.35",
        "storage": "Ambient (常温)",
    }
    assert response.json() == {
        "number": f"{order.number}-1",
        "order_number": order.number,
        "shipped_on": today.isoformat(),
        "supplier": {"name": "海南康泰医药有限公司", "license_number": licence_number(market.supplier)},
        "buyer": {"name": "海口康宁大药房", "license_number": licence_number(market.buyer)},
        "carrier": "顺丰速运",
        "tracking_number": "SF1234567890",
        "invoice_numbers": shipment.invoice_numbers,
        "lines": [
            {
                **row,
                "lot_number": "A1",
                "expiry_date": (today + timedelta(days=400)).isoformat(),
                "quantity": 2,
                "amount": "24.70",
            },
            {
                **row,
                "lot_number": "B2",
                "expiry_date": (today + timedelta(days=500)).isoformat(),
                "quantity": 1,
                "amount": "12.35",
            },
        ],
        "total_amount": "37.05",
        "quality_stamp": QUALITY_STAMP,
    }
    assert drug.approval_number.startswith("国药准字")
    # the supplier and admins read the same note
    assert market.supplier_client().get(f"/api/v1/shipments/{shipment.pk}/delivery-note/").json() == response.json()


def test_each_shipment_has_its_own_note_with_only_what_it_carried(market):
    second_drug = DrugFactory(generic_name="布洛芬缓释胶囊", dosage_form="capsule", brand_name="芬必得")
    second = OfferFactory(supplier=market.supplier, drug=second_drug, unit_price="20.00", stock=50)
    order = confirmed_order(market, (market.offer.pk, 2), (second.pk, 3))
    first_line, second_line = order.lines.order_by("line_no")
    shipped(market, order, item(first_line, 2, lot="A1"))
    later = shipped(market, order, item(second_line, 3, lot="X9"))

    note = market.buyer_client().get(f"/api/v1/shipments/{later.pk}/delivery-note/").json()

    assert note["number"] == f"{order.number}-2"
    assert [
        (line["generic_name"], line["brand_name"], line["dosage_form"], line["lot_number"], line["amount"])
        for line in note["lines"]
    ] == [("布洛芬缓释胶囊", "芬必得", "胶囊剂", "X9", "60.00")]
    assert note["total_amount"] == "60.00"


def test_the_pdf_carries_the_chinese_names_and_the_lot(market):
    order = confirmed_order(market, (market.offer.pk, 5))
    shipment = shipped(market, order, item(order.lines.get(), 5, lot="LOT2026X"))

    response = market.buyer_client().get(f"/api/v1/shipments/{shipment.pk}/delivery-note.pdf/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{order.number}-1.pdf"'
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    for expected in (
        "随货同行单",
        "阿莫西林胶囊",
        "海南康泰医药有限公司",
        "海口康宁大药房",
        "海南测试制药有限公司",
        "片剂",
        "LOT2026X",
        licence_number(market.supplier),
        licence_number(market.buyer),
        order.number,
        "61.75",
        "供货单位质量管理专用章",
    ):
        assert expected in text, expected


def test_markup_characters_in_names_are_printed_as_text(market):
    Drug.objects.filter(pk=market.offer.drug_id).update(generic_name="复方<b>甘草&片</b>")
    market.supplier.legal_name = "海南<康泰> & 医药有限公司"
    market.supplier.save(update_fields=["legal_name"])
    order = confirmed_order(market, (market.offer.pk, 1))
    shipment = shipped(market, order, item(order.lines.get(), 1, lot="A&B<1>"))

    response = market.buyer_client().get(f"/api/v1/shipments/{shipment.pk}/delivery-note.pdf/")

    assert response.status_code == 200
    text = pdf_text(response.content)
    for expected in ("复方<b>甘草&片</b>", "海南<康泰>&医药有限公司", "A&B<1>"):
        assert expected in text, expected
    note = market.buyer_client().get(f"/api/v1/shipments/{shipment.pk}/delivery-note/").json()
    assert (note["lines"][0]["generic_name"], note["supplier"]["name"]) == (
        "复方<b>甘草&片</b>",
        "海南<康泰> & 医药有限公司",
    )


def test_a_note_of_many_lots_runs_over_several_pages(market):
    market.offer.stock = 1000
    market.offer.save(update_fields=["stock"])
    order = confirmed_order(market, (market.offer.pk, 80))
    line = order.lines.get()
    shipment = shipped(market, order, *(item(line, 1, lot=f"LOT{n:03d}") for n in range(80)))

    response = market.buyer_client().get(f"/api/v1/shipments/{shipment.pk}/delivery-note.pdf/")

    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) > 1
    text = pdf_text(response.content)
    assert all(f"LOT{n:03d}" in text for n in range(80))
    assert text.count("通用名称") == len(reader.pages)  # the header row repeats on every page


def test_every_character_is_set_in_a_font_that_has_it():
    # the CJK font has no Latin, digits or Greek; Helvetica and Symbol set those, ℃ and Ⅱ are spelled °C and II
    content = pdf.table_document(
        title="随货同行单",
        facts=[("许可证号", "琼AA000001")],
        header=["通用名称", "规格", "贮藏"],
        rows=[["重组人干扰素α2b注射液", "10μg×1支", "2–8℃ Ⅱ类"]],
    )
    assert pdf_text(content) == "随货同行单许可证号：琼AA000001通用名称规格贮藏重组人干扰素α2b注射液10µg×1支2–8°CII类"
