"""``RedisCacheStore``: the response cache shared by every process, with shared invalidation.

Entries are ``SET … PX`` values under a hash of the cache key; the per-(tenant, resource)
generations are Redis counters bumped with ``INCR``, so a write in one process makes every
other process miss. A generation starts at a random number: if Redis evicts or loses the
counter, the counter starts afresh somewhere no old entry was written, instead of at 0.

Redis going away never fails a read: the store answers "not cached" (logging one warning
per outage), waits ``retry_interval`` before trying Redis again, and replays the bumps it
could not make once Redis is back.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from asperion_orm._log import logger
from asperion_orm.exceptions import ConfigurationError
from asperion_orm.http.redis_connect import RedisLike, connect, describe, redis_errors

__all__ = ["RedisCacheStore"]

T = TypeVar("T")

_FIRST_GENERATION = 2**48


class RedisCacheStore:
    """A ``CacheStore`` in Redis: ``Client(cache_store=RedisCacheStore("redis://…"))``.

    ``prefix`` starts every key this store writes. ``max_bytes`` is the largest body it
    stores (a larger one is simply not cached); bound Redis's own memory with ``maxmemory``
    and ``maxmemory-policy volatile-lru``, which evicts only entries (they expire), never the
    generation counters.
    """

    def __init__(
        self,
        url_or_client: RedisLike,
        prefix: str = "asperion:cache:",
        max_bytes: int = 1024 * 1024,
        *,
        retry_interval: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_bytes < 1 or retry_interval < 0:
            raise ConfigurationError("max_bytes must be >= 1 and retry_interval >= 0.")
        self.redis = connect(url_or_client)
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.retry_interval = retry_interval
        self._clock = clock
        self._errors = redis_errors()
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._unbumped: set[str] = set()

    def __repr__(self) -> str:
        return f"RedisCacheStore({describe(self.redis)!r}, prefix={self.prefix!r})"

    def get(self, key: str) -> bytes | None:
        """Return the stored body, or None (also when Redis cannot be reached)."""
        value = self._call(None, self.redis.get, self._entry(key))
        return value if isinstance(value, bytes) else None

    def set(self, key: str, value: bytes, ttl: float) -> None:
        """Store a body for ``ttl`` seconds, unless it is larger than ``max_bytes``."""
        milliseconds = int(ttl * 1000)
        if milliseconds <= 0 or len(value) > self.max_bytes:
            return
        self._call(None, self.redis.set, self._entry(key), value, px=milliseconds)

    def generation(self, namespace: str) -> int:
        """Return the namespace's generation, starting it at a random number if it has none."""
        start = random.randrange(_FIRST_GENERATION, 2 * _FIRST_GENERATION)  # noqa: S311

        def read() -> Any:
            pipe = self.redis.pipeline()
            pipe.set(self._counter(namespace), start, nx=True)
            pipe.get(self._counter(namespace))
            return pipe.execute()[1]

        return int(self._call(0, read) or 0)

    def bump(self, namespace: str) -> None:
        """Advance the namespace's generation (replayed later if Redis cannot be reached)."""
        if self._call(False, lambda: self.redis.incr(self._counter(namespace)) or True) is False:
            with self._lock:
                self._unbumped.add(namespace)

    def _entry(self, key: str) -> str:
        return self.prefix + "e:" + hashlib.sha256(key.encode()).hexdigest()

    def _counter(self, namespace: str) -> str:
        return self.prefix + "g:" + hashlib.sha256(namespace.encode()).hexdigest()

    def _call(self, fallback: T, function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run one Redis call; on failure (or while Redis is known down) return ``fallback``."""
        if not self._may_try():
            return fallback
        try:
            result = function(*args, **kwargs)
        except self._errors as exc:
            self._went_down(exc)
            return fallback
        self._came_back()
        return result

    def _may_try(self) -> bool:
        with self._lock:
            down = self._down_since
        return down is None or self._clock() - down >= self.retry_interval

    def _went_down(self, exc: Exception) -> None:
        with self._lock:
            first = self._down_since is None
            self._down_since = self._clock()
        if first:
            logger.warning(
                "the Redis cache at %s cannot be reached (%s); reading without the cache, "
                "trying Redis again every %g s",
                describe(self.redis),
                type(exc).__name__,
                self.retry_interval,
            )

    def _came_back(self) -> None:
        with self._lock:
            if self._down_since is None:
                return
            self._down_since = None
            unbumped, self._unbumped = self._unbumped, set()
        logger.info("the Redis cache at %s is back", describe(self.redis))
        for namespace in unbumped:
            self.bump(namespace)
