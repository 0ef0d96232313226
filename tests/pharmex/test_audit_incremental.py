"""Audit verification starts from the last verified checkpoint, published outside the database (issue 19)."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from pharmex.audit import SYSTEM, audit_record, chain_hash, seal_audit_chain, verify_audit_chain
from pharmex.models import AuditEvent

pytestmark = pytest.mark.django_db


def record(n: int) -> list[AuditEvent]:
    return [
        audit_record(actor=SYSTEM, action="test.event", object_type="thing", object_id=i, changes={"n": i})
        for i in range(n)
    ]


def rows_read() -> int:
    """Rows of the audit table this transaction has read so far (PostgreSQL's own per-transaction counters)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(seq_tup_read, 0) + coalesce(idx_tup_fetch, 0) FROM pg_stat_xact_user_tables "
            "WHERE relname = %s",
            [AuditEvent._meta.db_table],
        )
        row = cursor.fetchone()
    return row[0] if row else 0


def alter(statement: str, params: list) -> None:
    with connection.cursor() as cursor:  # only a superuser who disables the trigger can do this
        cursor.execute("ALTER TABLE pharmex_auditevent DISABLE TRIGGER pharmex_audit_append_only")
        cursor.execute(statement, params)
        cursor.execute("ALTER TABLE pharmex_auditevent ENABLE TRIGGER pharmex_audit_append_only")


@pytest.fixture
def verified(django_capture_on_commit_callbacks):
    """verified(n) -> n records sealed, published and verified: the checkpoint is at the last of them."""

    def make(n: int) -> list[AuditEvent]:
        events = record(n)
        with django_capture_on_commit_callbacks(execute=True):
            seal_audit_chain()
        with django_capture_on_commit_callbacks(execute=True):
            assert verify_audit_chain().intact
        return events

    return make


def test_a_verification_publishes_its_checkpoint_beside_the_chain_head(settings, verified):
    verified(3)
    head = AuditEvent.objects.get(sequence=3)
    anchor = json.loads(settings.AUDIT_ANCHOR_PATH.read_text())
    assert (anchor["sequence"], anchor["hash"]) == (3, head.hash)
    assert {key: anchor["verified"][key] for key in ("sequence", "id", "hash")} == {
        "sequence": 3,
        "id": head.pk,
        "hash": head.hash,
    }


@pytest.mark.django_db(transaction=True)
def test_the_incremental_run_reads_only_the_records_after_the_checkpoint(verified, django_capture_on_commit_callbacks):
    # given: 400 verified records, then 5 new ones
    verified(400)
    record(5)
    with django_capture_on_commit_callbacks(execute=True):
        seal_audit_chain()
    # Sealing rewrote every record, leaving its unsealed version behind in the sequence index until VACUUM. On a
    # live table autovacuum clears them; here they would be walked (and counted) by whichever plan the planner's
    # latest statistics pick, so the test clears them itself and counts only the verifier's own reads.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE pharmex_auditevent")

    with transaction.atomic():  # the row counters below are per transaction
        # when: planned as on a table of millions (this one fits in a few pages, which PostgreSQL would rather scan
        # whole); only a query that cannot use an index still reads the table through
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        before = rows_read()
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
            report = verify_audit_chain()
        incremental = rows_read() - before

        # then: the 5 records walked, the checkpoint record before them, and the head and checkpoint records
        # checked against the anchor file at the end — whatever the length of the chain before the checkpoint
        assert (report.checked, report.since, report.intact) == (5, 400, True)
        assert incremental == 5 + 1 + 2
        # which database, checkpoint record, one batch, unsealed count, which database, head + checkpoint, which
        # database (publishing the new checkpoint)
        assert len(queries) == 7

        # and the checkpoint moved: the next run reads nothing new
        before = rows_read()
        report = verify_audit_chain()
        assert (report.checked, report.since) == (0, 405)
        assert rows_read() - before == 2  # the checkpoint record, then it again as head and checkpoint

        # while the full run reads every record
        before = rows_read()
        assert verify_audit_chain(full=True).checked == 405
        assert rows_read() - before >= 405


def test_tampering_after_the_checkpoint_is_detected_by_the_incremental_run(verified):
    verified(3)
    later = record(3)
    seal_audit_chain()
    alter("UPDATE pharmex_auditevent SET changes = '{\"n\": 999}' WHERE id = %s", [later[1].pk])

    report = verify_audit_chain()
    assert (report.since, report.first_broken.pk) == (3, later[1].pk)
    assert report.reason == "content does not match its hash (the record was altered)"
    with pytest.raises(CommandError, match=f"id={later[1].pk} sequence=5 "):
        call_command("verify_audit_chain", "--no-seal")


