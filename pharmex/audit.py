"""The hash-chained, append-only audit log (SPEC §7).

`audit_record` writes inside the caller's transaction; `seal_audit_chain` (a beat job every few
seconds, and before every verification) chains the committed records in one sequence under an
advisory lock, so concurrent writers never wait on each other for the chain.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
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

from pharmex import sql
from pharmex.context import current_request_id
from pharmex.db import advisory_xact_lock, fetch_one
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
    """Append one audit record in the current transaction (it commits or rolls back with the change)."""
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
    return sql.audit_event_insert(event)


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


def _read_anchor() -> dict | None:
    """The chain head the last sealing run published for this database (AUDIT_ANCHOR_PATH), or None."""
    path = Path(settings.AUDIT_ANCHOR_PATH)
    if not path.exists():
        return None
    anchor = json.loads(path.read_text())
    return anchor if anchor.get("database") == _database_identity() else None


def _publish_anchor(sequence: int, head_hash: str) -> None:
    """Write the chain head outside the database, atomically (a rename), and say it in the log.

    The database user can rewrite the table; it cannot reach this file (keep AUDIT_ANCHOR_PATH on storage the
    database server does not mount) nor the log lines already shipped, so deleting the newest records shows.
    """
    path = Path(settings.AUDIT_ANCHOR_PATH)
    path.parent.mkdir(parents=True, exist_ok=True)
    anchor = {
        "database": _database_identity(),
        "sequence": sequence,
        "hash": head_hash,
        "published_at": timezone.now().astimezone(UTC).isoformat(),
    }
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(anchor))
    os.replace(temporary, path)
    logger.info("audit chain head sequence=%s hash=%s", sequence, head_hash)


def anchor_mismatch() -> str:
    """Why the chain does not reach the published head ("" when it does, or nothing was published yet)."""
    anchor = _read_anchor()
    if anchor is None:
        return ""
    anchored = AuditEvent.objects.filter(sequence=anchor["sequence"]).values_list("hash", flat=True).first()
    if anchored is None:
        last = (
            AuditEvent.objects.filter(sequence__isnull=False).order_by("-sequence").values_list("sequence", flat=True)
        )
        return (
            f"the chain ends at sequence {last.first() or 0} but sequence {anchor['sequence']} was published "
            f"at {anchor['published_at']}: the newest records were deleted"
        )
    if anchored != anchor["hash"]:
        return f"sequence {anchor['sequence']} does not have the hash published at {anchor['published_at']}"
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
            AuditEvent.objects.bulk_update(pending, ["sequence", "previous_hash", "hash"])
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

    @property
    def intact(self) -> bool:
        return self.first_broken is None and not self.reason


def verify_audit_chain() -> ChainReport:
    """Walk the chain in order; report the first record whose link or content does not match, or a chain that
    stops short of the head published outside the database (its newest records deleted)."""
    previous, expected_sequence, checked = GENESIS_HASH, 1, 0
    for event in AuditEvent.objects.filter(sequence__isnull=False).order_by("sequence").iterator(chunk_size=2000):
        if event.sequence != expected_sequence:
            return ChainReport(checked, 0, event, f"sequence {event.sequence} where {expected_sequence} was expected")
        if event.previous_hash != previous:
            return ChainReport(checked, 0, event, "previous_hash does not match the preceding record")
        if chain_hash(previous, event) != event.hash:
            return ChainReport(checked, 0, event, "content does not match its hash (the record was altered)")
        previous, expected_sequence, checked = event.hash, expected_sequence + 1, checked + 1
    unsealed = AuditEvent.objects.filter(sequence__isnull=True).count()
    return ChainReport(checked, unsealed, None, anchor_mismatch())
