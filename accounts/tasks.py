from celery import shared_task


@shared_task(acks_late=True)
def license_expiry_run_task() -> dict:
    from accounts.services import license_expiry_run

    return license_expiry_run()
