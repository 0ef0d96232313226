import pytest

from pharmex.audit import SYSTEM, audit_record
from pharmex.models import AuditEvent
from pharmex.tasks import seal_audit_chain_task

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_real_worker_executes_a_task_dispatched_through_the_broker(celery_worker_process):
    # given: an unsealed audit record, committed so the worker's connection can see it
    event = audit_record(actor=SYSTEM, action="test.worker", object_type="probe", object_id=1)
    assert AuditEvent.objects.get(pk=event.pk).sequence is None

    # when: the task goes through the broker (not eager mode) to the worker process
    seal_audit_chain_task.delay()

    # then: the worker ran it against the same database
    celery_worker_process.wait_until(lambda: AuditEvent.objects.get(pk=event.pk).sequence is not None)
    sealed = AuditEvent.objects.get(pk=event.pk)
    assert sealed.sequence == 1
    assert len(sealed.hash) == 64
    assert "pharmex.tasks.seal_audit_chain_task" in celery_worker_process.log()
