"""Plain Django views: health probes and the problem+json 404/500 handlers for /api/."""

from __future__ import annotations

import logging
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.http import require_safe

from pharmex.api import problems
from pharmex.api.exception_handler import django_problem
from pharmex.audit import anchor_mismatch
from pharmex.celery import app

logger = logging.getLogger(__name__)


FAVICON = Path(__file__).resolve().parent / "static" / "pharmex" / "favicon.ico"


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico: browsers ask for it on every page that names no icon (the admin site, a JSON answer)."""
    response = HttpResponse(FAVICON.read_bytes(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers."""
    return JsonResponse({"status": "ok"})


def _check_database() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _check_migrations() -> str:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return "ok" if not pending else f"{len(pending)} migrations not applied"


def _check_broker() -> str:
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=2)
    return "ok"


def _check_audit_chain() -> str:
    mismatch = anchor_mismatch()
    return "ok" if not mismatch else f"error: {mismatch}"


@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database reachable, migrations applied, broker reachable, audit chain intact up to its anchor."""
    checks: dict[str, str] = {}
    for name, check in (
        ("database", _check_database),
        ("migrations", _check_migrations),
        ("broker", _check_broker),
        ("audit", _check_audit_chain),  # the chain still reaches the head published outside the database
    ):
        try:
            checks[name] = check()
        except Exception as error:  # a probe reports every failure, whatever its kind
            logger.warning("readiness check %s failed: %s", name, error)
            checks[name] = f"error: {type(error).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return django_problem(request, problems.NOT_FOUND)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return django_problem(request, problems.SERVER_ERROR)
    return defaults.server_error(request)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return django_problem(request, problems.VALIDATION)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return django_problem(request, problems.PERMISSION_DENIED)
    return defaults.permission_denied(request, exception)
