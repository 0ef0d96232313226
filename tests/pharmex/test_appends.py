"""pharmex.appends: the rows a change appends about itself are written with it, never without it, in one statement."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from pharmex import appends, sql
from pharmex.audit import SYSTEM, audit_record
from pharmex.models import AuditEvent, IdempotencyKey
from tests.factories import OrganizationFactory
from webhooks.models import OutboxEvent, WebhookDelivery, WebhookEndpoint
from webhooks.services.outbox import outbox_publish

pytestmark = pytest.mark.django_db


def _record(n: int) -> AuditEvent:
    return audit_record(actor=SYSTEM, action="test.appended", object_type="probe", object_id=n, changes={"n": n})


def _stored() -> list[str]:
    return list(AuditEvent.objects.filter(action="test.appended").order_by("pk").values_list("object_id", flat=True))


def test_outside_a_keeping_block_a_row_is_written_at_once():
    event = _record(1)
    assert event.pk is not None and _stored() == ["1"]


def test_kept_rows_wait_for_the_end_and_go_in_one_statement_with_what_the_end_writes():
    organization = OrganizationFactory()
    WebhookEndpoint.objects.create(
        organization=organization, url="https://erp.example.com/hook", event_types=["order.placed"], secret="s"
    )
    sql.idempotency_key_claim(scope="org:1", key="k", method="POST", path="/p", fingerprint="f", now=timezone.now())

    with CaptureQueriesContext(connection) as queries, appends.kept():
        first, second = _record(1), _record(2)
        outbox_publish(
            event_type="order.placed", organization_ids=[organization.pk], payload={}, object_type="o", object_id=1
        )
        kept_so_far = (len(queries), first.pk)
        sql.idempotent_response_store(scope="org:1", key="k", status=201, body={"id": 1}, headers={})
        written = len(queries)

    assert kept_so_far == (0, None)
    assert (written, len(queries)) == (1, 1)  # one statement, and nothing left for the end of the block
    assert _stored() == ["1", "2"] and (first.pk, second.pk) == tuple(
        AuditEvent.objects.filter(action="test.appended").order_by("pk").values_list("pk", flat=True)
    )
    assert (OutboxEvent.objects.count(), WebhookDelivery.objects.count()) == (1, 1)
    assert IdempotencyKey.objects.get(key="k").response_body == {"id": 1}


def test_kept_rows_get_their_ids_in_the_order_they_were_appended():
    with appends.kept():
        events = [_record(n) for n in (5, 3, 9, 1, 7)]
    assert _stored() == ["5", "3", "9", "1", "7"]
    assert [event.pk for event in events] == sorted(event.pk for event in events)


def test_a_block_that_fails_writes_nothing_it_kept():
    with pytest.raises(RuntimeError), transaction.atomic(), appends.kept():
        _record(1)
        raise RuntimeError("the change failed")
    assert _stored() == []


def test_a_transaction_marked_for_rollback_writes_nothing_it_kept():
    with CaptureQueriesContext(connection) as queries, transaction.atomic(), appends.kept():
        _record(1)
        transaction.set_rollback(True)  # an error response (pharmex.api.idempotency)
    assert [query["sql"] for query in queries.captured_queries if "INSERT" in query["sql"]] == []
    assert _stored() == []


def test_a_row_appended_inside_a_savepoint_is_written_at_once_and_rolled_back_with_it():
    with appends.kept():
        _record(1)
        try:
            with transaction.atomic():  # a savepoint opened since keeping began
                inner = _record(2)
                written_at_once = inner.pk is not None
                raise RuntimeError("rolled back to the savepoint")
        except RuntimeError:
            pass
        _record(3)
    assert written_at_once
    assert _stored() == ["1", "3"]  # the savepoint took its own row and left those kept before it


def test_a_block_without_a_savepoint_keeps_its_rows_with_the_rest():
    with CaptureQueriesContext(connection) as queries, appends.kept():
        with transaction.atomic(savepoint=False):
            _record(1)
        _record(2)
        kept_so_far = len(queries)
    assert (kept_so_far, len(queries), _stored()) == (0, 1, ["1", "2"])


def test_keeping_blocks_nest_into_one():
    with appends.kept():
        with appends.kept():
            _record(1)
        inner_left = _stored()
        _record(2)
    assert (inner_left, _stored()) == ([], ["1", "2"])


@pytest.mark.django_db(transaction=True)
def test_keeping_needs_a_transaction():
    with pytest.raises(RuntimeError, match="open one first"), appends.kept():
        pass
