"""The monthly generation job through a real Celery worker, delivered twice (CEL-2, REC-2)."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from pharmex.actor import SYSTEM_ACTOR
from settlements.models import Statement, StatementLine
from settlements.services import payment_record
from settlements.tasks import statement_generate_task
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
    # then
    celery_worker_process.wait_until(lambda: celery_worker_process.log().count("succeeded") >= 2)
    statement = Statement.objects.get()
    assert (statement.line_count, statement.gross, statement.net) == (1, Decimal("300.00"), Decimal("291.00"))
    assert list(StatementLine.objects.values_list("order_id", flat=True)) == [order.pk]
