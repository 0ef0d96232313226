"""The audit records of one action, or about one kind of object, are read through their own index, newest first
(issue 19): the API's `action` and `object_type` filters and the desk's read a page of them, where a rare one was
looked for along the primary key through every record ever written — all of them for one that never happened.

The plans are asked of a log with a history (20,000 records of another action, `plans.history`): on six records the
two ways cost the same, and which one the planner takes is a tie a PostgreSQL release breaks either way."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pharmex.audit import SYSTEM, audit_record
from pharmex.models import AuditEvent
from tests import plans
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def audit_reads(call, column: str = "action") -> list[list[tuple[str, str]]]:
    """Run `call` over a log with a history; for each statement that reads audit records by `column`: how its plan
    reads them."""
    common = AuditEvent.objects.filter(action="order.placed").values_list("pk", flat=True).first()
    padding = plans.copies(AuditEvent, common, 20_000, sequence="NULL", previous_hash="NULL", hash="NULL")
    with plans.history([AuditEvent._meta.db_table], padding):
        with CaptureQueriesContext(connection) as queries:
            call()
        return [
            plans.table_reads(query["sql"])
            for query in queries.captured_queries
            if f'"pharmex_auditevent"."{column}" =' in query["sql"]
        ]


@pytest.fixture
def records(db):
    audit_record(actor=SYSTEM, action="license.approved", object_type="license", object_id=1)
    for n in range(5):
        audit_record(actor=SYSTEM, action="order.placed", object_type="order", object_id=n)


@pytest.mark.parametrize("action", ["license.approved", "never.happened"])
def test_the_api_reads_one_actions_records_through_their_index(records, admin_user, action):
    client = client_for(admin_user)
    responses = []

    reads = audit_reads(lambda: responses.append(client.get("/api/v1/audit-events/", {"action": action})))

    assert responses[0].status_code == 200
    assert [event["action"] for event in responses[0].json()["results"]] == [action] * (action == "license.approved")
    assert reads == [[("pharmex_auditevent", "audit_action_recent")]]


@pytest.mark.parametrize("object_type", ["license", "partition"])
def test_the_api_reads_the_records_about_one_kind_of_object_through_their_index(records, admin_user, object_type):
    client = client_for(admin_user)
    responses = []

    reads = audit_reads(
        lambda: responses.append(client.get("/api/v1/audit-events/", {"object_type": object_type})), "object_type"
    )

    assert responses[0].status_code == 200
    assert [event["object_type"] for event in responses[0].json()["results"]] == [object_type] * (
        object_type == "license"
    )
    assert reads == [[("pharmex_auditevent", "audit_type_recent")]]


def test_the_desk_reads_one_actions_records_through_their_index(records, client):
    client.force_login(UserFactory(email="desk@platform.test", staff_role="admin", is_staff=True, is_superuser=True))
    pages = []

    reads = audit_reads(lambda: pages.append(client.get("/admin/pharmex/auditevent/", {"action": "license.approved"})))

    assert [event.action for event in pages[0].context["cl"].result_list] == ["license.approved"]
    assert reads and all(read == [("pharmex_auditevent", "audit_action_recent")] for read in reads), reads
