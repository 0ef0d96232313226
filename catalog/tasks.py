"""Celery entry points of the catalogue (STYLE G20).

The service is imported in the task body: catalog.services.imports queues this task, so a module-level
import here would be a cycle (the one sanctioned local import, STYLE "Imports inside task bodies").
"""

from celery import shared_task


@shared_task(acks_late=True)
def import_job_run_task(job_id: int) -> str | None:
    """Process an offer or drug import job; a rerun of a finished job does nothing."""
    from catalog.services import import_job_run

    job = import_job_run(job_id=job_id)
    return job.status if job is not None else None


@shared_task(acks_late=True)
def drug_registration_expiry_run_task() -> int:
    """Nightly: drugs whose registration (批准文号) expired leave the market (offers paused, open orders held)."""
    from catalog.services import drug_registration_expiry_run

    return drug_registration_expiry_run()
