"""Dependencies point one way (SPEC §1): pharmex ← accounts ← webhooks ← catalog ← firstbusiness ← orders ←
settlements ← records ← procurement ← desk (the admin index's queues and dashboard, over every app).

Every import statement of every module of the project is read (type-checking imports included); an app may
import the kernel and the apps to its left, never one to its right. Reactions that must flow the other way go
through pharmex.events. api_docs (the shared OpenAPI responses and the docs pages) sits on the kernel, below
every app, as STYLE G17 places it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = [
    "pharmex",
    "api_docs",
    "accounts",
    "webhooks",
    "catalog",
    "firstbusiness",
    "orders",
    "settlements",
    "records",
    "procurement",
    "desk",
]


def _rank(package: str) -> int | None:
    return LAYERS.index(package) if package in LAYERS else None


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _modules() -> list[Path]:
    return sorted(
        path for package in LAYERS for path in (ROOT / package).rglob("*.py") if "migrations" not in path.parts
    )


def test_every_package_is_walked():
    walked = {path.relative_to(ROOT).parts[0] for path in _modules()}
    assert walked == set(LAYERS)


@pytest.mark.parametrize("path", _modules(), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_import_points_against_the_layers(path):
    package = path.relative_to(ROOT).parts[0]
    upward = [
        f"line {line}: {module}"
        for line, module in _imports(path)
        if (rank := _rank(module.split(".")[0])) is not None and rank > _rank(package)
    ]
    assert upward == []
