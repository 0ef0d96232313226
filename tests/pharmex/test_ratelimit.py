"""Budgets hold under concurrency (RELIABILITY §10: 16 threads × many requests against one budget)."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import pytest
import time_machine
from django.core.cache import cache
from django.test import override_settings

from accounts.choices import MemberRole
from pharmex.api.ratelimit import Rate, hit, peek
from pharmex.models import RateCounter
from tests.concurrency import run_concurrently
from tests.conftest import client_for
from tests.factories import MembershipFactory

THREADS = 16
# Counting starts at the top of an hour: the whole test stays inside one window of every rate below.
TOP_OF_THE_HOUR = datetime(2026, 12, 5, 10, 0, 0, tzinfo=UTC)


def _in_parallel(work, per_thread: int) -> list:
    batches = run_concurrently(THREADS, lambda _index: [work() for _ in range(per_thread)])
    return [outcome for batch in batches for outcome in batch]


@pytest.mark.parametrize(
    "caches",
    [
        {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},  # as Redis: atomic INCR
        {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "pharmex_cache"}},
        pytest.param(
            # A prefix of its own: the window's key outlives the test by up to an hour.
            {
                "default": {"BACKEND": "pharmex.cache.RedisCache", "LOCATION": os.environ.get("REDIS_URL", "")}
                | {"KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
            },
            marks=pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis (REDIS_URL)"),
        ),
    ],
    ids=["cache", "postgresql", "redis"],
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_never_undercount(caches):
    rate = Rate.parse("100/hour")
    with override_settings(CACHES=caches), time_machine.travel(TOP_OF_THE_HOUR):
        verdicts = _in_parallel(lambda: hit("test:budget", rate), per_thread=20)
        assert sorted(v.count for v in verdicts) == list(range(1, THREADS * 20 + 1))  # every hit counted once
        assert sum(v.allowed for v in verdicts) == 100
        assert peek("test:budget", rate).count == THREADS * 20
        if "Redis" in caches["default"]["BACKEND"]:  # counted in one MULTI: the window's key expires with it
            key = cache.make_and_validate_key(f"pharmex:rl:test:budget:{int(TOP_OF_THE_HOUR.timestamp()) // 3600}")
            assert 3500 <= cache._cache.get_client(key).ttl(key) <= 3602  # the window (an hour) and a second
    if "db" in caches["default"]["BACKEND"]:
        assert RateCounter.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_principal_budget_holds_against_sixteen_concurrent_clients(settings, monkeypatch):
    # given: one person, a budget of 60 requests a minute, 16 threads × 10 requests
    monkeypatch.setitem(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "principal", "60/min")
    user = MembershipFactory(role=MemberRole.VIEWER).user

    with time_machine.travel(TOP_OF_THE_HOUR):
        statuses = _in_parallel(lambda: client_for(user).get("/api/v1/me/").status_code, per_thread=10)

    # then: exactly the budget got through; every other request was told to wait
    assert (statuses.count(200), statuses.count(429)) == (60, THREADS * 10 - 60)
