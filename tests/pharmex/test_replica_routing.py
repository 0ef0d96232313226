"""The replica router's rules that need no standby (pharmex.replica); the real one is in test_read_replica.py."""

from __future__ import annotations

import socket
import threading
import uuid

import pytest
from django.core.cache import caches
from django.db import connections

from catalog.models import Drug
from pharmex import replica


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_without_a_replica_nothing_is_routed():
    assert not replica.configured()
    assert replica.choose("org:1") == "default"
    with replica.request_scope():
        assert replica.route_reads("org:1") == "default"
        assert replica.ReplicaRouter().db_for_read(Drug) is None


def test_a_stream_reads_where_its_view_decided_after_the_view_has_returned():
    router = replica.ReplicaRouter()

    def rows():
        for n in range(2):
            yield n, router.db_for_read(Drug)

    with replica.request_scope():
        replica._read_alias.set(replica.REPLICA)  # what route_reads sets when the replica is chosen
        stream = replica.follow(rows())
    assert router.db_for_read(Drug) is None  # the request is over ...
    assert list(stream) == [(0, "replica"), (1, "replica")]  # ... and its stream still reads the replica
    assert router.db_for_read(Drug) is None
    assert router.db_for_write(Drug) == "default"


def test_an_unreachable_replica_sends_the_reads_to_the_primary(django_db_blocker, caplog, monkeypatch):
    # given: a replica configured at an address nobody answers
    monkeypatch.setattr(replica, "_down_until", 0.0)
    connections.settings["replica"] = {**connections.settings["default"], "HOST": "127.0.0.1", "PORT": _free_port()}
    try:
        with django_db_blocker.unblock():
            # then: reads go to the primary; the next ones do not try the replica again for a while
            assert [replica.choose("org:1"), replica.choose("org:1")] == ["default", "default"]
    finally:
        if hasattr(connections._connections, "replica"):
            connections["replica"].close()
            del connections["replica"]
        del connections.settings["replica"]
    assert caplog.text.count("read replica unreachable, reading from the primary") == 1


@pytest.fixture
def redis_cache(settings):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set: the atomic keep-the-largest script runs on Redis only")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": f"test-replica-{uuid.uuid4().hex}",
        }
    }
    yield caches["default"]
    caches["default"].delete("replica:written:org:1")  # never clear(): that flushes the whole Redis database


def test_concurrent_writes_of_one_organisation_keep_the_largest_position(redis_cache):
    positions = [2**40 + n for n in range(0, 4000, 7)] + [2**63 - 1, 5]  # past what a double holds exactly
    threads = [threading.Thread(target=replica.remember, args=("org:1", p)) for p in positions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert redis_cache.get("replica:written:org:1") == 2**63 - 1
    replica.remember("org:1", 2**63 - 2)
    assert redis_cache.get("replica:written:org:1") == 2**63 - 1


def test_other_caches_keep_the_largest_position_one_writer_at_a_time():
    replica.remember("org:2", 10)
    replica.remember("org:2", 7)
    assert caches["default"].get("replica:written:org:2") == 10
