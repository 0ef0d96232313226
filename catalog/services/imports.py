"""Bulk imports: accept a file as a job (202), then a Celery task processes it in chunks.

The request only stores the file (after cheap checks: its size, its format, an XLSX's ZIP directory); the task
counts the rows, every one toward CATALOG_IMPORT_MAX_ROWS, and reads them from a temporary copy of the file.

Offers are upserted by (supplier, drug) through COPY into a temporary table (PERF-FLOOR §4: COPY, not
bulk_create); bad rows are reported with row and column and never block the good ones; a row equal to
the stored offer is "unchanged", so importing the same file twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import SUPPLIER_KINDS
from catalog.choices import ImportFormat, ImportKind, ImportStatus
from catalog.errors import ImportFileInvalid, ImportTooLarge, NotASupplier, UploadBomb
from catalog.models import ImportJob
from catalog.services.drug_import import drug_rows_import
from catalog.services.offer_import import offer_rows_import
from catalog.tabular import (
    FileUnreadable,
    FileUnsafe,
    ImportTally,
    count_rows,
    read_rows,
    sniff_format,
    too_many_rows,
    xlsx_check,
)
from catalog.tasks import import_job_run_task
from pharmex import replica
from pharmex.actor import Actor
from pharmex.audit import SYSTEM, audit_record
from pharmex.files import file_is_blank, file_sha256, file_size, spooled_field


@transaction.atomic
def import_job_create(*, actor: Actor, kind: str, file_name: str, file: BinaryIO) -> ImportJob:
    """Store the upload as a job and queue its task after commit. Only cheap checks run here (size, format, an
    XLSX's ZIP directory); the rows are counted and read by the task.

    Raises: NotASupplier (offers), ImportTooLarge (size), ImportFileInvalid, UploadBomb.
    """
    organization = None
    if kind == ImportKind.OFFERS:
        organization = actor.require_organization()
        if organization.kind not in SUPPLIER_KINDS:
            raise NotASupplier()
    limit_bytes = settings.CATALOG_IMPORT_MAX_BYTES
    size = file_size(file)
    if size > limit_bytes:  # the API refuses these before reading them; other callers land here
        raise ImportTooLarge(
            _("The file has %(size)s bytes; the limit is %(limit)s. Split it into several files.")
            % {"size": f"{size:,}", "limit": f"{limit_bytes:,}"}
        )
    if file_is_blank(file):
        raise ImportFileInvalid(_("The file is empty."), field="file")
    file_format = sniff_format(file_name, file.read(4))
    if file_format == ImportFormat.XLSX:
        try:
            xlsx_check(file)
        except FileUnsafe as error:
            raise UploadBomb(str(error), field="file") from None
        except FileUnreadable as error:
            raise ImportFileInvalid(str(error), field="file") from None
    digest = file_sha256(file)
    job = ImportJob.objects.create(
        kind=kind,
        organization=organization,
        created_by=actor.user,
        created_by_label=actor.audit.label,
        file_name=file_name[:255],
        file_format=file_format,
        file_size=size,
        file_sha256=digest,
        content=file.read(),  # the one copy in memory: the upload itself is a temporary file
    )
    audit_record(
        actor=actor.audit,
        action=f"{kind}_import.queued",
        object_type="import_job",
        object_id=job.pk,
        organization_id=organization.pk if organization else None,
        changes={"file_name": job.file_name, "size": size, "sha256": digest},
    )
    transaction.on_commit(partial(import_job_run_task.delay, job.pk))  # the worker must see the committed job
    return job


def _claim(job_id: int) -> ImportJob | None:
    """Queued (or a re-delivered running) job → running; a finished job is left alone (idempotent task)."""
    now = timezone.now()
    claimed = ImportJob.objects.filter(pk=job_id, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]).update(
        status=ImportStatus.RUNNING, started_at=now, updated_at=now
    )
    return ImportJob.objects.defer("content").get(pk=job_id) if claimed else None


def _save_progress(job: ImportJob, tally: ImportTally, *, processed: int, **extra) -> None:
    ImportJob.objects.filter(pk=job.pk).update(
        processed_rows=min(processed, job.total_rows),
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
    """Process a job (the task body): check the file again, count every row against CATALOG_IMPORT_MAX_ROWS,
    then import. The file is read from a temporary copy, never whole into memory, and forgotten once the job is
    finished (its name, size, digest, counts and errors stay), as a bank statement's is: a supplier importing its
    price list daily would otherwise keep every day's file in the database. Safe to run twice: a finished job is
    not touched again."""
    job = _claim(job_id)
    if job is None:
        return None
    tally = ImportTally()
    runner = offer_rows_import if job.kind == ImportKind.OFFERS else drug_rows_import
    limit = settings.CATALOG_IMPORT_MAX_ROWS
    reached = 1  # the spreadsheet row read last (the header is row 1): blank rows count as processed too
    try:
        suffix = f".{job.file_format}"
        with spooled_field(ImportJob.objects.filter(pk=job.pk), "content", job.file_size, suffix=suffix) as file:
            if job.file_format == ImportFormat.XLSX:
                xlsx_check(file, deep=True)  # as at upload, and the shared strings counted, not taken as declared
            total = count_rows(file.name, job.file_format, limit)
            if total > limit:
                raise FileUnreadable(too_many_rows(limit))
            ImportJob.objects.filter(pk=job.pk).update(total_rows=total, updated_at=timezone.now())
            job.total_rows = total

            def tracked() -> Iterator[tuple[int, list]]:
                nonlocal reached
                for number, cells in read_rows(file.name, job.file_format, limit=limit):
                    reached = number
                    yield number, cells

            runner(
                job=job,
                rows=tracked(),
                tally=tally,
                on_progress=lambda: _save_progress(job, tally, processed=reached - 1),
            )
    except FileUnreadable as error:
        tally.error(None, None, str(error))
        _save_progress(
            job,
            tally,
            processed=reached - 1,
            status=ImportStatus.FAILED,
            message=str(error)[:500],
            content=b"",
            finished_at=timezone.now(),
        )
    else:
        message = _("%(created)s created, %(updated)s updated, %(unchanged)s unchanged, %(failed)s failed.") % {
            "created": tally.created,
            "updated": tally.updated,
            "unchanged": tally.unchanged,
            "failed": tally.failed,
        }
        _save_progress(
            job,
            tally,
            processed=job.total_rows,
            status=ImportStatus.SUCCEEDED,
            message=message,
            content=b"",
            finished_at=timezone.now(),
        )
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
    if job.organization_id is not None:
        # Written in the background for the supplier: its next replica reads of its offers must show them.
        replica.note_write(replica.organization_key(job.organization_id))
    return job
