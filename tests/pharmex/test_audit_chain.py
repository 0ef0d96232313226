"""The hash-chained append-only audit log (SPEC §7)."""

import json
from itertools import pairwise

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from accounts.choices import MemberRole
from pharmex.audit import SYSTEM, AuditChainTruncated, audit_record, seal_audit_chain, verify_audit_chain
from pharmex.models import AuditEvent

pytestmark = pytest.mark.django_db


def record(n: int) -> list[AuditEvent]:
    return [
        audit_record(
            actor=SYSTEM, action="test.event", object_type="thing", object_id=i, changes={"n": i, "名称": "阿莫西林"}
        )
        for i in range(n)
    ]


def test_sealing_chains_records_in_order_and_verification_passes():
    record(5)
    assert seal_audit_chain() == 5
    assert seal_audit_chain() == 0
    events = list(AuditEvent.objects.order_by("sequence"))
    assert [e.sequence for e in events] == [1, 2, 3, 4, 5]
    assert events[0].previous_hash == "0" * 64
    assert all(later.previous_hash == earlier.hash for earlier, later in pairwise(events))
    report = verify_audit_chain()
    assert (report.checked, report.unsealed, report.first_broken) == (5, 0, None)


def test_a_tampered_record_is_detected_and_named():
    events = record(4)
    seal_audit_chain()
    victim = events[2]
    with connection.cursor() as cursor:  # only a superuser who disables the trigger can do this
        cursor.execute("ALTER TABLE pharmex_auditevent DISABLE TRIGGER pharmex_audit_append_only")
        cursor.execute("UPDATE pharmex_auditevent SET changes = '{\"n\": 999}' WHERE id = %s", [victim.pk])
        cursor.execute("ALTER TABLE pharmex_auditevent ENABLE TRIGGER pharmex_audit_append_only")

    report = verify_audit_chain()
    assert report.first_broken.pk == victim.pk
    assert report.reason == "content does not match its hash (the record was altered)"
    with pytest.raises(CommandError) as error:
        call_command("verify_audit_chain")
    assert f"id={victim.pk} sequence=3" in str(error.value)


def test_a_deleted_record_breaks_the_chain_at_its_successor():
    events = record(3)
    seal_audit_chain()
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE pharmex_auditevent DISABLE TRIGGER pharmex_audit_append_only")
        cursor.execute("DELETE FROM pharmex_auditevent WHERE id = %s", [events[1].pk])
        cursor.execute("ALTER TABLE pharmex_auditevent ENABLE TRIGGER pharmex_audit_append_only")
    report = verify_audit_chain()
    assert report.first_broken.pk == events[2].pk
    assert report.reason == "sequence 3 where 2 was expected"


def test_the_database_refuses_updates_and_deletes_of_audit_records():
    event = record(1)[0]
    seal_audit_chain()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(hash="f" * 64)  # re-sealing is refused too


def test_the_command_reports_an_intact_chain(capsys):
    record(2)
    call_command("verify_audit_chain")
    assert capsys.readouterr().out.strip() == "audit chain intact: 2 records verified, 0 not yet sealed"


def test_a_state_changing_request_writes_an_audit_record_with_actor_and_request_id(buyer, member_of, as_client):
    owner = member_of(buyer, MemberRole.OWNER)
    response = as_client(owner).patch(
        f"/api/v1/organizations/{buyer.pk}/",
        {"address": "海口市美兰区"},
        format="json",
        HTTP_X_REQUEST_ID="req-0123456789",
    )
    assert response.status_code == 200
    assert response["X-Request-ID"] == "req-0123456789"
    event = AuditEvent.objects.get(action="organization.updated")
    assert (event.actor_type, event.actor_user_id, event.actor_label) == ("user", owner.pk, owner.email)
    assert (event.organization_id, event.object_type, event.object_id) == (buyer.pk, "organization", str(buyer.pk))
    assert event.changes == {"address": ["", "海口市美兰区"]}
    assert event.request_id == "req-0123456789"


def test_audit_records_roll_back_with_the_change_they_describe():
    with pytest.raises(RuntimeError), transaction.atomic():
        record(1)
        raise RuntimeError("the change failed")
    assert not AuditEvent.objects.exists()


def _disable_append_only(statement: str, params: list) -> None:
    with connection.cursor() as cursor:  # only a superuser who disables the trigger can do this
        cursor.execute("ALTER TABLE pharmex_auditevent DISABLE TRIGGER pharmex_audit_append_only")
        cursor.execute(statement, params)
        cursor.execute("ALTER TABLE pharmex_auditevent ENABLE TRIGGER pharmex_audit_append_only")


def test_each_sealing_run_publishes_the_chain_head_outside_the_database(settings, django_capture_on_commit_callbacks):
    record(3)
    with django_capture_on_commit_callbacks(execute=True):
        seal_audit_chain()
    head = AuditEvent.objects.get(sequence=3)
    anchor = json.loads(settings.AUDIT_ANCHOR_PATH.read_text())
    assert (anchor["sequence"], anchor["hash"]) == (3, head.hash)
    assert verify_audit_chain().intact


def test_deleting_the_newest_records_is_detected_against_the_anchor(django_capture_on_commit_callbacks):
    # given: a sealed and published chain of four
    events = record(4)
    with django_capture_on_commit_callbacks(execute=True):
        seal_audit_chain()

    # when: someone with the power to disable the trigger deletes the two newest, leaving a valid-looking chain
    _disable_append_only("DELETE FROM pharmex_auditevent WHERE id = ANY(%s)", [[e.pk for e in events[2:]]])

    # then: the walk alone finds nothing, the anchor does — and sealing refuses to paper over it
    report = verify_audit_chain()
    assert (report.checked, report.first_broken, report.intact) == (2, None, False)
    assert report.reason.startswith("the chain ends at sequence 2 but sequence 4 was published at ")
    with pytest.raises(CommandError, match="audit chain truncated: the chain ends at sequence 2"):
        call_command("verify_audit_chain", "--no-seal")
    record(1)
    with pytest.raises(AuditChainTruncated):
        seal_audit_chain()


def test_readiness_reports_a_truncated_audit_chain(api_client, django_capture_on_commit_callbacks):
    events = record(2)
    with django_capture_on_commit_callbacks(execute=True):
        seal_audit_chain()
    assert api_client.get("/readyz").json()["checks"]["audit"] == "ok"

    _disable_append_only("DELETE FROM pharmex_auditevent WHERE id = %s", [events[1].pk])

    response = api_client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["audit"].startswith("error: the chain ends at sequence 1 but sequence 2")
