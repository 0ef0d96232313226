"""A streaming read replica for the heavy reads, with read-your-writes (README, "Production and scaling out").

Which reads: the actions a view lists in `replica_actions` — catalogue search, the market view, reports and
exports. When `DATABASE_REPLICA_URL` configures the `replica` alias, every query such an action runs goes there
through `ReplicaRouter`; everything else (writes, row locks, the order path, reads inside a transaction) stays on
`default`. Without a replica nothing changes. A streamed export reads after its view has returned, so
`follow()` carries the view's decision into the stream.

Read-your-writes: a request that writes for an organisation (or a person acting for none) remembers the
primary's WAL position after its commit, keyed by that organisation (`note_write`); a replica-eligible read for
the same key goes to the replica only once the replica has replayed past that position, else to the primary.
A position, not a time window: a replica that falls behind by more than any window would serve stale data after
it, while a position is exact whatever the lag. Keyed by organisation, not by person: members and API keys of an
organisation work on the same offers and statements (a colleague's price change, an ERP's import) and expect to
see them at once. Positions live in the cache (Redis in production, shared by every process; the Lua script
keeps the largest one when two requests of one organisation finish together) for
`DATABASE_REPLICA_READ_YOUR_WRITES_SECONDS` after the latest write: a replica lagging longer than that is broken
and must be taken out of service (monitor `pg_stat_replication.replay_lag`). Other organisations' writes reach a
reader after the replication lag, milliseconds on a healthy replica.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from pharmex import sql

if TYPE_CHECKING:
    from pharmex.actor import Actor

logger = logging.getLogger(__name__)
REPLICA = "replica"
# After a failed connection the replica is left alone this long (per process), so search does not wait for a
# connect timeout on every request while it is down; its reads go to the primary meanwhile.
RETRY_AFTER_SECONDS = 10
_TOKEN_DIGITS = 20  # WAL positions as fixed-width decimals: Lua compares them as strings, exactly at any size
UNKNOWN_POSITION = 2**64 - 1  # past any position a replica reaches
# KEYS[1]: the key; ARGV[1]: the position (20 digits); ARGV[2]: seconds to keep it. Keeps the larger position.
_KEEP_LARGEST = """
local current = redis.call('GET', KEYS[1])
if not current or ARGV[1] > current then
    redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
"""

_read_alias: ContextVar[str | None] = ContextVar("pharmex_read_alias", default=None)
_down_until = 0.0

T = TypeVar("T")


def configured() -> bool:
    return REPLICA in connections.settings


def consistency_key(actor: Actor) -> str | None:
    """Whose writes a read must see: the organisation the actor acts for, else the person (staff)."""
    if actor.organization is not None:
        return f"org:{actor.organization.pk}"
    if actor.user is not None:
        return f"user:{actor.user.pk}"
    return None


def organization_key(organization_id: int) -> str:
    return f"org:{organization_id}"


def _cache_key(key: str) -> str:
    return f"replica:written:{key}"


def note_write(key: str | None) -> None:
    """Remember, for `key`, where the primary's log is now — after the writer's commit (call it then)."""
    if key is None or not configured():
        return
    try:
        position = sql.wal_insert_position()
    except DatabaseError as error:
        # The write committed but where is unknown: the key reads from the primary for the whole window.
        logger.warning("WAL position unknown after a write, reading %s from the primary for a while: %s", key, error)
        position = UNKNOWN_POSITION
    remember(key, position)


def remember(key: str, position: int) -> None:
    """Keep `position` for `key` unless a larger one is kept already."""
    cache, cache_key = caches["default"], _cache_key(key)
    ttl = settings.DATABASE_REPLICA_READ_YOUR_WRITES_SECONDS
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(cache_key)
        client = cache._cache.get_client(full_key, write=True)
        client.eval(_KEEP_LARGEST, 1, full_key, str(position).zfill(_TOKEN_DIGITS), ttl)
        return
    # Other caches (one process's memory, the database cache table) have no atomic "keep the larger": two
    # concurrent writes of one key may keep the smaller position. Production runs Redis.
    current = cache.get(cache_key)
    if current is None or position > current:
        cache.set(cache_key, position, ttl)


def _replica_reachable() -> bool:
    global _down_until
    if time.monotonic() < _down_until:
        return False
    try:
        connections[REPLICA].ensure_connection()
    except DatabaseError as error:
        logger.warning("read replica unreachable, reading from the primary: %s", error)
        _down_until = time.monotonic() + RETRY_AFTER_SECONDS
        return False
    return True


def choose(key: str | None) -> str:
    """The alias a replica-eligible read for `key` goes to: the replica when it has replayed everything written
    for `key` lately (one cache read; plus one tiny replica query when there was such a write), else `default`."""
    if not configured() or connections[DEFAULT_DB_ALIAS].in_atomic_block or not _replica_reachable():
        return DEFAULT_DB_ALIAS
    written = caches["default"].get(_cache_key(key)) if key is not None else None
    if written is None:
        return REPLICA
    try:
        replayed = sql.wal_replay_position(using=REPLICA)
    except DatabaseError as error:
        logger.warning("read replica failed, reading from the primary: %s", error)
        return DEFAULT_DB_ALIAS
    return REPLICA if replayed is not None and replayed >= int(written) else DEFAULT_DB_ALIAS


@contextmanager
def request_scope() -> Iterator[None]:
    """Where reads go is decided per request (`route_reads`) and forgotten when it ends."""
    token = _read_alias.set(None)
    try:
        yield
    finally:
        _read_alias.reset(token)


def route_reads(key: str | None) -> str:
    """Send the rest of this request's reads where `choose` says; returns the alias."""
    alias = choose(key)
    _read_alias.set(alias if alias != DEFAULT_DB_ALIAS else None)
    return alias


def follow(rows: Iterable[T]) -> Iterator[T]:
    """`rows`, each pulled with the reads routed as they are now: a streamed export is read after its view has
    returned (and its request scope ended), and must read where the view decided."""
    return _pulled_with(_read_alias.get(), iter(rows))


def _pulled_with(alias: str | None, iterator: Iterator[T]) -> Iterator[T]:
    while True:
        token = _read_alias.set(alias)
        try:
            row = next(iterator)
        except StopIteration:
            return
        finally:
            _read_alias.reset(token)
        yield row


class ReplicaRouter:
    """Reads of a routed request go to the alias it chose; writes always go to the primary."""

    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        alias = _read_alias.get()
        if alias is None or model._meta.app_label == "django_cache":  # the cache table is written too: primary
            return None
        return alias

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS  # an instance read from the replica is saved to the primary

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica holds the primary's rows: a row read there may be linked to one from here

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS
