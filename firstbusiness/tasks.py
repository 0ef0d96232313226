"""Celery entry points of the first-business app (STYLE G20)."""

from celery import shared_task


@shared_task(acks_late=True)
def document_expiry_run_task() -> dict:
    from firstbusiness.services import document_expiry_run

    return document_expiry_run()
