"""Celery entry points of the webhooks app: thin, idempotent, acknowledged late (STYLE G20, SPEC §9).

Services are imported in the task bodies: webhooks.services.dispatch queues these tasks, so module-level
imports here would be a cycle (the one sanctioned local import, STYLE "Imports inside task bodies").
"""

from celery import shared_task


# The HTTP call is bounded by its own timeouts (3 s connect, 10 s read); the time limits only stop a
# pathological trickle of bytes. The claim lease (5 min) outlasts them, so no second worker overlaps.
@shared_task(acks_late=True, soft_time_limit=120, time_limit=150)
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
