"""Celery entry points of the accounts app (STYLE G20)."""

from celery import shared_task

from accounts.services import license_expiry_run, reverification_run


@shared_task(acks_late=True)
def license_expiry_run_task() -> dict:
    return license_expiry_run()


@shared_task(acks_late=True)
def reverification_run_task() -> dict:
    return reverification_run()
