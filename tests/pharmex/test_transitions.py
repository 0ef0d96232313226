"""pharmex.transitions: one way every status changes — locked, checked, recorded, audited."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from accounts.choices import OrganizationStatus
from accounts.models import Organization
from accounts.transitions import INVITATION, LICENSE, ORGANIZATION
from catalog.transitions import DRUG, OFFER
from orders.transitions import ORDER
from pharmex.actor import SYSTEM_ACTOR
from pharmex.errors import InvalidTransition
from pharmex.models import AuditEvent, TransitionRecord
from pharmex.transitions import transition
from settlements.transitions import STATEMENT
from tests.concurrency import run_concurrently
from tests.factories import OrganizationFactory

MACHINES = [ORGANIZATION, LICENSE, INVITATION, DRUG, OFFER, ORDER, STATEMENT]


@pytest.mark.parametrize("machine", MACHINES, ids=lambda m: m.object_type)
def test_every_machine_keeps_a_readable_history(machine):
    history = machine.history_model
    assert issubclass(history, TransitionRecord)
    assert history._meta.get_field(machine.history_field).related_model is machine.model
    # every state the table names is a choice of the status field (checked when the machine is built)
    assert set(machine.transitions) and all(step.sources for step in machine.transitions.values())


@pytest.mark.django_db
def test_a_transition_changes_the_status_and_records_who_when_from_to_and_why():
    organization = OrganizationFactory(status=OrganizationStatus.VERIFIED)

    with transaction.atomic():
        transition(ORGANIZATION, organization.pk, action="suspend", actor=SYSTEM_ACTOR, note="逾期未复核")

    organization.refresh_from_db()
    assert organization.status == OrganizationStatus.SUSPENDED
    change = organization.status_changes.get()
    assert (change.action, change.from_status, change.to_status, change.actor, change.note) == (
        "suspend",
        "verified",
        "suspended",
        "system",
        "逾期未复核",
    )
    assert list(AuditEvent.objects.values_list("action", "organization_id", "changes")) == [
        ("organization.suspend", organization.pk, {"status": ["verified", "suspended"], "note": "逾期未复核"})
    ]


@pytest.mark.django_db
def test_a_wrong_state_is_refused_and_nothing_is_written():
    organization = OrganizationFactory(status=OrganizationStatus.VERIFIED)

    with pytest.raises(InvalidTransition) as refused, transaction.atomic():
        transition(ORGANIZATION, organization.pk, action="verify", actor=SYSTEM_ACTOR)

    assert str(refused.value) == "Cannot verify an organisation that is verified."
    assert (refused.value.http_status, refused.value.code) == (409, "invalid_transition")
    assert organization.status_changes.exists() is False
    assert AuditEvent.objects.exists() is False


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_transitions_of_one_object_cannot_both_pass():
    # given: two admins suspend the same organisation at the same moment
    organization = OrganizationFactory(status=OrganizationStatus.VERIFIED)

    def suspend(_index: int) -> str:
        try:
            with transaction.atomic():
                transition(ORGANIZATION, organization.pk, action="suspend", actor=SYSTEM_ACTOR)
                connection.cursor().execute("SELECT pg_sleep(0.2)")  # hold the lock while the other one waits
        except InvalidTransition:
            return "refused"
        return "done"

    outcomes = run_concurrently(2, suspend)

    # then: the second waited for the row lock, saw `suspended` and was refused
    assert sorted(outcomes) == ["done", "refused"]
    assert Organization.objects.get(pk=organization.pk).status_changes.count() == 1
