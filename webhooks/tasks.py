"""Celery entry points of the webhooks app: thin, idempotent, acknowledged late (STYLE G20, SPEC §9).

Services are imported in the task bodies: webhooks.services.dispatch queues these tasks, so module-level
imports here would be a cycle (the one sanctioned local import, STYLE "Imports inside task bodies").
"""

from celery import shared_task
from django.conf import settings

# The HTTP call ends by its total deadline (WEBHOOK_ATTEMPT_DEADLINE_SECONDS, checked to be at most 120 s);
# the time limits add room for the claim and the record around it, and only fire if something else hangs.
# The claim lease (5 min) outlasts them, so no second worker overlaps an attempt.
DELIVER_SOFT_TIME_LIMIT = settings.WEBHOOK_ATTEMPT_DEADLINE_SECONDS + 30
DELIVER_TIME_LIMIT = DELIVER_SOFT_TIME_LIMIT + 15


# Routed to the "webhooks" queue (CELERY_TASK_ROUTES), which its own worker consumes.
@shared_task(acks_late=True, soft_time_limit=DELIVER_SOFT_TIME_LIMIT, time_limit=DELIVER_TIME_LIMIT)
def webhook_deliver_task(delivery_id: int) -> bool:
    """One attempt of a delivery; a delivery that succeeded, gave up or is not due yet is left alone."""
    from webhooks.services import webhook_deliver

    attempt = webhook_deliver(delivery_id=delivery_id)
    return bool(attempt and attempt.succeeded)


@shared_task(acks_late=True)
def webhook_retry_due_task() -> int:
    from webhooks.services import webhook_retry_due

    return webhook_retry_due()


@shared_task(acks_late=True)
def webhook_outbox_sweep_task() -> int:
    from webhooks.services import webhook_outbox_sweep

    return webhook_outbox_sweep()


@shared_task(acks_late=True)
def webhook_outbox_purge_task() -> int:
    from webhooks.services import webhook_outbox_purge

    return webhook_outbox_purge()
