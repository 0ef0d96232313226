"""Shared fixtures. Tests take fixtures; fixtures use the factories in tests/factories (STYLE G22)."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta

import hypothesis
import pytest
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.choices import MemberRole, OrganizationKind
from accounts.models import OrganizationApiKey, User
from pharmex.choices import StaffRole
from tests.browser import browser_locale, browser_page, chromium  # noqa: F401  (headless Chromium fixtures: see tests/browser.py)
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

_started_embedded_database = False

# No deadline: Hypothesis's 200 ms per example is a timed assertion, and on a loaded 2-core machine a pure-Python
# example took longer (tests/catalog/test_validators.py failed so, and passed again with the same seed).
# CI explores the same examples every run (a failure there reproduces); local runs keep exploring anew.
hypothesis.settings.register_profile("local", deadline=None)
hypothesis.settings.register_profile("ci", hypothesis.settings.get_profile("local"), derandomize=True, database=None)
hypothesis.settings.load_profile("ci" if os.environ.get("CI") else "local")


def pytest_configure(config):
    """Without DATABASE_URL the suite runs on the embedded PostgreSQL server (SPEC §2)."""
    global _started_embedded_database
    if os.environ.get("DATABASE_URL") or hasattr(config, "workerinput"):
        return
    from pharmex import embedded_pg

    _, _started_embedded_database = embedded_pg.ensure_running()


def pytest_unconfigure(config):
    if _started_embedded_database:
        from pharmex import embedded_pg

        embedded_pg.stop()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """pytest-django's test databases, dropped without the statement timeout every connection gets: dropping a
    database a whole suite wrote to took longer than its 15 s in CI runs beside another suite (a warning after the
    last test had passed, and the database left behind)."""
    yield
    from django.db import connections

    for alias in connections:
        options = connections[alias].settings_dict.get("OPTIONS", {})
        if "options" in options:
            options["options"] = re.sub(r"statement_timeout=\d+", "statement_timeout=0", options["options"])


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def throttle_budget(settings, monkeypatch, time_machine):
    """`throttle_budget(scope, rate)`: the budget of a throttle scope, set where the throttles read it, with the
    clock stopped 20 s into a minute, so that a test's burst falls in one fixed window (pharmex.api.ratelimit)
    whenever the test runs: on the running clock a window could end between two of its requests."""

    def budget(scope: str, rate: str) -> None:
        monkeypatch.setitem(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], scope, rate)
        time_machine.move_to(datetime.now(UTC).replace(second=20, microsecond=0) + timedelta(minutes=1), tick=False)

    return budget


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: Django's LocaleMiddleware activates a request's language in the
    thread and leaves it there, so a test calling services after a zh-CN request would otherwise speak Chinese."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _audit_anchor(settings, tmp_path):
    """Each test publishes its chain head to a file of its own (tests share one database per worker)."""
    settings.AUDIT_ANCHOR_PATH = tmp_path / "audit-anchor.json"


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def client_for(user: User | None = None, *, api_key: str | None = None, organization_id: int | None = None):
    """An APIClient authenticating as a real caller would: a JWT bearer token or an API key header."""
    client = APIClient()
    headers = {}
    if user is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {AccessToken.for_user(user)}"
    if api_key is not None:
        headers["HTTP_AUTHORIZATION"] = f"Api-Key {api_key}"
    if organization_id is not None:
        headers["HTTP_X_ORGANIZATION_ID"] = str(organization_id)
    client.credentials(**headers)
    return client


@pytest.fixture
def as_client():
    return client_for


@pytest.fixture
def admin_user(db) -> User:
    return UserFactory(email="admin@platform.test", staff_role=StaffRole.ADMIN, is_staff=True)


@pytest.fixture
def finance_admin_user(db) -> User:
    return UserFactory(email="finance@platform.test", staff_role=StaffRole.FINANCE_ADMIN, is_staff=True)


@pytest.fixture
def supplier(db):
    return OrganizationFactory(kind=OrganizationKind.DISTRIBUTOR, legal_name="海南供应商医药有限公司")


@pytest.fixture
def buyer(db):
    return OrganizationFactory(kind=OrganizationKind.PHARMACY, legal_name="海口买方大药房")


@pytest.fixture
def member_of(db):
    """member_of(org, role) -> a user holding that role in the organisation."""

    def make(organization, role: str = MemberRole.OWNER) -> User:
        return MembershipFactory(organization=organization, role=role).user

    return make


@pytest.fixture
def api_key_for(db):
    """api_key_for(org, role) -> the secret of a new API key of that organisation."""

    def make(organization, role: str = MemberRole.OPERATOR) -> str:
        _, secret = OrganizationApiKey.objects.create_key(name="test", organization=organization, role=role)
        return secret

    return make


@pytest.fixture
def celery_worker_process(transactional_db):
    """A real `celery worker` subprocess consuming this test run's broker and using the test database."""
    from tests.celery_worker import WorkerProcess

    worker = WorkerProcess()
    yield worker
    worker.stop()
