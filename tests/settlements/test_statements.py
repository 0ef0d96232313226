"""Supplier statements: generation (rerun, crash, concurrent), states, disputes, payout, exports."""

import csv
import io
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from openpyxl import load_workbook

from accounts.actor import actor_for_user
from pharmex.actor import SYSTEM_ACTOR
from pharmex.errors import InvalidTransition
from settlements.errors import PaymentInUse, PayoutAmountMismatch, PeriodNotClosed
from settlements.models import JournalEntry, Statement, StatementLine
from settlements.services import (
    AdjustmentRequest,
    payment_record,
    payment_reverse,
    statement_approve,
    statement_dispute,
    statement_generate,
    statement_issue,
    statement_pay,
    statement_resolve,
)
from tests.concurrency import run_concurrently
from tests.factories import OrganizationFactory
from tests.factories.settlements import received_order
from tests.settlements import faults
from tests.settlements.conftest import assert_ledger_invariants

SHANGHAI = ZoneInfo("Asia/Shanghai")
OCTOBER = date(2026, 10, 1)
TODAY = date(2026, 11, 3)


def at(day: int, hour: int = 12, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


def paid_order(parties, gross: str, paid: datetime, supplier=None):
    supplier = supplier or parties.supplier
    order = received_order(buyer=parties.buyer, supplier=supplier, gross=gross, received_at=paid - timedelta(days=5))
    with time_machine.travel(paid, tick=False):
        payment_record(
            buyer_id=parties.buyer.pk,
            amount=Decimal(gross),
            value_date=paid.date(),
            actor=SYSTEM_ACTOR,
            reference=order.number,
        )
    return order


def snapshot():
    return sorted(
        (
            s.pk,
            s.number,
            s.supplier_id,
            s.line_count,
            s.gross,
            s.commission,
            s.net,
            tuple(sorted(s.lines.values_list("order_id", flat=True))),
        )
        for s in Statement.objects.all()
    )


@pytest.fixture
def october(parties):
    other = OrganizationFactory(legal_name="海南第二供应商")
    orders = [
        paid_order(parties, "100.00", at(1, 0)),  # 00:00 Shanghai on 1 Oct: in October
        paid_order(parties, "250.55", at(31, 23)),
        paid_order(parties, "40.00", at(2), supplier=other),
        paid_order(parties, "999.00", at(30, 23, month=9)),  # paid in September: not October's
        paid_order(parties, "77.00", at(1, 0, month=11)),  # paid in November
    ]
    received_order(buyer=parties.buyer, supplier=parties.supplier, gross="55.00")  # unpaid
    return orders, other


@pytest.mark.django_db
def test_generation_lists_the_orders_paid_in_the_period_per_supplier(parties, october):
    orders, other = october
    statements = statement_generate(period_kind="month", day=OCTOBER, actor=SYSTEM_ACTOR, today=TODAY)
    assert [(s.number, s.line_count, s.gross, s.commission, s.net, s.status) for s in statements] == [
        (f"ST202610-{parties.supplier.pk:06d}", 2, Decimal("350.55"), Decimal("10.52"), Decimal("340.03"), "draft"),
        (f"ST202610-{other.pk:06d}", 1, Decimal("40.00"), Decimal("1.20"), Decimal("38.80"), "draft"),
    ]
    assert sorted(StatementLine.objects.values_list("order_id", flat=True)) == sorted(o.pk for o in orders[:3])
    assert_ledger_invariants()


@pytest.mark.django_db
def test_statement_numbers_keep_every_digit_of_a_supplier_id_past_six(parties):
    suppliers = [OrganizationFactory(pk=1_234_567 + n, legal_name=f"七位编号供应商{n}") for n in range(2)]
    for supplier in suppliers:
        paid_order(parties, "10.00", at(3), supplier=supplier)
    statements = statement_generate(period_kind="month", day=OCTOBER, actor=SYSTEM_ACTOR, today=TODAY)
    assert [s.number for s in statements] == ["ST202610-1234567", "ST202610-1234568"]


@pytest.mark.django_db
def test_generation_twice_gives_the_same_statements(parties, october):
    statement_generate(period_kind="month", day=OCTOBER, actor=SYSTEM_ACTOR, today=TODAY)
    first = snapshot()
    statement_generate(period_kind="month", day=OCTOBER, actor=SYSTEM_ACTOR, today=TODAY)
    assert snapshot() == first


@pytest.mark.django_db
def test_a_crash_mid_generation_leaves_nothing_and_the_rerun_converges(parties, october):
    with faults.crash_after("statement.generated"), pytest.raises(faults.InjectedFault):
        statement_generate(period_kind="month", day=OCTOBER, actor=SYSTEM_ACTOR, today=TODAY)
    assert (Statement.objects.count(), StatementLine.objects.count()) == (0, 0)
    statement_generate(period_kind="month", day=OCTOBER, actor=SYSTEM_ACTOR, today=TODAY)
    assert [(s[3], s[4]) for s in snapshot()] == [(2, Decimal("350.55")), (1, Decimal("40.00"))]


@pytest.mark.django_db
def test_open_periods_are_refused(parties):
    with pytest.raises(PeriodNotClosed):
        statement_generate(period_kind="month", day=date(2026, 11, 1), actor=SYSTEM_ACTOR, today=TODAY)


@pytest.mark.django_db(transaction=True)
def test_concurrent_generation_gives_the_same_statements(parties, october):
    def run(_index: int) -> None:
        statement_generate(period_kind="month", day=OCTOBER, actor=SYSTEM_ACTOR, today=TODAY)

    assert run_concurrently(2, run) == [None, None]  # nothing raised
    assert [(s[3], s[4]) for s in snapshot()] == [(2, Decimal("350.55")), (1, Decimal("40.00"))]
    with connection.cursor() as cursor:
        cursor.execute("SELECT order_id FROM settlements_statementline GROUP BY 1 HAVING count(*) > 1")
        assert cursor.fetchall() == []


@pytest.mark.django_db
def test_the_state_machine_with_dispute_adjustments_and_payout(parties, october):
    statement = statement_generate(period_kind="month", day=OCTOBER, actor=SYSTEM_ACTOR, today=TODAY)[0]
    with pytest.raises(InvalidTransition):
        statement_approve(statement=statement, actor=SYSTEM_ACTOR)
    statement_issue(statement=statement, actor=SYSTEM_ACTOR)
    statement_dispute(
        statement=statement, actor=actor_for_user(parties.supplier_finance), reason="Order short by 2 boxes"
    )
    resolved = statement_resolve(
        statement=statement,
        actor=SYSTEM_ACTOR,
        adjustments=[
            AdjustmentRequest(amount=Decimal("-20.00"), reason="2 boxes short"),
            AdjustmentRequest(amount=Decimal("5.00"), reason="commission goodwill"),
        ],
    )
    assert (resolved.status, resolved.revision, resolved.adjustments, resolved.net) == (
        "issued",
        2,
        Decimal("-15.00"),
        Decimal("325.03"),
    )
    assert JournalEntry.objects.filter(kind="adjustment").count() == 2
    statement_approve(statement=statement, actor=SYSTEM_ACTOR)
    with pytest.raises(PayoutAmountMismatch):
        statement_pay(
            statement=statement, actor=SYSTEM_ACTOR, amount=Decimal("340.03"), bank_reference="B1", paid_on=TODAY
        )
    paid = statement_pay(
        statement=statement, actor=SYSTEM_ACTOR, amount=Decimal("325.03"), bank_reference="B1", paid_on=TODAY
    )
    assert (paid.status, paid.payout.amount) == ("paid", Decimal("325.03"))
    assert [e.action for e in paid.events.all()] == ["generate", "issue", "dispute", "resolve", "approve", "pay"]
    # the supplier's payable is what it is still owed: its October orders net, less the payout
    assert_ledger_invariants()


@pytest.mark.django_db
def test_a_payment_on_a_settled_order_cannot_be_reversed(parties, october):
    statement_generate(period_kind="month", day=OCTOBER, actor=SYSTEM_ACTOR, today=TODAY)
    payment = october[0][0].receivable.allocations.get().payment
    with pytest.raises(PaymentInUse):
        payment_reverse(payment=payment, actor=SYSTEM_ACTOR, reason="x")


@pytest.mark.django_db
def test_api_payout_mismatch_is_a_409_problem(parties, october, as_client, finance_admin_user, admin_user):
    statement = statement_generate(period_kind="month", day=OCTOBER, actor=SYSTEM_ACTOR, today=TODAY)[0]
    admin = as_client(admin_user)
    assert admin.post(f"/api/v1/settlements/{statement.pk}/issue/").status_code == 200
    assert admin.post(f"/api/v1/settlements/{statement.pk}/approve/").status_code == 200
    finance = as_client(finance_admin_user)
    body = {"amount": "340.00", "bank_reference": "CMB20261105001", "paid_on": "2026-11-05"}
    response = finance.post(f"/api/v1/settlements/{statement.pk}/pay/", body, format="json")
    assert response.status_code == 409
    assert (response.json()["code"], response.json()["type"].rsplit("/", 1)[1]) == (
        "payout_amount_mismatch",
        "payout-amount-mismatch",
    )
    assert Statement.objects.get(pk=statement.pk).status == "approved"
    ok = finance.post(f"/api/v1/settlements/{statement.pk}/pay/", {**body, "amount": "340.03"}, format="json")
    assert (ok.status_code, ok.json()["status"], ok.json()["payout"]["amount"]) == (200, "paid", "340.03")


@pytest.mark.django_db
def test_the_supplier_disputes_and_admins_resolve_over_the_api(parties, october, as_client, admin_user):
    statement = statement_generate(period_kind="month", day=OCTOBER, actor=SYSTEM_ACTOR, today=TODAY)[0]
    as_client(admin_user).post(f"/api/v1/settlements/{statement.pk}/issue/")
    disputed = parties.supplier_client().post(
        f"/api/v1/settlements/{statement.pk}/dispute/", {"reason": "缺货两盒"}, format="json"
    )
    assert (disputed.status_code, disputed.json()["status"]) == (200, "disputed")
    resolved = as_client(admin_user).post(
        f"/api/v1/settlements/{statement.pk}/resolve/",
        {"adjustments": [{"amount": "-20.00", "reason": "缺货两盒"}]},
        format="json",
    )
    assert resolved.status_code == 200, resolved.json()
    body = resolved.json()
    assert (body["status"], body["net"], body["revision"], [a["amount"] for a in body["adjustment_rows"]]) == (
        "issued",
        "320.03",
        2,
        ["-20.00"],
    )


@pytest.mark.django_db
def test_exports_stream_csv_and_xlsx(parties, october):
    statement = statement_generate(period_kind="month", day=OCTOBER, actor=SYSTEM_ACTOR, today=TODAY)[0]
    response = parties.supplier_client().get(f"/api/v1/settlements/{statement.pk}/export/?file_format=csv")
    assert response.status_code == 200 and response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["statement", "supplier", "order_number"]
    assert [r[11] for r in rows[1:-1]] == ["100.00", "250.55"]
    assert rows[-1][:2] == [statement.number, "TOTAL"] and rows[-1][11] == "340.03"
    xlsx = parties.supplier_client().get(f"/api/v1/settlements/{statement.pk}/export/?file_format=xlsx")
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)), read_only=True).active
    values = list(sheet.iter_rows(values_only=True))
    assert (len(values), values[1][11], values[2][11]) == (4, 100, 250.55)
    assert (
        parties.supplier_client().get(f"/api/v1/settlements/{statement.pk}/export/?file_format=pdf").status_code == 400
    )
