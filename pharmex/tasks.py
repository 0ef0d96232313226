from celery import shared_task


@shared_task(acks_late=True)
def seal_audit_chain_task() -> int:
    from pharmex.audit import seal_audit_chain

    return seal_audit_chain()


@shared_task(acks_late=True)
def purge_idempotency_keys_task() -> int:
    from pharmex.api.idempotency import purge_expired_keys

    return purge_expired_keys()
