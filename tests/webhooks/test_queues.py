"""Webhook deliveries have a queue and a worker of their own, so a slow receiver never holds up other jobs.

RELIABILITY recipe (issue 10, item 7): "a receiver sending one byte every 5 s is cut at the total attempt
deadline; other queues' jobs run meanwhile" — the cut is in test_deadline.py, the "meanwhile" here.
"""

from __future__ import annotations

import importlib.util
from contextlib import ExitStack
from pathlib import Path

import pytest
import yaml
from django.db import transaction

from pharmex.audit import SYSTEM, audit_record
from pharmex.celery import app
from pharmex.models import AuditEvent
from pharmex.tasks import seal_audit_chain_task
from webhooks.choices import DeliveryStatus
from webhooks.models import WebhookDelivery
from webhooks.services import outbox_publish

from .slow_receiver import SlowReceiver

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def _queue_of(task_name: str) -> str:
    return app.amqp.router.route({}, task_name)["queue"].name


def test_only_webhook_deliveries_are_routed_to_the_webhooks_queue():
    app.loader.import_default_modules()
    project_tasks = sorted(name for name in app.tasks if not name.startswith("celery."))

    queues = {name: _queue_of(name) for name in project_tasks}

    assert {name for name, queue in queues.items() if queue == "webhooks"} == {"webhooks.tasks.webhook_deliver_task"}
    # the retry and sweep jobs only read the database and queue deliveries: they stay with the other jobs
    assert {queue for name, queue in queues.items() if name != "webhooks.tasks.webhook_deliver_task"} == {"celery"}
    assert "pharmex.tasks.seal_audit_chain_task" in queues and "catalog.tasks.import_job_run_task" in queues


def test_make_run_starts_a_worker_per_queue_and_beat():
    spec = importlib.util.spec_from_file_location("pharmex_make_run", BASE_DIR / "scripts" / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)

    commands = run.celery_commands()

    assert [command[3:] for command in commands] == [
        ["worker", "--loglevel", "info", "--concurrency", "2", "--queues", "celery", "--hostname", "default@%h"],
        ["worker", "--loglevel", "info", "--concurrency", "2", "--queues", "webhooks", "--hostname", "webhooks@%h"],
        ["beat", "--loglevel", "info"],
    ]
    assert {tuple(command[1:3]) for command in commands} == {("-A", "pharmex")}


def test_docker_compose_runs_a_worker_per_queue():
    services = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())["services"]

    workers = {name: service["command"] for name, service in services.items() if "worker" in service["command"]}

    assert {name: [arg for arg in command if arg.startswith("--queues=")] for name, command in workers.items()} == {
        "worker": ["--queues=celery"],
        "webhook-worker": ["--queues=webhooks"],
    }


@pytest.fixture
def stalled_receiver():
    server = SlowReceiver(interval=0.5)  # the status line one byte at a time: the attempt stays in flight
    yield server
    server.stop()


@pytest.mark.worker
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_default_queue_jobs_run_while_a_delivery_is_stuck_on_a_slow_receiver(
    monkeypatch, org_a, make_endpoint, stalled_receiver
):
    # given: a worker per queue, as `make run` and docker compose start them; deliveries may take 120 s
    from tests.celery_worker import WorkerProcess

    for name, value in {
        "WEBHOOK_ALLOW_HTTP": "true",
        "WEBHOOK_ALLOWED_PRIVATE_NETWORKS": "127.0.0.1/32",
        "WEBHOOK_ALLOWED_PORTS": "*",
        "WEBHOOK_ATTEMPT_DEADLINE_SECONDS": "120",
    }.items():
        monkeypatch.setenv(name, value)
    with ExitStack() as stack:
        webhook_worker = WorkerProcess(queues="webhooks")
        stack.callback(webhook_worker.stop)
        default_worker = WorkerProcess(queues="celery", fresh_broker=False)
        stack.callback(default_worker.stop)
        stack.callback(stalled_receiver.stop)  # first: the attempt in flight ends, then the workers stop
        make_endpoint(org_a, stalled_receiver.url(), ["order.shipped"])
        # when: a delivery reaches the receiver that answers one byte every half second …
        with transaction.atomic():
            outbox_publish(
                event_type="order.shipped", organization_ids=[org_a.pk], payload={"n": 1}, object_type="o", object_id=1
            )
        webhook_worker.wait_until(lambda: len(stalled_receiver.requests) == 1)
        # … and, while it is in flight, an audit record waits to be sealed
        event = audit_record(actor=SYSTEM, action="test.queues", object_type="probe", object_id=1)
        seal_audit_chain_task.delay()

        # then: the default queue's worker seals it while the delivery is still stuck
        default_worker.wait_until(lambda: AuditEvent.objects.get(pk=event.pk).sequence is not None)
        assert not stalled_receiver.hung_up.is_set()
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.claim_token is not None) == (
            DeliveryStatus.PENDING,
            1,
            True,
        )
        # and each worker received only its own queue's tasks
        assert "Task webhooks.tasks.webhook_deliver_task[" in webhook_worker.log()
        assert "Task webhooks.tasks.webhook_deliver_task[" not in default_worker.log()
        assert "Task pharmex.tasks.seal_audit_chain_task[" not in webhook_worker.log()
