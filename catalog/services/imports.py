"""Bulk imports: accept a file as a job (202), then a Celery task processes it in chunks.

Offers are upserted by (supplier, drug) through COPY into a temporary table (PERF-FLOOR §4: COPY, not
bulk_create); bad rows are reported with row and column and never block the good ones; a row equal to
the stored offer is "unchanged", so importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

import hashlib
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import SUPPLIER_KINDS
from catalog.choices import ImportKind, ImportStatus
from catalog.errors import ImportFileInvalid, ImportTooLarge, NotASupplier
from catalog.models import ImportJob
from catalog.services.drug_import import drug_rows_import
from catalog.services.offer_import import offer_rows_import
from catalog.tabular import FileUnreadable, ImportTally, count_rows, read_rows, sniff_format
from catalog.tasks import import_job_run_task
from pharmex.actor import Actor
from pharmex.audit import SYSTEM, audit_record


@transaction.atomic
def import_job_create(*, actor: Actor, kind: str, file_name: str, content: bytes) -> ImportJob:
    """Store the upload as a job and queue its task after commit.

    Raises: NotASupplier (offers), ImportTooLarge (size or rows), ImportFileInvalid.
    """
    organization = None
    if kind == ImportKind.OFFERS:
        organization = actor.require_organization()
        if organization.kind not in SUPPLIER_KINDS:
            raise NotASupplier()
    limit_bytes, limit_rows = settings.CATALOG_IMPORT_MAX_BYTES, settings.CATALOG_IMPORT_MAX_ROWS
    if len(content) > limit_bytes:
        raise ImportTooLarge(
            _("The file has %(size)s bytes; the limit is %(limit)s. Split it into several files.")
            % {"size": f"{len(content):,}", "limit": f"{limit_bytes:,}"}
        )
    if not content.strip():
        raise ImportFileInvalid(_("The file is empty."), field="file")
    file_format = sniff_format(file_name, content)
    try:
        rows = count_rows(content, file_format, limit_rows)
    except FileUnreadable as error:
        raise ImportFileInvalid(str(error), field="file") from None
    if rows > limit_rows:
        raise ImportTooLarge(
            _("The file has more than %(limit)s rows; split it into several files.") % {"limit": f"{limit_rows:,}"}
        )
    job = ImportJob.objects.create(
        kind=kind,
        organization=organization,
        created_by=actor.user,
        created_by_label=actor.audit.label,
        file_name=file_name[:255],
        file_format=file_format,
        file_size=len(content),
        file_sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        total_rows=rows,
    )
    audit_record(
        actor=actor.audit,
        action=f"{kind}_import.queued",
        object_type="import_job",
        object_id=job.pk,
        organization_id=organization.pk if organization else None,
        changes={"file_name": job.file_name, "rows": rows, "sha256": job.file_sha256},
    )
    transaction.on_commit(partial(import_job_run_task.delay, job.pk))  # the worker must see the committed job
    return job


def _claim(job_id: int) -> ImportJob | None:
    """Queued (or a re-delivered running) job → running; a finished job is left alone (idempotent task)."""
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]).update(
        status=ImportStatus.RUNNING, started_at=now, updated_at=now
    )
    return ImportJob.objects.get(pk=job_id) if claimed else None


def _save_progress(job: ImportJob, tally: ImportTally, **extra) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        processed_rows=min(tally.processed, job.total_rows) if job.total_rows else 0,
        created_count=tally.created,
        updated_count=tally.updated,
        unchanged_count=tally.unchanged,
        failed_count=tally.failed,
        errors=sorted(tally.errors, key=lambda error: error["row"] or 0),  # stable: columns keep their order
        errors_truncated=tally.errors_truncated,
        updated_at=timezone.now(),
        **extra,
    )


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Process a job (the task body). Safe to run twice: a finished job is not touched again."""
    job = _claim(job_id)
    if job is None:
        return None
    tally = ImportTally()
    runner = offer_rows_import if job.kind == ImportKind.OFFERS else drug_rows_import
    try:
        rows = read_rows(bytes(job.content), job.file_format)
        runner(job=job, rows=rows, tally=tally, on_progress=lambda: _save_progress(job, tally))
    except FileUnreadable as error:
        tally.error(None, None, str(error))
        _save_progress(job, tally, status=ImportStatus.FAILED, message=str(error)[:500], finished_at=timezone.now())
    else:
        message = _("%(created)s created, %(updated)s updated, %(unchanged)s unchanged, %(failed)s failed.") % {
            "created": tally.created,
            "updated": tally.updated,
            "unchanged": tally.unchanged,
            "failed": tally.failed,
        }
        _save_progress(job, tally, status=ImportStatus.SUCCEEDED, message=message, finished_at=timezone.now())
    job.refresh_from_db()
    with transaction.atomic():
        audit_record(
            actor=SYSTEM,
            action=f"{job.kind}_import.{job.status}",
            object_type="import_job",
            object_id=job.pk,
            organization_id=job.organization_id,
            changes={
                "created": job.created_count,
                "updated": job.updated_count,
                "unchanged": job.unchanged_count,
                "failed": job.failed_count,
            },
        )
    return job
