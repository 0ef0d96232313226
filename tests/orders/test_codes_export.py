"""The traceability-code export (SPEC §5): per shipment, and every shipment the caller received in a date range —
the file a hospital or pharmacy uploads to 医保 and 码上放心."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone
from openpyxl import load_workbook

from accounts.choices import MemberRole, OrganizationKind
from catalog.models import Drug
from orders.models import Order, Shipment
from pharmex.choices import StaffRole
from tests.conftest import client_for
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.factories.catalog import national_drug_code
from tests.orders.conftest import place
from tests.orders.shipping import code, item, receipt, receive, ship, shipment_body

pytestmark = pytest.mark.django_db

GTIN = "06901234567892"
NDC = national_drug_code(7)
HEADER = [
    "shipment_id",
    "order_number",
    "code",
    "kind",
    "is_case",
    "case_code",
    "drug_id",
    "generic_name",
    "specification",
    "national_drug_code",
    "gtin",
    "lot_number",
    "expiry_date",
    "outcome",
    "received_at",
]


@pytest.fixture
def drug(market):
    Drug.objects.filter(pk=market.offer.drug_id).update(national_drug_code=NDC, gtin=GTIN)
    market.offer.stock = 1000
    market.offer.save(update_fields=["stock"])
    return market.offer.drug


def confirmed_order(client, supplier_client, offer_id: int, quantity: int) -> Order:
    response = place(client, (offer_id, quantity))
    assert response.status_code == 201, response.json()
    order_id = response.json()["id"]
    assert supplier_client.post(f"/api/v1/orders/{order_id}/confirm/", {}, format="json").status_code == 200
    return Order.objects.get(pk=order_id)


def shipped(supplier_client, order: Order, *items) -> Shipment:
    response = ship(supplier_client, order, shipment_body(order, *items))
    assert response.status_code == 200, response.json()
    return Shipment.objects.filter(order=order).latest("sequence")


def csv_rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:])))


def local(day: date, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute, second)))


def test_a_shipments_codes_with_drug_ndc_gtin_lot_and_expiry(market, drug):
    order = confirmed_order(market.buyer_client(), market.supplier_client(), market.offer.pk, 6)
    line = order.lines.get()
    expiry = timezone.localdate() + timedelta(days=400)
    gs1 = f"(01){GTIN}(17){expiry:%y%m%d}(10)L2026A(21)SN0001"
    shipment = shipped(
        market.supplier_client(),
        order,
        item(line, 6, codes=[code(2), code(1), gs1], cases=[(code(100), [code(101), code(102)])]),
    )
    path = f"/api/v1/shipments/{shipment.pk}/codes.csv/"

    response = market.buyer_client().get(path)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="codes-{order.number}.csv"'

    def row(value, kind, case="", outcome="in_transit", received="", is_case="false"):
        return [
            str(shipment.pk),
            order.number,
            value,
            kind,
            is_case,
            case,
            str(drug.pk),
            "阿莫西林胶囊",
            "0.25g",
            NDC,
            GTIN,
            "L2026A",
            expiry.isoformat(),
            outcome,
            received,
        ]

    gs1_canonical = f"(01){GTIN}(21)SN0001"
    in_transit = [
        row(gs1_canonical, "gs1"),
        row(code(1), "national"),
        row(code(2), "national"),
        row(code(100), "national", is_case="true"),
        row(code(101), "national", case=code(100)),
        row(code(102), "national", case=code(100)),
    ]
    rows = csv_rows(response)
    assert rows[0] == HEADER
    assert sorted(rows[1:]) == sorted(in_transit)

    shipment_line = shipment.lines.get()
    receive(market.buyer_client(), shipment, receipt(shipment, rejected={shipment_line.pk: (1, [code(2)])}))
    shipment.refresh_from_db()
    received = timezone.localtime(shipment.received_at).isoformat(timespec="seconds")
    after = csv_rows(market.buyer_client().get(path))
    outcomes = {r[2]: (r[13], r[14]) for r in after[1:]}
    assert outcomes == {
        gs1_canonical: ("accepted", received),
        code(1): ("accepted", received),
        code(2): ("rejected", received),
        code(100): ("accepted", received),
        code(101): ("accepted", received),
        code(102): ("accepted", received),
    }
    # the supplier and platform staff read the same file
    assert csv_rows(market.supplier_client().get(path)) == after
    staff = client_for(UserFactory(staff_role=StaffRole.FINANCE_ADMIN, is_staff=True))
    assert csv_rows(staff.get(path)) == after


def test_the_same_codes_as_xlsx(market, drug):
    order = confirmed_order(market.buyer_client(), market.supplier_client(), market.offer.pk, 2)
    shipment = shipped(market.supplier_client(), order, item(order.lines.get(), 2, codes=[code(1), code(2)]))

    response = market.buyer_client().get(f"/api/v1/shipments/{shipment.pk}/codes.csv/", {"file_format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == f'attachment; filename="codes-{order.number}.xlsx"'
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    expiry = datetime.combine(timezone.localdate() + timedelta(days=400), time.min)
    assert rows == [
        HEADER,
        *[
            [
                shipment.pk,
                order.number,
                c,
                "national",
                False,
                None,
                drug.pk,
                "阿莫西林胶囊",
                "0.25g",
                NDC,
                GTIN,
                "L2026A",
                expiry,
                "in_transit",
                None,
            ]
            for c in (code(1), code(2))
        ],
    ]


def test_a_shipment_without_codes_exports_the_header_alone(market, drug):
    order = confirmed_order(market.buyer_client(), market.supplier_client(), market.offer.pk, 2)
    shipment = shipped(market.supplier_client(), order, item(order.lines.get(), 2))
    assert csv_rows(market.buyer_client().get(f"/api/v1/shipments/{shipment.pk}/codes.csv/")) == [HEADER]


def test_a_formula_in_a_drug_name_is_written_as_text(market, drug):
    Drug.objects.filter(pk=drug.pk).update(generic_name='=HYPERLINK("http://evil.example","阿莫西林")')
    order = confirmed_order(market.buyer_client(), market.supplier_client(), market.offer.pk, 1)
    shipment = shipped(market.supplier_client(), order, item(order.lines.get(), 1, codes=[code(1)], lot="-1+1"))
    path = f"/api/v1/shipments/{shipment.pk}/codes.csv/"

    [row] = csv_rows(market.buyer_client().get(path))[1:]

    assert (row[7], row[11]) == ('\'=HYPERLINK("http://evil.example","阿莫西林")', "'-1+1")
    sheet = load_workbook(
        io.BytesIO(b"".join(market.buyer_client().get(path, {"file_format": "xlsx"}).streaming_content))
    )
    cell = sheet.active.cell(row=2, column=8)
    assert (cell.value, cell.data_type) == ('\'=HYPERLINK("http://evil.example","阿莫西林")', "s")


@pytest.fixture
def other_buyer(db):
    """An operator of another buyer (a client per call: a token minted when the clock says, under time travel)."""
    organization = OrganizationFactory(
        kind=OrganizationKind.HOSPITAL, ownership="private", legal_name="三亚市人民医院"
    )  # private: a public one's two-invoice chain is tests/procurement/test_two_invoice_chain.py
    return MembershipFactory(organization=organization, role=MemberRole.OPERATOR).user


def test_the_date_range_export_lists_what_the_caller_received_on_those_local_days(market, drug, other_buyer):
    order = confirmed_order(market.buyer_client(), market.supplier_client(), market.offer.pk, 5)
    line = order.lines.get()
    shipments = [shipped(market.supplier_client(), order, item(line, 1, codes=[code(n)])) for n in range(1, 6)]
    elsewhere = confirmed_order(client_for(other_buyer), market.supplier_client(), market.offer.pk, 1)
    foreign = shipped(market.supplier_client(), elsewhere, item(elsewhere.lines.get(), 1, codes=[code(6)]))
    first = timezone.localdate() + timedelta(days=2)
    last = first + timedelta(days=1)
    moments = {
        shipments[0]: local(first - timedelta(days=1), 23, 59, 59),  # the evening before: out
        shipments[1]: local(first),  # the first moment of the first day: in
        shipments[2]: local(last, 23, 59, 59),  # the last moment of the last day: in
        shipments[3]: local(last + timedelta(days=1)),  # the morning after: out
        # shipments[4] stays in transit: out
    }
    for shipment, moment in moments.items():
        with time_machine.travel(moment, tick=False):
            assert receive(market.buyer_client(), shipment).status_code == 200
    with time_machine.travel(local(last, 12), tick=False):
        assert receive(client_for(other_buyer), foreign).status_code == 200  # another buyer's receipt in the range: out

    with time_machine.travel(local(last + timedelta(days=1), 9), tick=False):
        query = {"received_from": first.isoformat(), "received_to": last.isoformat()}
        response = market.buyer_client().get("/api/v1/shipments/codes.csv/", query)
        assert response.status_code == 200
        assert response["Content-Disposition"] == f'attachment; filename="codes-received-{first}-{last}.csv"'
        rows = csv_rows(response)
        assert rows[0] == HEADER
        assert [(int(r[0]), r[2], r[13]) for r in rows[1:]] == [
            (shipments[1].pk, code(2), "accepted"),
            (shipments[2].pk, code(3), "accepted"),
        ]
        assert [
            (int(r[0]), r[2]) for r in csv_rows(client_for(other_buyer).get("/api/v1/shipments/codes.csv/", query))[1:]
        ] == [(foreign.pk, code(6))]
        # the supplier shipped them all but received none
        assert csv_rows(market.supplier_client().get("/api/v1/shipments/codes.csv/", query)) == [HEADER]
        xlsx = market.buyer_client().get("/api/v1/shipments/codes.csv/", {**query, "file_format": "xlsx"})
        sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
        assert [r[2] for r in sheet.iter_rows(min_row=2, values_only=True)] == [code(2), code(3)]


@pytest.mark.parametrize(
    ("query", "field", "error"),
    [
        ({"received_from": "2026-03-02", "received_to": "2026-03-01"}, "received_to", "invalid"),
        ({"received_from": "2025-01-01", "received_to": "2026-03-01"}, "received_to", "invalid"),
        ({"received_to": "2026-03-01"}, "received_from", "required"),
        ({"received_from": "2026-03-01"}, "received_to", "required"),
        ({"received_from": "2026/03/01", "received_to": "2026-03-02"}, "received_from", "not_plain"),
        ({"received_from": "2026-02-30", "received_to": "2026-03-02"}, "received_from", "invalid"),
        ({"received_from": "", "received_to": "2026-03-02"}, "received_from", "not_plain"),
        ({"received_from": "1999-12-31", "received_to": "2000-01-01"}, "received_from", "out_of_range"),
        ({"received_from": "2026-03-01", "received_to": "2026-03-02", "file_format": "pdf"}, "file_format", None),
        ({"received_from": "2026-03-01", "received_to": "2026-03-02", "since": "2026-01-01"}, "since", None),
        ({"received_from": "2026-03-01", "received_to": "2026-03-02", "status": "received"}, "status", None),
    ],
)
def test_a_bad_range_or_an_unknown_parameter_is_refused(market, query, field, error):
    response = market.buyer_client().get("/api/v1/shipments/codes.csv/", query)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    if error is not None:
        assert errors[0]["code"] == error


def test_the_range_may_not_end_in_the_future_beyond_tomorrow(market):
    tomorrow = timezone.localdate() + timedelta(days=1)
    ok = market.buyer_client().get(
        "/api/v1/shipments/codes.csv/", {"received_from": tomorrow.isoformat(), "received_to": tomorrow.isoformat()}
    )
    assert ok.status_code == 200
    later = (tomorrow + timedelta(days=1)).isoformat()
    refused = market.buyer_client().get(
        "/api/v1/shipments/codes.csv/", {"received_from": tomorrow.isoformat(), "received_to": later}
    )
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [("received_to", "out_of_range")]


def test_a_parameter_given_twice_or_unknown_on_a_shipment_is_refused(market, drug):
    order = confirmed_order(market.buyer_client(), market.supplier_client(), market.offer.pk, 1)
    shipment = shipped(market.supplier_client(), order, item(order.lines.get(), 1))
    path = f"/api/v1/shipments/{shipment.pk}/codes.csv/"
    twice = market.buyer_client().get(f"{path}?file_format=csv&file_format=xlsx")
    assert [(e["field"], e["code"]) for e in twice.json()["errors"]] == [("file_format", "repeated")]
    unknown = market.buyer_client().get(path, {"received_from": "2026-01-01"})
    assert [(e["field"], e["code"]) for e in unknown.json()["errors"]] == [("received_from", "unknown_parameter")]
