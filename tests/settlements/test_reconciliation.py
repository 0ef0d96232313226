"""Bank reconciliation: a realistic CSV with exact, ambiguous, unknown and duplicate lines (REC-4). The upload
answers 202 with the statement queued; the task (run here as the worker would) stores and matches the lines."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone

from accounts.models import User
from pharmex.actor import SYSTEM_ACTOR
from settlements.models import BankLine, BankStatement, KnownBankAccount, Payment, Receivable, Statement
from settlements.services import bank_lines_rematch, statement_approve, statement_generate, statement_issue
from settlements.tasks import bank_statement_import_task
from tests.factories import OrganizationFactory, UserFactory
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


@pytest.fixture
def imported(django_capture_on_commit_callbacks):
    """imported(client, text) → (the upload's response, the statement as the API shows it once the task ran, its
    lines from the paged lines list)."""

    def run(client, text: str, name="cmb-202611.csv"):
        with django_capture_on_commit_callbacks() as callbacks:
            response = upload(client, text, name)
        assert response.status_code == 202, response.json()
        assert response["Location"] == f"http://testserver/api/v1/bank-statements/{response.json()['id']}/"
        assert (response.json()["status"], len(callbacks)) == ("queued", 1)
        bank_statement_import_task.run(response.json()["id"])
        statement = client.get(response["Location"]).json()
        lines = client.get(f"/api/v1/bank-statements/lines/?statement={statement['id']}&page_size=200").json()
        return response, statement, lines["results"]

    return run


def test_import_matches_credits_and_debits_and_the_sums_add_up(world, as_client, finance_admin_user, imported):
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
    _, body, body_lines = imported(finance, csv_text)
    assert body["status"] == "imported"
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
    lines = {line["transaction_id"]: line for line in body_lines}
    assert lines["T003"]["candidates"] == sorted([parties.buyer.pk, other_buyer.pk])
    assert Receivable.objects.get(order=mine).paid_at is not None
    assert Payment.objects.get(pk=lines["T002"]["payment"]).unallocated == Decimal("500.00")  # buyer credit
    assert Receivable.objects.get(order=theirs).allocated == Decimal("20.00")

    # re-import: the same file is the same import; an overlapping file adds only the new line
    again = upload(finance, csv_text)
    assert (again.status_code, again.json()["id"], again.json()["status"]) == (200, body["id"], "imported")
    assert again["Location"] == f"http://testserver/api/v1/bank-statements/{body['id']}/"
    _, overlap, _ = imported(
        finance, HEADER + "T004,2026-11-03,42.00,,陌生人,转账\nT007,2026-11-05,1.00,,x,y\n", "b.csv"
    )
    assert (overlap["status"], overlap["line_count"], overlap["duplicate_count"]) == ("imported", 1, 1)
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
    # the payment is the line's: reversed by unmatching the line, not on its own
    refused = finance.post(
        f"/api/v1/payments/{BankLine.objects.get(pk=ambiguous.pk).payment_id}/reverse/",
        {"reason": "wrong buyer"},
        format="json",
    )
    assert (refused.status_code, refused.json()["code"]) == (409, "payment_from_bank_line")
    # unmatch reverses the payment
    undone = finance.post(
        f"/api/v1/bank-statements/lines/{ambiguous.pk}/unmatch/", {"reason": "wrong buyer"}, format="json"
    )
    assert (undone.status_code, undone.json()["status"], undone.json()["payment"]) == (200, "unmatched", None)
    assert Payment.objects.filter(reversed_at__isnull=False).count() == 1


def test_the_rematch_job_goes_round_every_open_line_however_many(parties, as_client, finance_admin_user, imported):
    """Each run tries the open lines tried longest ago: a line far down the list is reached, not only the first
    `batch` ones again and again; a line a business rule refuses (a payment code naming a manufacturer, which is no
    buyer) keeps its refusal as its note and takes its turn like the others instead of ending every run."""
    maker = OrganizationFactory(kind="manufacturer")
    accounts = [f"622202100100000000{n}" for n in range(1, 4)]
    rows = [f"R0,2026-11-02,50.00,,某药厂,PXB{maker.pk:06d}"]
    rows += [f"R{n},2026-11-02,{n}00.00,{account},某药房,转账" for n, account in enumerate(accounts, 1)]
    *_, lines = imported(as_client(finance_admin_user), HEADER + "\n".join(rows) + "\n")
    assert [line["status"] for line in lines] == ["unmatched"] * 4
    KnownBankAccount.objects.create(organization=parties.buyer, account_number=accounts[-1])  # learnt later

    runs = [bank_lines_rematch(actor=SYSTEM_ACTOR, batch=1) for _ in range(5)]

    assert runs == [0, 0, 0, 1, 0]
    assert BankLine.objects.get(transaction_id="R3").status == "matched"
    assert Payment.objects.get(pk=BankLine.objects.get(transaction_id="R3").payment_id).amount == Decimal("300.00")
    assert set(BankLine.objects.exclude(transaction_id="R3").values_list("status", flat=True)) == {"unmatched"}
    refused = BankLine.objects.get(transaction_id="R0")
    assert "buyer" in refused.note and refused.updated_at > BankLine.objects.get(transaction_id="R1").updated_at


def test_the_admin_action_tries_the_chosen_lines_and_says_what_it_left(parties, client):
    maker = OrganizationFactory(kind="manufacturer")
    bank_statement = BankStatement.objects.create(
        file_name="a.csv", file_sha256="0" * 64, file_size=1, imported_by="t", status="imported"
    )
    refused, due = (
        BankLine.objects.create(
            statement=bank_statement,
            transaction_id=f"A{n}",
            booked_on="2026-11-02",
            amount=Decimal("10.00"),
            counterparty_account=account,
            counterparty_name="x",
            reference=reference,
        )
        for n, account, reference in [(1, "", f"PXB{maker.pk:06d}"), (2, "6222021001000000009", "转账")]
    )
    KnownBankAccount.objects.create(organization=parties.buyer, account_number="6222021001000000009")
    client.force_login(UserFactory(staff_role="admin", is_staff=True, is_superuser=True))

    response = client.post(
        "/admin/settlements/bankline/",
        {"action": "rematch", "_selected_action": [refused.pk, due.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert "1 matched; 1 left open (see their notes)." in [str(m) for m in response.context["messages"]]
    refused.refresh_from_db(), due.refresh_from_db()
    assert (refused.status, due.status) == ("unmatched", "matched") and "buyer" in refused.note


def test_a_payout_debit_is_matched_by_statement_number_and_exact_amount(world, as_client, finance_admin_user, imported):
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
    _, _, lines = imported(
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
    statuses = {line["transaction_id"]: (line["status"], line["statement_id"]) for line in lines}
    assert statuses == {"D001": ("unmatched", None), "D002": ("matched", statement.pk)}
    statement = Statement.objects.get(pk=statement.pk)
    assert (statement.status, statement.payout.amount, statement.payout.bank_reference) == (
        "reconciled",
        Decimal("1197.95"),
        "D002",
    )


def test_an_invalid_file_fails_in_the_worker_and_stores_nothing(parties, as_client, finance_admin_user, imported):
    # when
    _, statement, lines = imported(
        as_client(finance_admin_user),
        HEADER + "T1,2026-13-01,1.005,,x,y\nT2,1900-01-01,１.００,,x,y\nT3,2026-11-30,1e1,,x,y\n",
    )
    # then: every bad cell is reported; no line, and the file is not kept
    dates = f"Use YYYY-MM-DD, from 2000-01-01 to {timezone.localdate() + timedelta(days=31)}."
    amounts = "A non-zero amount with at most two decimal places, in ASCII digits."
    errors = [
        {"field": "rows[1].booked_on", "code": "invalid", "message": dates},
        {"field": "rows[1].amount", "code": "invalid", "message": amounts},
        {"field": "rows[2].booked_on", "code": "invalid", "message": dates},
        {"field": "rows[2].amount", "code": "invalid", "message": amounts},
        {"field": "rows[3].amount", "code": "invalid", "message": amounts},
    ]
    assert (statement["status"], statement["message"], statement["errors"]) == ("failed", dates, errors)
    assert (statement["line_count"], lines, BankLine.objects.count()) == (0, [], 0)
    assert bytes(BankStatement.objects.get().content) == b""


def test_a_file_without_the_columns_is_refused_at_upload(parties, as_client, finance_admin_user):
    response = upload(as_client(finance_admin_user), "transaction_id,amount\nT1,1.00\n")
    detail = "Missing columns: booked_on, counterparty_account, counterparty_name, reference."
    assert (response.status_code, response.json()) == (
        400,
        {
            "type": "https://pharmex.example/problems/bank-file-invalid",
            "title": "The bank statement file cannot be read",
            "status": 400,
            "detail": detail,
            "errors": [{"field": "file", "code": "bank_file_invalid", "message": detail}],
            "code": "bank_file_invalid",
        },
    )
    assert BankStatement.objects.exists() is False


def test_blank_rows_count_toward_the_row_limit(parties, as_client, finance_admin_user, imported):
    client = as_client(finance_admin_user)
    text = HEADER + "T1,2026-11-01,1.00,,x,y\n\n\nT2,2026-11-01,2.00,,x,y\n"  # four rows, two of them blank
    with override_settings(BANK_STATEMENT_MAX_ROWS=3):
        _, refused, _ = imported(client, text)
    with override_settings(BANK_STATEMENT_MAX_ROWS=4):
        _, accepted, _ = imported(client, text.replace("2.00", "3.00"))  # another file, as many rows
    message = "The file has more than 3 rows (blank rows count too); split it into several files."
    assert (refused["status"], refused["errors"]) == (
        "failed",
        [{"field": "file", "code": "bank_file_invalid", "message": message}],
    )
    assert (accepted["status"], accepted["line_count"]) == ("imported", 2)


def test_the_detail_has_no_lines_and_the_lines_list_pages(parties, as_client, finance_admin_user, imported):
    # given
    client = as_client(finance_admin_user)
    text = HEADER + "".join(f"L{i},2026-11-01,{i}.00,,x,nothing\n" for i in range(1, 6))
    _, statement, _ = imported(client, text)
    # when
    first = client.get(f"/api/v1/bank-statements/lines/?statement={statement['id']}&page_size=2").json()
    second = client.get(first["next"]).json()
    last = client.get(second["next"]).json()
    # then
    assert sorted(statement) == [
        "duplicate_count",
        "duplicate_total",
        "errors",
        "file_name",
        "file_size",
        "file_total",
        "finished_at",
        "id",
        "imported_at",
        "imported_by",
        "line_count",
        "message",
        "started_at",
        "status",
        "summary",
    ]
    assert (statement["file_size"], statement["line_count"], statement["summary"]["unmatched"]) == (
        len(text.encode()),
        5,
        {"count": 5, "amount": "15.00"},
    )
    # in file order, a cursor a page: no count of every line the platform ever imported
    assert ("count" in first, [line["transaction_id"] for line in first["results"]]) == (False, ["L1", "L2"])
    assert f"statement={statement['id']}" in first["next"] and "cursor=" in first["next"]
    assert [line["transaction_id"] for line in second["results"]] == ["L3", "L4"]
    assert ([line["transaction_id"] for line in last["results"]], last["next"]) == (["L5"], None)


def test_the_task_is_idempotent(parties, as_client, finance_admin_user, imported):
    # given: an imported statement
    client = as_client(finance_admin_user)
    response, statement, lines = imported(client, HEADER + "R1,2026-11-01,1.00,,x,y\n")
    # when: the message is delivered again
    assert bank_statement_import_task.run(statement["id"]) is None
    # then
    assert client.get(response["Location"]).json() == statement
    assert BankLine.objects.count() == 1 == len(lines)


def test_the_admin_site_queues_an_uploaded_statement(
    parties, client, finance_admin_user, django_capture_on_commit_callbacks
):
    # given: a finance admin signed in to the admin site (the CSRF check is enforced, as in a browser)
    client.handler.enforce_csrf_checks = True
    client.force_login(UserFactory(staff_role="admin", is_staff=True, is_superuser=True))
    page = client.get("/admin/settlements/bankstatement/import/")
    token = page.cookies["csrftoken"].value
    forged = client.post("/admin/settlements/bankstatement/import/", {"file": SimpleUploadedFile("f.csv", b"x")})
    assert (forged.status_code, BankStatement.objects.exists()) == (403, False)
    # when
    file = SimpleUploadedFile("admin.csv", (HEADER + "A1,2026-11-01,3.00,,x,y\n").encode())
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post("/admin/settlements/bankstatement/import/", {"file": file, "csrfmiddlewaretoken": token})
    # then
    statement = BankStatement.objects.get()
    assert (page.status_code, response.status_code, response["Location"]) == (
        200,
        302,
        "/admin/settlements/bankstatement/",
    )
    assert (statement.status, statement.file_name, len(callbacks)) == ("queued", "admin.csv", 1)
    bank_statement_import_task.run(statement.pk)
    assert BankStatement.objects.get().status == "imported"
    client.force_login(User.objects.create_superuser("root@platform.test", "x-password-1"))
    changelist = client.get("/admin/settlements/bankstatement/")
    assert (changelist.status_code, "admin.csv" in changelist.content.decode()) == (200, True)


def test_the_admin_site_refuses_an_oversized_statement_unread(parties, client, finance_admin_user):
    client.force_login(UserFactory(staff_role="admin", is_staff=True, is_superuser=True))
    file = SimpleUploadedFile("big.csv", b"x" * 1000)
    with override_settings(BANK_STATEMENT_MAX_BYTES=10):
        response = client.post("/admin/settlements/bankstatement/import/", {"file": file}, CONTENT_LENGTH=str(10**9))
    assert response.status_code == 200
    assert "The upload is larger than 10 bytes, the most this endpoint accepts." in response.content.decode()
    assert BankStatement.objects.exists() is False
