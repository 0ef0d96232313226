"""`Idempotency-Key` for creating POSTs (SPEC §8, RELIABILITY §1).

The key is claimed, the view runs and its response is stored in one transaction, so "work done" and
"response saved" commit together; a concurrent retry finds the key locked and gets 409. Error
responses release the key: nothing happened, and the client may fix the request and retry with the
same key (Stripe's rule for validation errors).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from pharmex import appends, sql
from pharmex.errors import IdempotencyKeyInFlight, IdempotencyKeyReused
from pharmex.models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
KEY_PATTERN = re.compile(r"^[\x21-\x7e][\x20-\x7e]{0,254}$")  # HTTP header-safe, no leading space
REPLAYED_HEADER = "Idempotent-Replayed"
_REPLAYED_RESPONSE_HEADERS = ("Location", "ETag")

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    name=HEADER,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Makes the POST safe to retry: the same key with the same body within 24 h replays the first "
        "response (with `Idempotent-Replayed: true`); another body → 422; still in flight → 409. "
        "Scoped to your organisation."
    ),
    type=str,
    pattern=r"^[\x21-\x7e][\x20-\x7e]{0,254}$",
)


def scope_for(request: Request) -> str:
    """The caller's organisation (via settings.IDEMPOTENCY_SCOPE_FUNCTION), else the user, else the address."""
    scope = import_string(settings.IDEMPOTENCY_SCOPE_FUNCTION)(request)
    return scope or f"anon:{request.META.get('REMOTE_ADDR', '')}"


def _fingerprint(request: Request) -> str:
    """SHA-256 of method, path, the parsed body and the content of every uploaded file."""
    digest = hashlib.sha256(f"{request.method}\n{request.path}\n".encode())
    fields = (
        {key: value for key, value in request.data.items() if key not in request.FILES}
        if hasattr(request.data, "items")
        else request.data
    )
    digest.update(json.dumps(fields, sort_keys=True, cls=DjangoJSONEncoder, default=str).encode())
    for name in sorted(request.FILES):
        for upload in request.FILES.getlist(name):
            digest.update(f"\n{name}:{upload.name}:{upload.size}:".encode())
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
    return digest.hexdigest()


def _claim(*, scope: str, key: str, request: Request, fingerprint: str) -> IdempotencyKey | None:
    """Claim the key for this transaction (returns None) or return the finished request that holds it.

    Raises: IdempotencyKeyInFlight when a request with the key is running right now.
    """
    now = timezone.now()
    held, claimed = sql.idempotency_key_claim(
        scope=scope, key=key, method=request.method, path=request.path[:512], fingerprint=fingerprint, now=now
    )
    if not held:
        raise IdempotencyKeyInFlight()
    if claimed:
        return None
    existing = IdempotencyKey.objects.get(scope=scope, key=key)  # committed: we hold the key's lock
    if existing.created_at < now - settings.IDEMPOTENCY_KEY_TTL:  # forgotten: the key is new again
        IdempotencyKey.objects.filter(pk=existing.pk).update(
            method=request.method,
            path=request.path[:512],
            fingerprint=fingerprint,
            response_status=None,
            response_body=None,
            response_headers={},
            created_at=now,
        )
        return None
    return existing


def idempotent(view_method=None, *, redact: tuple[str, ...] = ()):
    """Decorate a creating POST handler of a DRF view to honour `Idempotency-Key`; the handler runs in
    one database transaction, with or without a key.

    `redact` names response fields never stored for replay (a secret shown once, like a new API
    key): a replay answers them as null.
    """
    if view_method is None:
        return functools.partial(idempotent, redact=redact)

    @functools.wraps(view_method)
    def wrapper(self, request: Request, *args, **kwargs) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            # One transaction either way, so the services need no savepoints; the rows they append about their
            # changes are written in one statement at its end (pharmex.appends).
            with transaction.atomic(), appends.kept():
                return view_method(self, request, *args, **kwargs)
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise exceptions.ValidationError(
                {
                    HEADER: [
                        exceptions.ErrorDetail(
                            f"Must be 1 to {MAX_KEY_LENGTH} printable characters.", code="invalid_idempotency_key"
                        )
                    ]
                }
            )
        scope, fingerprint = scope_for(request), _fingerprint(request)
        # The claim, the work and the stored response commit together, or not at all: an exception
        # or an error response rolls the claim back with the work, releasing the key. The response is stored in one
        # statement with the rows the work appended (its audit records, its outbox events: pharmex.appends).
        with transaction.atomic(), appends.kept():
            existing = _claim(scope=scope, key=key, request=request, fingerprint=fingerprint)
            if existing is not None:
                return _answer_existing(existing, fingerprint)
            response = view_method(self, request, *args, **kwargs)
            if not 200 <= response.status_code < 300:
                transaction.set_rollback(True)
                return response
            _store(scope=scope, key=key, response=response, redact=redact)
            return response

    wrapper.idempotent = True  # type: ignore[attr-defined]
    return wrapper


def _store(*, scope: str, key: str, response: Response, redact: tuple[str, ...]) -> None:
    """Keep the response for replays, with the rows the request appended (written as SQL: the body is encoded once,
    on every keyed request)."""
    body = response.data
    if redact and isinstance(body, dict):
        body = {**body, **{field: None for field in redact if field in body}}
    headers = {name: response[name] for name in _REPLAYED_RESPONSE_HEADERS if name in response}
    sql.idempotent_response_store(scope=scope, key=key, status=response.status_code, body=body, headers=headers)


def _answer_existing(existing: IdempotencyKey, fingerprint: str) -> Response:
    if existing.fingerprint != fingerprint:
        raise IdempotencyKeyReused()
    headers = {**existing.response_headers, REPLAYED_HEADER: "true"}
    return Response(existing.response_body, status=existing.response_status, headers=headers)


def purge_expired_keys(*, older_than: timedelta | None = None) -> int:
    cutoff = timezone.now() - (older_than or settings.IDEMPOTENCY_KEY_TTL)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
