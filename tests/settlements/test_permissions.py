"""Who may read and do what (SPEC §8): suppliers see only their statements and ledger, buyers only theirs,
only finance admins record payments, import bank statements and match lines."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.choices import MemberRole
from pharmex.actor import SYSTEM_ACTOR
from settlements.models import BankLine
from settlements.services import bank_statement_import, bank_statement_upload, payment_record, statement_generate
from tests.conftest import client_for
from tests.factories import MembershipFactory, OrganizationFactory
from tests.factories.settlements import received_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(parties, admin_user, finance_admin_user):
    order = received_order(buyer=parties.buyer, supplier=parties.supplier, gross="100.00")
    payment_record(
        buyer_id=parties.buyer.pk,
        amount=Decimal("100.00"),
        value_date=timezone.localdate(),
        actor=SYSTEM_ACTOR,
        reference=order.number,
    )
    start = timezone.localdate().replace(day=1)
    [statement] = statement_generate(
        period_kind="month", day=start, actor=SYSTEM_ACTOR, today=(start + timedelta(days=32)).replace(day=1)
    )
    bank, _ = bank_statement_upload(
        file_name="b.csv",
        actor=SYSTEM_ACTOR,
        file=io.BytesIO(
            b"transaction_id,booked_on,amount,counterparty_account,counterparty_name,reference\n"
            b"X1,2026-11-01,9.99,,someone,nothing\n"
        ),
    )
    bank_statement_import(statement_id=bank.pk)  # what the queued task does
    stranger = OrganizationFactory(legal_name="另一家药房", kind="pharmacy")
    clients = {
        "anonymous": client_for(),
        "admin": client_for(admin_user),
        "finance_admin": client_for(finance_admin_user),
        "supplier_finance": parties.supplier_client(),
        "supplier_operator": client_for(
            MembershipFactory(organization=parties.supplier, role=MemberRole.OPERATOR).user
        ),
        "buyer_finance": parties.buyer_client(),
        "stranger_owner": client_for(MembershipFactory(organization=stranger, role=MemberRole.OWNER).user),
    }
    return {"statement": statement, "bank": bank, "line": BankLine.objects.get(), "clients": clients}


READS = [
    # (who, path, status, number of results)
    ("anonymous", "/api/v1/settlements/", 401, None),
    ("admin", "/api/v1/settlements/", 200, 1),
    ("supplier_finance", "/api/v1/settlements/", 200, 1),
    ("buyer_finance", "/api/v1/settlements/", 200, 0),
    ("stranger_owner", "/api/v1/settlements/", 200, 0),
    ("supplier_operator", "/api/v1/settlements/", 403, None),
    ("supplier_finance", "/api/v1/ledger/accounts/", 200, 1),
    ("buyer_finance", "/api/v1/ledger/accounts/", 200, 1),
    ("stranger_owner", "/api/v1/ledger/accounts/", 200, 0),
    ("admin", "/api/v1/ledger/accounts/", 200, 4),
    ("buyer_finance", "/api/v1/ledger/entries/", 200, 2),
    ("supplier_finance", "/api/v1/ledger/entries/", 200, 1),
    ("stranger_owner", "/api/v1/ledger/entries/", 200, 0),
    ("buyer_finance", "/api/v1/payments/", 200, 1),
    ("supplier_finance", "/api/v1/payments/", 200, 0),
    ("buyer_finance", "/api/v1/bank-statements/", 403, None),
    ("supplier_finance", "/api/v1/bank-statements/lines/", 403, None),
    ("finance_admin", "/api/v1/bank-statements/", 200, 1),
    ("admin", "/api/v1/bank-statements/lines/", 200, 1),
]


@pytest.mark.parametrize(("who", "path", "expected", "count"), READS)
def test_read_matrix(book, who, path, expected, count):
    response = book["clients"][who].get(path)
    assert response.status_code == expected
    if count is not None:
        assert len(response.json()["results"]) == count


@pytest.mark.parametrize(
    ("who", "expected"), [("supplier_finance", 200), ("buyer_finance", 404), ("stranger_owner", 404), ("admin", 200)]
)
def test_a_statement_of_another_organisation_does_not_exist(book, who, expected):
    response = book["clients"][who].get(f"/api/v1/settlements/{book['statement'].pk}/")
    assert response.status_code == expected
    export = book["clients"][who].get(f"/api/v1/settlements/{book['statement'].pk}/export/")
    assert export.status_code == expected


WRITES = [
    # who may record payments, import bank statements, match lines and generate/pay statements
    ("admin", "payment", 403),
    ("finance_admin", "payment", 201),
    ("buyer_finance", "payment", 403),
    ("supplier_finance", "payment", 403),
    ("admin", "import", 403),
    ("finance_admin", "import", 202),
    ("buyer_finance", "import", 403),
    ("admin", "ignore", 403),
    ("finance_admin", "ignore", 200),
    ("supplier_finance", "ignore", 403),
    ("supplier_finance", "generate", 403),
    ("admin", "generate", 201),
    ("finance_admin", "generate", 201),
    ("supplier_finance", "issue", 403),
    ("buyer_finance", "dispute", 404),
]


@pytest.mark.parametrize(("who", "operation", "expected"), WRITES)
def test_write_matrix(book, parties, who, operation, expected):
    client = book["clients"][who]
    if operation == "payment":
        response = client.post(
            "/api/v1/payments/",
            {"buyer_id": parties.buyer.pk, "amount": "1.00", "value_date": "2026-11-01"},
            format="json",
        )
    elif operation == "import":
        file = SimpleUploadedFile(
            "c.csv",
            b"transaction_id,booked_on,amount,counterparty_account,counterparty_name,"
            b"reference\nY1,2026-11-01,1.00,,a,b\n",
        )
        response = client.post("/api/v1/bank-statements/", {"file": file}, format="multipart")
    elif operation == "ignore":
        response = client.post(
            f"/api/v1/bank-statements/lines/{book['line'].pk}/ignore/", {"reason": "fee"}, format="json"
        )
    elif operation == "generate":
        response = client.post(
            "/api/v1/settlements/generate/", {"period_kind": "month", "day": "2026-01-01"}, format="json"
        )
    else:
        response = client.post(
            f"/api/v1/settlements/{book['statement'].pk}/{operation}/", {"reason": "x"}, format="json"
        )
    assert response.status_code == expected, response.content


def test_the_buyer_reads_its_receipt_in_the_audit_log_without_the_suppliers_commission(parties):
    # given: a received order, posted to the ledger (3 % commission)
    order = received_order(buyer=parties.buyer, supplier=parties.supplier, gross="100.00")

    # when: each party reads its audit log
    def changes_of(client, action):
        results = client.get(f"/api/v1/audit-events/?action={action}").json()["results"]
        return [event["changes"] for event in results if event["object_id"] == str(order.pk)]

    buyer, supplier = parties.buyer_client(), parties.supplier_client()

    # then: the buyer's record says what it owes and when; the commission is the supplier's and the platform's
    (receipt,) = changes_of(buyer, "ledger.receipt_posted")
    assert set(receipt) == {"entry", "gross", "due_date"} and receipt["gross"] == "100.00"
    assert changes_of(buyer, "ledger.commission_charged") == []
    (commission,) = changes_of(supplier, "ledger.commission_charged")
    assert (commission["commission"], commission["rate"]) == ("3.00", "0.0300")
    assert "commission" not in str(buyer.get("/api/v1/audit-events/").json())
