"""Bank reconciliation: a realistic CSV with exact, ambiguous, unknown and duplicate lines (REC-4)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from pharmex.actor import SYSTEM_ACTOR
from settlements.models import BankLine, BankStatement, KnownBankAccount, Payment, Receivable, Statement
from settlements.services import statement_approve, statement_generate, statement_issue
from tests.factories import OrganizationFactory
from tests.factories.settlements import received_order

pytestmark = pytest.mark.django_db
HEADER = "transaction_id,booked_on,amount,counterparty_account,counterparty_name,reference\n"


@pytest.fixture
def world(parties):
    other_buyer = OrganizationFactory(kind="hospital", legal_name="海南省人民医院")
    mine = received_order(buyer=parties.buyer, supplier=parties.supplier, gross="1235.00")
    theirs = received_order(buyer=other_buyer, supplier=parties.supplier, gross="88.00")
    KnownBankAccount.objects.create(organization=parties.buyer, account_number="6222021001001234567")
    return parties, other_buyer, mine, theirs


def upload(client, text: str, name="cmb-202611.csv"):
    return client.post(
        "/api/v1/bank-statements/", {"file": SimpleUploadedFile(name, text.encode())}, format="multipart"
    )


def test_import_matches_credits_and_debits_and_the_sums_add_up(world, as_client, finance_admin_user):
    parties, other_buyer, mine, theirs = world
    finance = as_client(finance_admin_user)
    csv_text = (
        HEADER
        + "\n".join(
            [
                f"T001,2026-11-02,1235.00,,海口康宁大药房,货款 {mine.number}",  # exact by order number
                "T002,2026-11-02,500.00,6222021001001234567,海口康宁大药房,11月货款",  # known account
                f"T003,2026-11-03,300.00,,某公司,{mine.number} {theirs.number}",  # two buyers → ambiguous
                "T004,2026-11-03,42.00,,陌生人,转账",  # unknown
                "T005,2026-11-03,-15.00,,招商银行,手续费",  # a bank fee, unmatched until ignored
                f"T006,2026-11-04,20.00,,海南省人民医院,PXB{other_buyer.pk:06d}",  # payment code
                f"T001,2026-11-02,1235.00,,海口康宁大药房,货款 {mine.number}",  # duplicate inside the file
            ]
        )
        + "\n"
    )
    response = upload(finance, csv_text)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["summary"] == {
        "file_total": "2082.00",
        "line_count": 6,
        "duplicate_count": 1,
        "duplicate_total": "1235.00",
        "matched": {"count": 3, "amount": "1755.00"},
        "unmatched": {"count": 2, "amount": "27.00"},
        "ambiguous": {"count": 1, "amount": "300.00"},
        "ignored": {"count": 0, "amount": "0.00"},
    }
    lines = {line["transaction_id"]: line for line in body["lines"]}
    assert lines["T003"]["candidates"] == sorted([parties.buyer.pk, other_buyer.pk])
    assert Receivable.objects.get(order=mine).paid_at is not None
    assert Payment.objects.get(pk=lines["T002"]["payment"]).unallocated == Decimal("500.00")  # buyer credit
    assert Receivable.objects.get(order=theirs).allocated == Decimal("20.00")

    # re-import: the same file is the same import; an overlapping file adds only the new line
    again = upload(finance, csv_text)
    assert (again.status_code, again.json()["id"]) == (200, body["id"])
    overlap = upload(finance, HEADER + "T004,2026-11-03,42.00,,陌生人,转账\nT007,2026-11-05,1.00,,x,y\n", "b.csv")
    assert (overlap.status_code, overlap.json()["line_count"], overlap.json()["duplicate_count"]) == (201, 1, 1)
    assert BankLine.objects.count() == 7

    # manual work: the ambiguous line to the other buyer, the fee ignored
    ambiguous = BankLine.objects.get(transaction_id="T003")
    matched = finance.post(
        f"/api/v1/bank-statements/lines/{ambiguous.pk}/match/", {"buyer_id": other_buyer.pk}, format="json"
    )
    assert (matched.status_code, matched.json()["status"]) == (200, "matched")
    fee = BankLine.objects.get(transaction_id="T005")
    ignored = finance.post(f"/api/v1/bank-statements/lines/{fee.pk}/ignore/", {"reason": "手续费"}, format="json")
    assert ignored.json()["status"] == "ignored"
    again = finance.post(f"/api/v1/bank-statements/lines/{fee.pk}/ignore/", {"reason": "x"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "bank_line_not_open")
    summary = finance.get(f"/api/v1/bank-statements/{body['id']}/").json()["summary"]
    assert (summary["matched"], summary["ignored"], summary["unmatched"]) == (
        {"count": 4, "amount": "2055.00"},
        {"count": 1, "amount": "-15.00"},
        {"count": 1, "amount": "42.00"},
    )
    # unmatch reverses the payment
    undone = finance.post(
        f"/api/v1/bank-statements/lines/{ambiguous.pk}/unmatch/", {"reason": "wrong buyer"}, format="json"
    )
    assert (undone.status_code, undone.json()["status"], undone.json()["payment"]) == (200, "unmatched", None)
    assert Payment.objects.filter(reversed_at__isnull=False).count() == 1


def test_a_payout_debit_is_matched_by_statement_number_and_exact_amount(world, as_client, finance_admin_user):
    parties, _, mine, _ = world
    from settlements.services import payment_record

    payment_record(
        buyer_id=parties.buyer.pk,
        amount=Decimal("1235.00"),
        value_date=timezone.localdate(),
        actor=SYSTEM_ACTOR,
        reference=mine.number,
    )
    today = timezone.localdate()
    start = today.replace(day=1)
    [statement] = statement_generate(
        period_kind="month", day=start, actor=SYSTEM_ACTOR, today=(start + timedelta(days=32)).replace(day=1)
    )
    statement_issue(statement=statement, actor=SYSTEM_ACTOR)
    statement_approve(statement=statement, actor=SYSTEM_ACTOR)
    assert statement.net == Decimal("1197.95")
    finance = as_client(finance_admin_user)
    response = upload(
        finance,
        HEADER
        + "\n".join(
            [
                f"D001,{today},-1197.00,,海南康泰医药有限公司,结算 {statement.number}",  # wrong amount
                f"D002,{today},-1197.95,,海南康泰医药有限公司,结算 {statement.number}",  # exact
            ]
        )
        + "\n",
    )
    statuses = {line["transaction_id"]: (line["status"], line["statement_id"]) for line in response.json()["lines"]}
    assert statuses == {"D001": ("unmatched", None), "D002": ("matched", statement.pk)}
    statement = Statement.objects.get(pk=statement.pk)
    assert (statement.status, statement.payout.amount, statement.payout.bank_reference) == (
        "reconciled",
        Decimal("1197.95"),
        "D002",
    )


def test_an_invalid_file_stores_nothing(parties, as_client, finance_admin_user):
    response = upload(as_client(finance_admin_user), HEADER + "T1,2026-13-01,1.005,,x,y\n")
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["rows[1].booked_on", "rows[1].amount"]
    assert (BankStatement.objects.count(), BankLine.objects.count()) == (0, 0)
