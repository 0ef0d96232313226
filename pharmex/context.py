"""Per-request context (request id; who calls, once known) that logs and audit records pick up without threading it
through."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import uuid6

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
# (user id, organisation id) of the caller, set once authentication said who it is (None where unknown).
caller_var: ContextVar[tuple[int | None, int | None]] = ContextVar("caller", default=(None, None))


def new_request_id() -> str:
    # Time-ordered (UUIDv7): the audit log's index of request ids keeps every year, and a random key would land on
    # any of its leaves, costing a page of WAL per record once the index is large (bench/index_keys.py).
    return uuid6.uuid7().hex


def current_request_id() -> str | None:
    return request_id_var.get()


def set_caller(*, user_id: int | None, organization_id: int | None) -> None:
    """Who the current request acts as, for its log lines (reset by RequestContextMiddleware at the request's end)."""
    caller_var.set((user_id, organization_id))


@contextmanager
def caller_scope() -> Iterator[None]:
    """The caller set inside ends with the block: a view run without the middleware (a test's request factory, a
    task calling a view) leaves no caller behind for the log lines that follow."""
    token = caller_var.set(caller_var.get())
    try:
        yield
    finally:
        caller_var.reset(token)


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get() or "-"
        record.user_id, record.organization_id = caller_var.get()
        return True
