"""Statement exports through the API: names that look like formulas arrive as text, numbers as numbers (issue 10)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from openpyxl import load_workbook

from accounts.choices import OrganizationKind
from accounts.models import Organization
from orders.models import OrderLine
from pharmex.actor import SYSTEM_ACTOR
from settlements.models import Statement
from settlements.services import payment_record, statement_generate
from tests.factories import OrganizationFactory
from tests.factories.settlements import received_order

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOSTILE = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]
NUMBER_COLUMNS = {6, 9, 10, 11}  # line_no, unit_price, accepted_quantity, accepted_amount
TEXT_FROM_USERS = {1, 3, 7, 8}  # supplier, buyer, drug_name, specification


def _paid_order(*, supplier, buyer, drug: str, spec: str, gross: str, paid: datetime) -> list:
    """A received, paid one-line order whose line carries `drug` and `spec`; returns its expected export row."""
    order = received_order(buyer=buyer, supplier=supplier, gross=gross, received_at=paid - timedelta(days=5))
    OrderLine.objects.filter(order=order).update(drug_name=drug, specification=spec)
    with time_machine.travel(paid, tick=False):
        payment_record(
            buyer_id=buyer.pk, amount=Decimal(gross), value_date=paid.date(), actor=SYSTEM_ACTOR, reference=order.number
        )
    local = (paid - timedelta(days=5)).isoformat(timespec="seconds"), paid.isoformat(timespec="seconds")
    return [None, supplier.legal_name, order.number, buyer.legal_name, *local, 1, drug, spec, gross, 1, gross, "CNY"]


@pytest.fixture
def hostile_period(parties):
    """October: six suppliers and six buyers named like formulas; the first supplier sold to every buyer, with
    formula-like drug names and specifications, the others once each. Returns {order number: expected row}."""
    Organization.objects.filter(pk=parties.supplier.pk).update(legal_name=HOSTILE[0])
    Organization.objects.filter(pk=parties.buyer.pk).update(legal_name=HOSTILE[0])
    parties.supplier.refresh_from_db()
    parties.buyer.refresh_from_db()
    suppliers = [parties.supplier] + [
        OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR, legal_name=name) for name in HOSTILE[1:]
    ]
    buyers = [parties.buyer] + [
        OrganizationFactory(kind=OrganizationKind.PHARMACY, legal_name=name) for name in HOSTILE[1:]
    ]
    expected = []
    for i, buyer in enumerate(buyers):
        paid = datetime(2026, 10, i + 2, 10, tzinfo=SHANGHAI)
        expected.append(
            _paid_order(
                supplier=suppliers[0],
                buyer=buyer,
                drug=HOSTILE[i],
                spec=HOSTILE[(i + 1) % 6],
                gross="100.00",
                paid=paid,
            )
        )
    for i, supplier in enumerate(suppliers[1:], start=1):
        paid = datetime(2026, 10, 20, 10 + i, tzinfo=SHANGHAI)
        expected.append(
            _paid_order(
                supplier=supplier, buyer=buyers[(i + 2) % 6], drug=HOSTILE[i], spec=HOSTILE[i], gross="20.00", paid=paid
            )
        )
    statements = statement_generate(
        period_kind="month", day=date(2026, 10, 1), actor=SYSTEM_ACTOR, today=date(2026, 11, 3)
    )
    number_of = {s.supplier_id: s.number for s in statements}
    by_name = {s.legal_name: s.pk for s in suppliers}
    for row in expected:
        row[0] = number_of[by_name[row[1]]]
    return {row[2]: row for row in expected}


def _as_exported_text(value) -> str:
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _csv_rows(response) -> list[list]:
    """Rows read back with QUOTE_NONNUMERIC: quoted cells (text) stay str, unquoted ones (numbers) become float."""
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline=""), quoting=csv.QUOTE_NONNUMERIC))


def _xlsx_rows(response) -> list[list]:
    """(value, data_type) of every cell of the first sheet."""
    assert response.status_code == 200 and response.streaming
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [[(cell.value, cell.data_type) for cell in row] for row in workbook.worksheets[0].iter_rows()]


def _expected_csv(row: list) -> list:
    return [float(v) if i in NUMBER_COLUMNS else _as_exported_text(v) for i, v in enumerate(row)]


def _expected_xlsx(row: list) -> list:
    return [
        (float(v), "n") if i in NUMBER_COLUMNS else (_as_exported_text(v).replace("\r", "\n"), "s")  # XML: CR → LF
        for i, v in enumerate(row)
    ]


@pytest.mark.django_db
def test_statement_csv_export_neutralises_every_user_text_column(parties, hostile_period):
    # given: the first supplier's statement, whose orders carry every formula-like value in every text column
    statement = Statement.objects.get(supplier=parties.supplier)

    # when
    rows = _csv_rows(parties.supplier_client().get(f"/api/v1/settlements/{statement.pk}/export/?file_format=csv"))

    # then: each line arrives with its text prefixed by ' and its numbers unquoted (numbers)
    header, lines, summary = rows[0], rows[1:-1], rows[-1]
    assert header[:4] == ["statement", "supplier", "order_number", "buyer"]
    expected = {n: r for n, r in hostile_period.items() if r[0] == statement.number}
    assert len(expected) == 6
    assert {line[2]: line for line in lines} == {n: _expected_csv(r) for n, r in expected.items()}
    assert {line[1] for line in lines} == {"'" + HOSTILE[0]}
    for column in TEXT_FROM_USERS - {1}:  # this supplier's buyers, drugs and specifications: every hostile value
        assert sorted(line[column] for line in lines) == sorted("'" + name for name in HOSTILE)
    assert summary == [
        *[statement.number, "TOTAL", "", "", "", "", "", "gross 600.00", "commission 18.00", "adjustments 0.00"],
        *[6.0, 582.0, "CNY"],
    ]


@pytest.mark.django_db
def test_statement_xlsx_export_writes_user_text_as_string_cells(parties, hostile_period):
    # given
    statement = Statement.objects.get(supplier=parties.supplier)

    # when
    rows = _xlsx_rows(parties.supplier_client().get(f"/api/v1/settlements/{statement.pk}/export/?file_format=xlsx"))

    # then: every user text cell is a string cell starting with '; amounts are number cells; nothing is a formula
    lines = rows[1:-1]
    expected = {n: r for n, r in hostile_period.items() if r[0] == statement.number}
    assert {line[2][0]: line for line in lines} == {n: _expected_xlsx(r) for n, r in expected.items()}
    for line in lines:
        for column in TEXT_FROM_USERS:
            value, data_type = line[column]
            assert (value[0], data_type) == ("'", "s")
    assert {data_type for row in rows for _, data_type in row} == {"s", "n"}
    assert rows[-1][10:12] == [(6, "n"), (582, "n")]


@pytest.mark.django_db
@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_period_export_neutralises_every_supplier_and_buyer_name(
    parties, hostile_period, as_client, admin_user, file_format
):
    # given: six statements, one per formula-named supplier

    # when: staff export the whole period
    response = as_client(admin_user).get(f"/api/v1/settlements/export/?file_format={file_format}&day=2026-10-01")

    # then: all eleven lines, every user text column neutralised, numbers kept
    if file_format == "csv":
        rows = _csv_rows(response)
        lines = {row[2]: row for row in rows[1:] if row[1] != "TOTAL"}
        assert lines == {n: _expected_csv(r) for n, r in hostile_period.items()}
        suppliers = {row[1] for row in rows[1:] if row[1] != "TOTAL"}
        assert suppliers == {"'" + name for name in HOSTILE}
    else:
        rows = _xlsx_rows(response)
        lines = {row[2][0]: row for row in rows[1:] if row[1][0] != "TOTAL"}
        assert lines == {n: _expected_xlsx(r) for n, r in hostile_period.items()}
        assert {data_type for row in rows for _, data_type in row} == {"s", "n"}
        suppliers = {row[1] for row in rows[1:] if row[1][0] != "TOTAL"}
        assert suppliers == {("'" + name.replace("\r", "\n"), "s") for name in HOSTILE}
    assert (len(rows), len(lines)) == (1 + 11 + 6, 11)  # header, lines, one total per statement
