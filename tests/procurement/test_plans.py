"""Procurement plans (采购计划, SPEC §5a): an uploaded plan priced and checked line by line by the gate."""

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook

from accounts.choices import OrganizationKind
from orders.models import Order
from tests.factories import OfferFactory, OrganizationFactory
from tests.procurement.conftest import TODAY, days

pytestmark = pytest.mark.django_db

PATH = "/api/v1/procurement-plans/check/"


def upload(client, content: bytes, name: str = "plan.csv"):
    file = io.BytesIO(content)
    file.name = name
    return client.post(PATH, {"file": file}, format="multipart")


def test_every_line_is_priced_and_checked_with_every_reason(public):
    # a negotiated price for the hospital at the MAH; the other distributor is not designated
    public.client(public.mah).post(
        "/api/v1/contract-prices/",
        {"buyer_id": public.hospital.pk, "drug_id": public.drug.pk, "unit_price": "9.00",
         "valid_from": str(TODAY()), "valid_until": str(days(30))},
        format="json",
    )  # fmt: skip
    cheap = OfferFactory(supplier=public.other, unit_price=Decimal("3.00"))  # a drug without a platform MAH
    plan = (
        "drug_id,quantity,supplier_id\n"
        f"{public.drug.pk},10,{public.mah.pk}\n"
        f"{public.drug.pk},100000,{public.other.pk}\n"
        f"{cheap.drug_id},4,\n"
        f"{cheap.drug_id},x,\n"
        "999999,1,\n"
    )
    response = upload(public.client(public.hospital), plan.encode())
    assert response.status_code == 200, response.json()
    lines = response.json()
    assert [(line["row"], line["unit_price"], line["gross"], line["eligible"]) for line in lines] == [
        (2, "9.00", "90.00", True),
        (3, "10.00", "1000000.00", False),
        (4, "3.00", "12.00", True),
        (5, None, None, False),
        (6, None, None, False),
    ]
    assert [[(r["field"], r["code"]) for r in line["reasons"]] for line in lines] == [
        [],
        [("offer_id", "delivery_enterprise_not_designated"), ("quantity", "insufficient_stock")],
        [],
        [("quantity", "invalid")],
        [("drug_id", "no_offer")],
    ]
    assert lines[2]["supplier_id"] == public.other.pk  # the market's cheapest when no supplier is named
    assert Order.objects.count() == 0


def test_an_xlsx_plan_with_chinese_headers_is_read(public):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["药品ID", "数量", "供应商ID"])
    sheet.append([public.drug.pk, 2, public.mah.pk])
    content = io.BytesIO()
    workbook.save(content)
    response = upload(public.client(public.hospital), content.getvalue(), "plan.xlsx")
    assert response.status_code == 200, response.json()
    assert [(line["offer_id"], line["gross"], line["eligible"]) for line in response.json()] == [
        (public.mah_offer.pk, "20.00", True)
    ]


def test_a_plan_without_the_columns_is_refused(public):
    pharmacy = OrganizationFactory(kind=OrganizationKind.PHARMACY)
    response = upload(public.client(pharmacy), b"name,amount\nx,1\n")
    assert (response.status_code, response.json()["errors"][0]["field"]) == (400, "file")
