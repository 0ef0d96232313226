"""Celery entry points of the records app (STYLE G20)."""

from celery import shared_task

from records.retention import purge_past_retention


@shared_task(acks_late=True)
def records_purge_task() -> dict:
    result = purge_past_retention()
    return {"enabled": result.enabled, "purged": result.purged, "skipped": result.skipped}
