"""pharmex/sql.py against the ORM: the audit rows and seal, the idempotency claim and the stored response."""

from __future__ import annotations

import pytest
from django.utils import timezone

from pharmex import appends, sql
from pharmex.audit import AUDIT_ROWS
from pharmex.models import AuditEvent, IdempotencyKey
from tests.sql_parity import fields

pytestmark = pytest.mark.django_db


def _audit_event(n: int) -> AuditEvent:
    return AuditEvent(
        occurred_at=timezone.now(),
        actor_type=AuditEvent.ActorType.USER,
        actor_user_id=7,
        actor_label="甲@a.test",
        organization_id=3,
        action="order.confirm",
        object_type="order",
        object_id=str(n),
        changes={"status": ["placed", "confirmed"], "total": "12.50", "lines": [[n, 1]]},
        request_id="r" * 32,
    )


def test_audit_records_read_back_as_the_orm_would_have_written_them():
    events = [_audit_event(n) for n in range(3)]
    appends.append(AUDIT_ROWS, events[:1])  # at once
    with appends.kept():
        appends.append(AUDIT_ROWS, events[1:])  # kept, written at the end of the block

    for event in events:
        stored = AuditEvent.objects.get(pk=event.pk)
        orm_twin = AuditEvent.objects.create(**{k: v for k, v in fields(event).items() if k != "id"})
        assert fields(stored) == fields(event)
        assert {k: v for k, v in fields(stored).items() if k != "id"} == {
            k: v for k, v in fields(AuditEvent.objects.get(pk=orm_twin.pk)).items() if k != "id"
        }


def test_sealing_writes_what_an_orm_update_would_and_touches_no_other_record():
    def record(n: int) -> AuditEvent:
        return AuditEvent.objects.create(
            occurred_at=timezone.now(), actor_type=AuditEvent.ActorType.SYSTEM, actor_label="beat",
            action="job.ran", object_type="job", object_id=str(n), changes={},
        )  # fmt: skip

    by_sql, by_orm, untouched = record(1), record(2), record(3)
    for sequence, event in enumerate((by_sql, by_orm), 1):
        event.sequence, event.previous_hash, event.hash = sequence, f"{sequence - 1:064x}", f"{sequence:064x}"
    sql.audit_events_seal([by_sql])
    AuditEvent.objects.bulk_update([by_orm], ["sequence", "previous_hash", "hash"])

    sealed = {event.pk: event for event in AuditEvent.objects.all()}
    assert fields(sealed[by_sql.pk]) == fields(by_sql)
    assert fields(sealed[by_orm.pk]) == fields(by_orm)
    assert (sealed[untouched.pk].sequence, sealed[untouched.pk].hash) == (None, None)


def test_a_claim_writes_the_row_the_orm_would_create():
    now = timezone.now()
    held, claimed = sql.idempotency_key_claim(
        scope="org:1", key="k-1", method="POST", path="/api/v1/orders/", fingerprint="f" * 64, now=now
    )

    assert (held, claimed) == (True, True)
    claim = IdempotencyKey.objects.get(scope="org:1", key="k-1")
    orm = IdempotencyKey(
        id=claim.pk, scope="org:1", key="k-1", method="POST", path="/api/v1/orders/", fingerprint="f" * 64,
        created_at=now,
    )  # fmt: skip
    assert fields(claim) == fields(orm)


def test_a_second_claim_of_a_finished_key_finds_it():
    now = timezone.now()
    sql.idempotency_key_claim(scope="org:1", key="k", method="POST", path="/p", fingerprint="f", now=now)
    assert sql.idempotency_key_claim(scope="org:1", key="k", method="POST", path="/p", fingerprint="f", now=now) == (
        True,
        False,
    )


def test_a_stored_response_reads_back_as_an_orm_update_would_leave_it():
    now = timezone.now()
    sql.idempotency_key_claim(scope="org:1", key="a", method="POST", path="/p", fingerprint="f", now=now)
    sql.idempotency_key_claim(scope="org:1", key="b", method="POST", path="/p", fingerprint="f", now=now)
    body, headers = {"id": 5, "total": "1.00", "名称": "阿莫西林"}, {"ETag": '"x"'}

    sql.idempotent_response_store(scope="org:1", key="a", status=201, body=body, headers=headers)
    IdempotencyKey.objects.filter(scope="org:1", key="b").update(
        response_status=201, response_body=body, response_headers=headers
    )

    by_sql, by_orm = IdempotencyKey.objects.get(key="a"), IdempotencyKey.objects.get(key="b")
    assert (by_sql.response_status, by_sql.response_body, by_sql.response_headers) == (
        by_orm.response_status,
        by_orm.response_body,
        by_orm.response_headers,
    )


@pytest.mark.django_db(transaction=True)
def test_wal_positions_move_with_writes_and_a_primary_has_no_replay_position():
    before = sql.wal_insert_position()
    AuditEvent.objects.create(
        occurred_at=timezone.now(), actor_type="system", actor_label="system", action="t", object_type="t", object_id=1
    )
    assert sql.wal_insert_position() > before
    assert sql.wal_replay_position(using="default") is None  # not a standby