def test_tampering_before_the_checkpoint_is_found_by_the_full_run(verified, capsys):
    # given: a record altered before the checkpoint, its hash left as it was
    events = verified(4)
    alter("UPDATE pharmex_auditevent SET changes = '{\"n\": 999}' WHERE id = %s", [events[1].pk])

    # then: the incremental run does not read it (that is its point) ...
    call_command("verify_audit_chain", "--no-seal")
    assert capsys.readouterr().out.strip() == (
        "audit chain intact: 0 records verified after the checkpoint at sequence 4, 0 not yet sealed"
    )
    # ... and the full run names it
    with pytest.raises(CommandError, match=f"id={events[1].pk} sequence=2 .*the record was altered"):
        call_command("verify_audit_chain", "--no-seal", "--full")


def test_a_rewritten_chain_no_longer_holds_the_checkpoint(verified):
    # given: an attacker alters record 2 and recomputes every hash after it, so the chain is consistent in itself
    events = verified(4)
    alter("UPDATE pharmex_auditevent SET changes = '{\"n\": 999}' WHERE id = %s", [events[1].pk])
    previous = AuditEvent.objects.get(sequence=1).hash
    for event in AuditEvent.objects.filter(sequence__gte=2).order_by("sequence"):
        event.previous_hash, event.hash = previous, chain_hash(previous, event)
        previous = event.hash
        alter(
            "UPDATE pharmex_auditevent SET previous_hash = %s, hash = %s WHERE id = %s",
            [event.previous_hash, event.hash, event.pk],
        )

    # then: the checkpoint is outside the database, so its record's new hash shows at once
    report = verify_audit_chain()
    assert report.first_broken.sequence == 4
    assert report.reason.startswith("sequence 4 is not the record verified at ")
    assert verify_audit_chain(full=True).reason.startswith("sequence 4 does not have the hash published at ")


def test_a_deleted_checkpoint_record_is_reported(verified):
    events = verified(3)
    alter("DELETE FROM pharmex_auditevent WHERE id = %s", [events[2].pk])
    report = verify_audit_chain()
    assert (report.intact, report.first_broken) == (False, None)
    assert report.reason.startswith("sequence 3, verified at ")


def test_a_limited_run_moves_the_checkpoint_in_steps(verified, django_capture_on_commit_callbacks):
    verified(2)
    record(5)
    seal_audit_chain()
    steps = []
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            report = verify_audit_chain(limit=2)
        steps.append((report.since, report.checked, report.complete))
    assert steps == [(2, 2, False), (4, 2, False), (6, 1, True)]


def test_sealing_keeps_the_checkpoint_and_verification_keeps_the_head(
    settings, verified, django_capture_on_commit_callbacks
):
    verified(2)
    record(1)
    with django_capture_on_commit_callbacks(execute=True):
        seal_audit_chain()
    anchor = json.loads(settings.AUDIT_ANCHOR_PATH.read_text())
    assert (anchor["sequence"], anchor["verified"]["sequence"]) == (3, 2)


def test_readiness_reports_a_checkpoint_record_that_changed(api_client, verified):
    events = verified(2)
    alter("UPDATE pharmex_auditevent SET hash = %s WHERE id = %s", ["f" * 64, events[0].pk])
    assert api_client.get("/readyz").json()["checks"]["audit"] == "ok"  # before the checkpoint: a full run's job

    alter("UPDATE pharmex_auditevent SET hash = %s WHERE id = %s", ["e" * 64, events[1].pk])
    response = api_client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["audit"].startswith("error: sequence 2 does not have the hash published at")


def test_the_beat_job_verifies_since_the_checkpoint_and_logs_a_break(
    verified, caplog, django_capture_on_commit_callbacks
):
    from pharmex.tasks import verify_audit_chain_task

    verified(2)
    record(2)
    seal_audit_chain()
    with django_capture_on_commit_callbacks(execute=True):
        assert verify_audit_chain_task() == 2  # sequences 3 and 4; the checkpoint moves to 4

    later = record(2)
    seal_audit_chain()
    alter("UPDATE pharmex_auditevent SET changes = '{\"n\": 999}' WHERE id = %s", [later[1].pk])
    assert verify_audit_chain_task() == 1  # sequence 5, then 6 is broken
    assert f"audit chain verification failed at record id={later[1].pk} sequence=6" in caplog.text
