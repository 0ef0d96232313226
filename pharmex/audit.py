"""The hash-chained, append-only audit log (SPEC §7).

`audit_record` writes inside the caller's transaction; `seal_audit_chain` (a beat job every few
seconds, and before every verification) chains the committed records in one sequence under an
advisory lock, so concurrent writers never wait on each other for the chain.

Two facts live outside the database, in the anchor file (AUDIT_ANCHOR_PATH): the chain head each sealing run
published, and the checkpoint — the last record a verification found intact. `verify_audit_chain` starts from
that checkpoint, so its cost is the number of records added since; `full=True` walks from the first record.
The checkpoint is not a table: whoever can rewrite audit records (a superuser who disables the trigger) could
also move a checkpoint row past the record they altered, and incremental runs would never look at it again.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from pharmex import appends, sql
from pharmex.context import current_request_id
from pharmex.db import advisory_xact_lock, fetch_one, mark_saved
from pharmex.models import AuditEvent

logger = logging.getLogger(__name__)
GENESIS_HASH = "0" * 64
_SEAL_LOCK = "audit-seal"  # one sealer at a time


@dataclass(frozen=True)
class AuditActor:
    """Who did it, as the audit log records it."""

    type: str
    label: str
    user_id: int | None = None
    api_key_id: str | None = None


SYSTEM = AuditActor(type=AuditEvent.ActorType.SYSTEM, label="system")


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, default=str)) if value is not None else None


def audit_record(
    *,
    actor: AuditActor,
    action: str,
    object_type: str,
    object_id: Any,
    organization_id: int | None = None,
    changes: dict | None = None,
) -> AuditEvent:
    """Append one audit record in the current transaction (it commits or rolls back with the change).

    Inside a creating POST's transaction the record is written with the request's last statement, and the returned
    event has no id until then (pharmex.appends)."""
    event = AuditEvent(
        occurred_at=timezone.now(),
        actor_type=actor.type,
        actor_user_id=actor.user_id,
        actor_api_key_id=actor.api_key_id,
        actor_label=actor.label[:255],
        organization_id=organization_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        changes=_jsonable(changes or {}),
        request_id=current_request_id(),
    )
    appends.append(AUDIT_ROWS, [event])
    return event


def _audit_rows_written(events: list[AuditEvent], rows: list[tuple]) -> None:
    for event, (pk,) in zip(events, sorted(rows), strict=True):  # ids rise in the order written (pharmex.sql)
        mark_saved(event, pk)


AUDIT_ROWS = appends.register(
    appends.AppendKind(
        name="audit",
        ctes=sql.AUDIT_ROWS,
        params=sql.audit_rows_params,
        result=sql.AUDIT_ROWS_WRITTEN,
        result_columns=1,
        written=_audit_rows_written,
    )
)


def diff(before: dict, after: dict) -> dict:
    """{field: [old, new]} for the fields that changed, money and dates as strings."""
    changed = {}
    for field, new in after.items():
        old = before.get(field)
        if old != new:
            changed[field] = [
                str(old) if isinstance(old, Decimal) else old,
                str(new) if isinstance(new, Decimal) else new,
            ]
    return changed


def canonical_content(event: AuditEvent) -> str:
    content = {
        "id": event.id,
        "sequence": event.sequence,
        "occurred_at": event.occurred_at.astimezone(UTC).isoformat(),
        "actor_type": event.actor_type,
        "actor_user_id": event.actor_user_id,
        "actor_api_key_id": event.actor_api_key_id,
        "actor_label": event.actor_label,
        "organization_id": event.organization_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "changes": event.changes,
        "request_id": event.request_id,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def chain_hash(previous_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256((previous_hash + canonical_content(event)).encode()).hexdigest()


class AuditChainTruncated(RuntimeError):
    """The chain no longer reaches the head an earlier sealing run published: sealing stops until resolved."""


def _database_identity() -> str:
    """Which database the chain lives in: an anchor published for another one (a test database, a database
    recreated under the same name) says nothing about this chain."""
    name, oid = fetch_one("SELECT current_database(), oid FROM pg_database WHERE datname = current_database()")
    return f"{name}:{oid}"


def _anchor_path() -> Path:
    return Path(settings.AUDIT_ANCHOR_PATH)


def _read_anchor() -> dict | None:
    """What was published for this database (AUDIT_ANCHOR_PATH): the chain head and the checkpoint, or None."""
    path = _anchor_path()
    if not path.exists():
        return None
    anchor = json.loads(path.read_text())
    return anchor if anchor.get("database") == _database_identity() else None


@contextmanager
def _anchor_locked() -> Iterator[Path]:
    """The anchor file under an exclusive lock: the sealer writes the head and the verifier the checkpoint, each
    by read-modify-write, and neither may drop what the other wrote in between."""
    path = _anchor_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield path
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _update_anchor(**fields: Any) -> None:
    """Set `fields` in the anchor file, atomically (a rename), keeping the rest of what it holds for this database.

    The database user can rewrite the table; it cannot reach this file (keep AUDIT_ANCHOR_PATH on storage the
    database server does not mount) nor the log lines already shipped.
    """
    identity = _database_identity()
    with _anchor_locked() as path:
        anchor = json.loads(path.read_text()) if path.exists() else {}
        if anchor.get("database") != identity:
            anchor = {"database": identity}
        anchor.update(fields)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text(json.dumps(anchor))
        os.replace(temporary, path)


def _now_iso() -> str:
    return timezone.now().astimezone(UTC).isoformat()


def _publish_anchor(sequence: int, head_hash: str) -> None:
    """Publish the chain head outside the database and say it in the log, so deleting the newest records shows."""
    _update_anchor(sequence=sequence, hash=head_hash, published_at=_now_iso())
    logger.info("audit chain head sequence=%s hash=%s", sequence, head_hash)


@dataclass(frozen=True)
class Checkpoint:
    """The last record a verification found intact, with everything before it: where the next run starts."""

    sequence: int
    id: int
    hash: str
    verified_at: str


def _read_checkpoint() -> Checkpoint | None:
    verified = (_read_anchor() or {}).get("verified")
    return Checkpoint(**verified) if verified else None


def _publish_checkpoint(event: AuditEvent) -> None:
    checkpoint = {"sequence": event.sequence, "id": event.pk, "hash": event.hash, "verified_at": _now_iso()}
    _update_anchor(verified=checkpoint)
    logger.info("audit chain verified up to sequence=%s hash=%s", event.sequence, event.hash)


def _checkpoint_mismatch(checkpoint: Checkpoint, found: tuple[int, str] | None) -> str:
    if found is None:
        return f"sequence {checkpoint.sequence}, verified at {checkpoint.verified_at}, is gone"
    if found != (checkpoint.id, checkpoint.hash):
        return (
            f"sequence {checkpoint.sequence} is not the record verified at {checkpoint.verified_at}: "
            "the chain up to it was rewritten (a full verification names the first altered record)"
        )
    return ""


def anchor_mismatch() -> str:
    """Why the chain does not reach the published head, or no longer holds the verified checkpoint ("" when both
    hold, or nothing was published yet). One query."""
    anchor = _read_anchor()
    if anchor is None:
        return ""
    checkpoint = Checkpoint(**anchor["verified"]) if anchor.get("verified") else None
    wanted = [s for s in (anchor.get("sequence"), checkpoint and checkpoint.sequence) if s is not None]
    found = {
        sequence: (pk, hash_)
        for sequence, pk, hash_ in AuditEvent.objects.filter(sequence__in=wanted).values_list("sequence", "id", "hash")
    }
    if "sequence" in anchor:
        if anchor["sequence"] not in found:
            last = (
                AuditEvent.objects.filter(sequence__isnull=False)
                .order_by("-sequence")
                .values_list("sequence", flat=True)
            )
            return (
                f"the chain ends at sequence {last.first() or 0} but sequence {anchor['sequence']} was published "
                f"at {anchor['published_at']}: the newest records were deleted"
            )
        if found[anchor["sequence"]][1] != anchor["hash"]:
            return f"sequence {anchor['sequence']} does not have the hash published at {anchor['published_at']}"
    if checkpoint is not None:
        return _checkpoint_mismatch(checkpoint, found.get(checkpoint.sequence))
    return ""


def seal_audit_chain(*, batch_size: int = 5000) -> int:
    """Give every committed, unsealed record its place in the chain, then publish the new head.

    Returns how many were sealed. Raises: AuditChainTruncated when the chain no longer reaches the published
    head (sealing on would overwrite the evidence).
    """
    sealed = 0
    while True:
        with transaction.atomic():
            advisory_xact_lock(_SEAL_LOCK)
            if mismatch := anchor_mismatch():
                logger.error("audit chain does not reach its published head: %s", mismatch)
                raise AuditChainTruncated(mismatch)
            last = AuditEvent.objects.filter(sequence__isnull=False).order_by("-sequence").first()
            sequence, previous = (last.sequence, last.hash) if last else (0, GENESIS_HASH)
            pending = list(AuditEvent.objects.filter(sequence__isnull=True).order_by("id")[:batch_size])
            for event in pending:
                sequence += 1
                event.sequence, event.previous_hash = sequence, previous
                event.hash = previous = chain_hash(previous, event)
            sql.audit_events_seal(pending)
            if pending:
                # Published when this transaction commits, so the file never names a head that rolled back.
                transaction.on_commit(partial(_publish_anchor, sequence, previous))
        sealed += len(pending)
        if len(pending) < batch_size:
            return sealed


@dataclass(frozen=True)
class ChainReport:
    checked: int
    unsealed: int
    first_broken: AuditEvent | None
    reason: str = ""
    since: int = 0  # the walk started after this sequence (the checkpoint's; 0: from the first record)
    complete: bool = True  # False: stopped at `limit` with more sealed records to verify

    @property
    def intact(self) -> bool:
        return self.first_broken is None and not self.reason


def verify_audit_chain(*, full: bool = False, limit: int | None = None, batch_size: int = 2000) -> ChainReport:
    """Walk the chain from the checkpoint (`full`: from the first record); report the first record whose link or
    content does not match, a checkpoint record that changed, or a chain that stops short of the head published
    outside the database (its newest records deleted). `limit`: verify at most that many records this time.

    What it reads: the records after the checkpoint, in keyset batches, plus a constant few. An intact run moves
    the checkpoint to the last record it verified, once the caller's transaction commits. Records before the
    checkpoint are not read again: one whose content was altered while its stored hash was kept is found only by
    `full=True` (rewriting the hashes as well shows at the checkpoint record, which no longer has its hash).
    """
    checkpoint = None if full else _read_checkpoint()
    previous, after, checked, last = GENESIS_HASH, 0, 0, None
    if checkpoint is not None:
        anchored = AuditEvent.objects.filter(sequence=checkpoint.sequence).first()
        if reason := _checkpoint_mismatch(checkpoint, anchored and (anchored.pk, anchored.hash)):
            return ChainReport(0, 0, anchored, reason, since=checkpoint.sequence)
        previous, after = checkpoint.hash, checkpoint.sequence
    since, complete = after, True
    while True:
        size = batch_size if limit is None else min(batch_size, limit - checked)
        if size <= 0:
            complete = not AuditEvent.objects.filter(sequence__gt=after).exists()
            break
        # Keyset batches: each reads only its rows through the sequence index, never the records already verified.
        batch = list(AuditEvent.objects.filter(sequence__gt=after).order_by("sequence")[:size])
        for event in batch:
            if event.sequence != after + 1:
                return ChainReport(
                    checked, 0, event, f"sequence {event.sequence} where {after + 1} was expected", since
                )
            if event.previous_hash != previous:
                return ChainReport(checked, 0, event, "previous_hash does not match the preceding record", since)
            if chain_hash(previous, event) != event.hash:
                return ChainReport(checked, 0, event, "content does not match its hash (the record was altered)", since)
            previous, after, checked, last = event.hash, event.sequence, checked + 1, event
        if len(batch) < size:
            break
    unsealed = AuditEvent.objects.filter(sequence__isnull=True).count()
    report = ChainReport(checked, unsealed, None, anchor_mismatch(), since, complete)
    if report.intact and last is not None:
        # Published when the caller's transaction commits, so the file never names a record that rolled back.
        transaction.on_commit(partial(_publish_checkpoint, last))
    return report
