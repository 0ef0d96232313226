"""Settlement jobs through a real Celery worker: the monthly generation delivered twice (CEL-2, REC-2), a bank
statement upload imported and matched."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from pharmex.actor import SYSTEM_ACTOR
from settlements.models import BankLine, BankStatement, Receivable, Statement, StatementLine
from settlements.services import payment_record
from settlements.tasks import statement_generate_task
from tests.conftest import client_for
from tests.factories.settlements import received_order

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_generation_task_delivered_twice_makes_one_set_of_statements(parties, celery_worker_process):
    # given: an order paid last month, committed so the worker sees it
    last_month = timezone.localdate().replace(day=1) - timedelta(days=3)
    moment = timezone.make_aware(timezone.datetime.combine(last_month, timezone.datetime.min.time()).replace(hour=12))
    with time_machine.travel(moment, tick=False):
        order = received_order(buyer=parties.buyer, supplier=parties.supplier, gross="300.00")
        payment_record(buyer_id=parties.buyer.pk, amount=Decimal("300.00"), value_date=last_month, actor=SYSTEM_ACTOR)
    # when: the same message twice through the broker
    statement_generate_task.delay("month", last_month.isoformat())
    statement_generate_task.delay("month", last_month.isoformat())

    # then: both deliveries done (other tasks the order and payment queued on commit succeed in the same log)
    def generations_done() -> int:
        lines = celery_worker_process.log().splitlines()
        return sum("statement_generate_task[" in line and "succeeded" in line for line in lines)

    celery_worker_process.wait_until(lambda: generations_done() >= 2)
    statement = Statement.objects.get()
    assert (statement.line_count, statement.gross, statement.net) == (1, Decimal("300.00"), Decimal("291.00"))
    assert list(StatementLine.objects.values_list("order_id", flat=True)) == [order.pk]


def test_an_uploaded_bank_statement_is_imported_and_matched_by_a_real_worker(
    parties, finance_admin_user, celery_worker_process
):
    # given: a received order (committed: the worker is another connection)
    order = received_order(buyer=parties.buyer, supplier=parties.supplier, gross="300.00")
    client = client_for(finance_admin_user)
    text = (
        "transaction_id,booked_on,amount,counterparty_account,counterparty_name,reference\n"
        f"W1,2026-11-02,300.00,,海口康宁大药房,货款 {order.number}\n"
        "W2,2026-11-02,-5.00,,银行,手续费\n"
    )

    def upload():
        file = SimpleUploadedFile("w.csv", text.encode())
        return client.post("/api/v1/bank-statements/", {"file": file}, format="multipart")

    # when: the upload commits and dispatches the task through the broker
    response = upload()
    assert (response.status_code, response.json()["status"]) == (202, "queued")
    statement_id = response.json()["id"]
    # then
    celery_worker_process.wait_until(lambda: BankStatement.objects.get(pk=statement_id).status == "imported")
    lines = dict(BankLine.objects.filter(statement_id=statement_id).values_list("transaction_id", "status"))
    assert lines == {"W1": "matched", "W2": "unmatched"}
    assert Receivable.objects.get(order=order).paid_at is not None
    assert "settlements.tasks.bank_statement_import_task" in celery_worker_process.log()
    # and the same file again is the same statement
    again = upload()
    assert (again.status_code, again.json()["id"], again.json()["status"]) == (200, statement_id, "imported")
