"""What requests leave behind is purged by a beat job, so those tables hold a window of time, not all of history:
rate-limit counters kept in PostgreSQL (no Redis) and the admin site's sessions. Idempotency keys and outbox events
have their own tests (test_idempotency.py, tests/webhooks)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.test import override_settings
from django.utils import timezone

from pharmex.api.ratelimit import Rate, hit, peek
from pharmex.models import RateCounter
from pharmex.schedules import SCHEDULES
from pharmex.tasks import purge_expired_sessions_task, purge_rate_counters_task

pytestmark = pytest.mark.django_db
DATABASE_CACHE = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "pharmex_cache"}}


def test_both_jobs_are_scheduled():
    scheduled = {schedule["task"] for schedule in SCHEDULES}
    assert {"pharmex.tasks.purge_rate_counters_task", "pharmex.tasks.purge_expired_sessions_task"} <= scheduled


@override_settings(CACHES=DATABASE_CACHE)
def test_counters_of_past_windows_are_purged_and_the_current_window_keeps_counting():
    rate = Rate(limit=5, seconds=60)
    an_hour_ago = time.time() - 3600
    for name in ("principal:1", "principal:2"):
        hit(name, rate, now=an_hour_ago)
    hit("principal:1", rate)
    hit("principal:1", rate)
    assert RateCounter.objects.count() == 3

    assert purge_rate_counters_task() == 2

    assert RateCounter.objects.count() == 1
    assert peek("principal:1", rate).count == 2  # the window still open lost nothing
    assert hit("principal:1", rate).count == 3
    assert purge_rate_counters_task() == 0


def _session(expires_in: timedelta) -> str:
    store = SessionStore()
    store["_auth_user_id"] = "1"
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() + expires_in)
    return store.session_key


def test_expired_sessions_are_purged_and_live_ones_kept():
    expired = _session(timedelta(seconds=-1))
    long_expired = _session(timedelta(days=-400))
    live = _session(timedelta(days=13))

    purge_expired_sessions_task()

    assert set(Session.objects.values_list("session_key", flat=True)) == {live}
    assert not SessionStore().exists(expired) and not SessionStore().exists(long_expired)
    assert SessionStore(session_key=live).load()["_auth_user_id"] == "1"
