"""Webhook bodies and signatures (SPEC §5).

`PharmEx-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, f"{t}.{body}")>`, over the exact
bytes of the body. During a secret rotation's overlap the header carries one `v1=` per valid secret;
a receiver accepts the delivery when any of them matches its secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

SIGNATURE_HEADER = "PharmEx-Signature"
SECRET_PREFIX = "whsec_"  # noqa: S105  (a label, not a secret)
DEFAULT_TOLERANCE_SECONDS = 300


def generate_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def iso_utc(moment: datetime) -> str:
    """A timestamp as the API writes it: ISO 8601 in UTC with a `Z`."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def event_body(*, event_id: str, event_type: str, created_at: datetime, data: dict) -> bytes:
    """The JSON body of every delivery of an event; identical bytes on every attempt."""
    document = {"id": event_id, "type": event_type, "created_at": iso_utc(created_at), "data": data}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def sign(*, secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(*, secrets: Sequence[str], timestamp: int, body: bytes) -> str:
    return ",".join([f"t={timestamp}", *(f"v1={sign(secret=s, timestamp=timestamp, body=body)}" for s in secrets)])


def verify(*, secret: str, header: str, body: bytes, now: int, tolerance: int = DEFAULT_TOLERANCE_SECONDS) -> bool:
    """Receiver-side check (the reference for the guide's recipe): a matching v1 and a fresh timestamp."""
    timestamp, candidates = None, []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret=secret, timestamp=timestamp, body=body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)
