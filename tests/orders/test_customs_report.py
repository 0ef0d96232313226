"""The monthly customs report (SPEC §4a): totals per status and destination equal the orders', each mainland sale
with its declaration and duty, each Lecheng approval with its use; CSV and XLSX through pharmex.exports."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from accounts.choices import MemberRole, OrganizationKind
from catalog.choices import CustomsStatus
from orders.customs_report import HEADER
from orders.models import Order, OrderLine
from tests.conftest import client_for
from tests.factories import MembershipFactory, OfferFactory, OrganizationFactory, UserFactory
from tests.orders.conftest import place
from tests.orders.hainan import approval, beneficiary, lecheng_institution, special_offer
from tests.orders.test_codes_export import csv_rows

pytestmark = pytest.mark.django_db


def operator(organization):
    return client_for(MembershipFactory(organization=organization, role=MemberRole.OPERATOR).user)


@pytest.fixture
def admin():
    return client_for(UserFactory(staff_role="admin", is_staff=True))


@pytest.fixture
def month_of_orders():
    supplier = OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR, legal_name="海南自贸医药有限公司")
    island = beneficiary(legal_name="海口享惠大药房")
    mainland = OrganizationFactory(kind=OrganizationKind.PHARMACY, province_code="440000", legal_name="广州大药房")
    zero = OfferFactory(supplier=supplier, customs_status=CustomsStatus.ZERO_TARIFF, second_line_clearance=True,
                        unit_price=Decimal("20.00"))  # fmt: skip
    paid = OfferFactory(supplier=supplier, unit_price=Decimal("5.50"))
    institution = lecheng_institution(legal_name="博鳌乐城国际医院")
    special = special_offer(supplier, unit_price=Decimal("1000.00"))
    granted = approval(institution, special.drug, quantity=10)
    orders = {
        "island_zero": place(operator(island), (zero.pk, 3), (paid.pk, 2)),
        "mainland_zero": place(operator(mainland), (zero.pk, 4)),
        "mainland_paid": place(operator(mainland), (paid.pk, 7)),
        "lecheng": place(operator(institution), (special.pk, 3)),
        "cancelled": place(operator(island), (zero.pk, 5)),
    }
    assert {name: r.status_code for name, r in orders.items()} == dict.fromkeys(orders, 201)
    cancelled_id = orders["cancelled"].json()["id"]
    assert operator(island).post(f"/api/v1/orders/{cancelled_id}/cancel/", {}, format="json").status_code == 200
    declared = operator(supplier).post(
        f"/api/v1/orders/{orders['mainland_zero'].json()['id']}/second-line-declaration/",
        {"declaration_number": "460120260000099999", "duty_amount": "4.20"},
        format="json",
    )
    assert declared.status_code == 201
    return {name: Order.objects.get(pk=r.json()["id"]) for name, r in orders.items()}, granted


def test_the_report_totals_equal_the_orders(admin, month_of_orders):
    orders, granted = month_of_orders
    month = timezone.localdate().strftime("%Y-%m")

    response = admin.get("/api/v1/customs/report/", {"month": month})

    assert response.status_code == 200, response.json()
    assert response["Content-Disposition"] == f'attachment; filename="customs-report-{month}.csv"'
    rows = csv_rows(response)
    assert rows[0] == HEADER
    body = [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]
    totals = {(r["customs_status"], r["destination"]): (r["quantity"], r["value"]) for r in body
              if r["section"] == "status_total"}  # fmt: skip
    assert totals == {
        ("duty_paid", "island"): ("2", "11.00"),
        ("duty_paid", "mainland"): ("7", "38.50"),
        ("lecheng_special", "island"): ("3", "3000.00"),
        ("zero_tariff", "island"): ("3", "60.00"),
        ("zero_tariff", "mainland"): ("4", "80.00"),
    }
    # … which are the orders' own sums, the cancelled order left out
    counted = OrderLine.objects.exclude(order__status="cancelled")
    assert sum(int(q) for q, _ in totals.values()) == sum(counted.values_list("quantity", flat=True))
    assert sum(Decimal(v) for _, v in totals.values()) == sum(counted.values_list("line_gross", flat=True))
    mainland = [r for r in body if r["section"] == "mainland_sale"]
    assert [(r["order_number"], r["buyer"], r["quantity"], r["value"], r["declaration_number"], r["duty_amount"])
            for r in mainland] == [(orders["mainland_zero"].number, "广州大药房", "4", "80.00", "460120260000099999",
                                    "4.20")]  # fmt: skip
    (lecheng,) = [r for r in body if r["section"] == "lecheng_approval"]
    assert (lecheng["approval_number"], lecheng["institution"], lecheng["quantity"]) == (
        granted.number,
        "博鳌乐城国际医院",
        "3",
    )
    assert (lecheng["approved_quantity"], lecheng["used_total"], lecheng["remaining"]) == ("10", "3", "7")


def test_the_report_as_xlsx_and_for_a_month_without_orders(admin, month_of_orders):
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")

    xlsx = admin.get(
        "/api/v1/customs/report/", {"month": timezone.localdate().strftime("%Y-%m"), "file_format": "xlsx"}
    )
    empty = admin.get("/api/v1/customs/report/", {"month": last_month})

    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == HEADER
    assert [row[0] for row in rows[1:]].count("status_total") == 5
    # the approval was valid last month too (from yesterday): it is listed, with nothing used in that month
    assert [row[0] for row in csv_rows(empty)[1:]] in ([], ["lecheng_approval"])


def test_only_platform_admins_read_the_report_and_the_month_is_checked(admin, market):
    assert market.buyer_client().get("/api/v1/customs/report/", {"month": "2026-12"}).status_code == 403
    bad = admin.get("/api/v1/customs/report/", {"month": "2026-13"})
    assert (bad.status_code, [e["field"] for e in bad.json()["errors"]]) == (400, ["month"])
