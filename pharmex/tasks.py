"""Celery entry points of the kernel: audit sealing and idempotency-key purging (STYLE G20)."""

from celery import shared_task

from pharmex.api.idempotency import purge_expired_keys
from pharmex.audit import seal_audit_chain


@shared_task(acks_late=True)
def seal_audit_chain_task() -> int:
    return seal_audit_chain()


@shared_task(acks_late=True)
def purge_idempotency_keys_task() -> int:
    return purge_expired_keys()
