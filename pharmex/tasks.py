"""Celery entry points of the kernel: audit sealing and verification, purging what requests leave behind
(idempotency keys, rate counters, admin sessions), partitions (STYLE G20)."""

import logging

from celery import shared_task
from django.core.management import call_command

from pharmex.api.idempotency import purge_expired_keys
from pharmex.api.ratelimit import purge_expired_counters
from pharmex.audit import seal_audit_chain, verify_audit_chain
from pharmex.partition_jobs import partitions_analyze, partitions_detach_past_retention, partitions_maintain

logger = logging.getLogger(__name__)
# Records one run verifies at most (about half a minute of hashing): a first run over years of history, with no
# checkpoint yet, then finishes over several runs instead of outliving the task time limit.
AUDIT_VERIFY_BATCH = 1_000_000


@shared_task(acks_late=True)
def seal_audit_chain_task() -> int:
    return seal_audit_chain()


@shared_task(acks_late=True)
def verify_audit_chain_task() -> int:
    """Verify the records sealed since the checkpoint and move it on; a break is logged as an error."""
    report = verify_audit_chain(limit=AUDIT_VERIFY_BATCH)
    if not report.intact:
        broken = report.first_broken
        logger.error(
            "audit chain verification failed at record id=%s sequence=%s: %s",
            broken and broken.pk,
            broken and broken.sequence,
            report.reason,
        )
    return report.checked


@shared_task(acks_late=True)
def purge_idempotency_keys_task() -> int:
    return purge_expired_keys()


@shared_task(acks_late=True)
def purge_rate_counters_task() -> int:
    """Without Redis every principal's window is a row: about a row a minute per active caller, kept for ever."""
    return purge_expired_counters()


@shared_task(acks_late=True)
def purge_expired_sessions_task() -> None:
    """Staff sign-ins to the admin site leave a session row each; Django deletes expired ones only when asked."""
    call_command("clearsessions")


@shared_task(acks_late=True)
def partitions_maintain_task() -> dict:
    """Months created ahead, and rows that fell into a default partition moved to months of their own."""
    done = partitions_maintain()
    for table in done:
        if table.split:
            logger.warning(
                "partitions: %s had rows in its default partition for %s; split off", table.table, table.split
            )
    partitions_analyze([table.table for table in done if table.created or table.split])
    return {table.table: {"created": len(table.created), "split": len(table.split)} for table in done}


@shared_task(acks_late=True)
def partitions_detach_task() -> dict:
    result = partitions_detach_past_retention()
    return {"enabled": result.enabled, "detached": result.detached, "kept": len(result.kept)}
