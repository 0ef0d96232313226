"""Fault injection for the settlement tests (RELIABILITY SIM-1): crash a service right after one of its steps.

Production code carries no hooks: a test patches the step a service calls (by the name the service module
looks it up under) with a wrapper that runs it and then raises, proving that a crash there leaves nothing
half-done (the transaction rolls back) and that a rerun converges.
"""

from __future__ import annotations

import importlib
from contextlib import contextmanager
from functools import wraps
from unittest import mock

# A crash point → the step it follows, as "module:attribute".
POINTS = {
    "receipt.entry_posted": "settlements.services.receipts:entry_post",
    "payment.entry_posted": "settlements.services.payments:entry_post",
    # The statements and their lines (their paid ranges) are written by one INSERT: one point after it.
    "statement.generated": "settlements.sql:statements_generate",
}


class InjectedFault(Exception):
    """Raised by the patched step; never by production code."""


@contextmanager
def crash_after(point: str):
    """Within the block, the step named by `point` runs and then raises InjectedFault(point)."""
    module, attribute = POINTS[point].split(":")
    original = getattr(importlib.import_module(module), attribute)

    @wraps(original)
    def step_then_crash(*args, **kwargs):
        original(*args, **kwargs)
        raise InjectedFault(point)

    with mock.patch(f"{module}.{attribute}", step_then_crash):
        yield
