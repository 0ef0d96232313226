"""The Redis cache backend the settings name: Django's, keeping one client per connection pool.

Django's client builds a new `redis.Redis` on every cache call, and each one fills a table of about 170 response
callbacks: two of them on every throttled request (pharmex.api.ratelimit), a quarter of a millisecond of Python
in a placement. A `redis.Redis` only holds its pool and those callbacks and is safe to share between threads, so
one per pool does.

`count_hit` is a throttle's hit in one round trip instead of the `add` + `incr` pair (pharmex.api.ratelimit).
"""

from __future__ import annotations

from django.core.cache.backends import redis


class _PooledClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = _PooledClient

    def count_hit(self, key: str, timeout: int) -> int:
        """Count one hit on `key`: created at 0 expiring in `timeout` seconds unless it exists, then incremented,
        atomically (MULTI/EXEC) and in one round trip. Returns the count."""
        key = self.make_and_validate_key(key)
        pipeline = self._cache.get_client(key, write=True).pipeline(transaction=True)
        pipeline.set(key, 0, ex=timeout, nx=True)
        pipeline.incr(key)
        return pipeline.execute()[1]
