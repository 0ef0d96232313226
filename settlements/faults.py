"""Seeded fault injection for the stateful tests (RELIABILITY SIM-1): a no-op unless a test installs a hook.

Services call `fault_point("name")` between their steps; a test hook may raise there to prove that a
crash mid-service leaves nothing half-done (the transaction rolls back) and that a rerun converges.
"""

from __future__ import annotations

from collections.abc import Callable

_hook: Callable[[str], None] | None = None


def fault_point(name: str) -> None:
    if _hook is not None:
        _hook(name)


def install(hook: Callable[[str], None] | None) -> None:
    global _hook
    _hook = hook


class InjectedFault(Exception):
    """Raised by test hooks; never by production code."""
