"""Request budgets that hold under concurrency: atomic fixed-window counters (RELIABILITY §10).

DRF's throttles read a history from the cache, append and write it back: under 16 concurrent threads a
1,200/min budget let ~18,000 requests a minute through. Here one hit is one atomic increment — Redis `SET NX` +
`INCR` in one MULTI round trip (pharmex.cache), the in-process cache's `add` + `incr` under its lock, or, where
the cache is the database cache (no Redis), one PostgreSQL upsert (pharmex/sql.py) — so a window never counts
less than it served. A fixed window lets at most twice the budget through across a window boundary; that slack
is the price of one round trip per request.

The client address is REMOTE_ADDR unless the request came through a proxy listed in TRUSTED_PROXIES: only then
is X-Forwarded-For read, from the right, skipping the trusted proxies. A client-sent X-Forwarded-For is never
believed on its own.
"""

from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.db import DatabaseCache
from django.http import HttpRequest

from pharmex import sql
from pharmex.cache import RedisCache
from pharmex.models import RateCounter


@dataclass(frozen=True)
class Rate:
    limit: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """`"1200/min"`, `"30/minute"`, `"10/15min"`, `"5/s"`, `"100/hour"`, `"1000/day"`."""
        count, _, period = text.partition("/")
        digits = "".join(ch for ch in period if ch.isdigit())
        unit = period[len(digits) :].strip().lower()
        unit_seconds = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600,
                        "hour": 3600, "d": 86400, "day": 86400}[unit]  # fmt: skip
        return cls(limit=int(count), seconds=int(digits or 1) * unit_seconds)


@dataclass(frozen=True)
class Verdict:
    count: int
    allowed: bool
    retry_after: int  # seconds until the window ends


def _window(rate: Rate, now: float) -> tuple[int, float]:
    index = int(now // rate.seconds)
    return index, (index + 1) * rate.seconds


def _in_database() -> bool:
    """Counters go to PostgreSQL when the cache is the database cache, whose incr is a read then a write."""
    return isinstance(caches[DEFAULT_CACHE_ALIAS], DatabaseCache)


def _count(key: str, ends: float) -> int:
    if _in_database():
        return sql.rate_hit(key=key, expires_at=datetime.fromtimestamp(ends, UTC))
    cache = caches[DEFAULT_CACHE_ALIAS]
    timeout = max(1, math.ceil(ends - time.time())) + 1
    if isinstance(cache, RedisCache):
        return cache.count_hit(key, timeout)
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout)
        return 1


def _read(key: str) -> int:
    if _in_database():
        return RateCounter.objects.filter(key=key).values_list("count", flat=True).first() or 0
    return caches[DEFAULT_CACHE_ALIAS].get(key, 0)


def hit(name: str, rate: Rate, *, now: float | None = None) -> Verdict:
    """Count one request against `name`'s budget; `allowed` while the window's count is within the limit."""
    now = time.time() if now is None else now
    index, ends = _window(rate, now)
    count = _count(f"pharmex:rl:{name}:{index}", ends)
    return Verdict(count=count, allowed=count <= rate.limit, retry_after=max(1, math.ceil(ends - now)))


def peek(name: str, rate: Rate, *, now: float | None = None) -> Verdict:
    """The window's count so far, without counting (e.g. failed logins before checking a password)."""
    now = time.time() if now is None else now
    index, ends = _window(rate, now)
    count = _read(f"pharmex:rl:{name}:{index}")
    return Verdict(count=count, allowed=count < rate.limit, retry_after=max(1, math.ceil(ends - now)))


def purge_expired_counters() -> int:
    """Job: drop the PostgreSQL counters of past windows (Redis expires its own)."""
    deleted, _ = RateCounter.objects.filter(expires_at__lt=datetime.now(UTC)).delete()
    return deleted


@lru_cache(maxsize=8)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_address(request: HttpRequest) -> str:
    """The address that sent the request: past the configured trusted proxies only (TRUSTED_PROXIES)."""
    remote = request.META.get("REMOTE_ADDR", "")
    if not _trusted(remote):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop):
            return hop
    return hops[0] if hops else remote
