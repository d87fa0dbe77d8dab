"""``RateLimiter``: the client's own request quota, per app registration and administration.

The algorithm and its shared state are pyrate-limiter's GCRA (generic cell rate algorithm):
for each limit of a string such as ``"10/second;600/minute"`` one "theoretical arrival time"
per key, moved forward atomically (a Lua script in Redis, a lock in memory). Requests are
spread evenly over the window, with a burst of a quarter of the limit: a server that counts
with a bucket or a window of its own then sees a steady stream, not a burst at each window's
start that network jitter can push over its limit.

A request waits until every limit lets it through, but never past its deadline: then it
raises ``RateLimited`` without being sent. The server's own 429 + ``Retry-After`` is still
honoured by the retry policy.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
from typing import Any

from asperion_orm._log import logger
from asperion_orm.exceptions import ConfigurationError, RateLimited
from asperion_orm.http.redis_connect import RedisLike, connect, describe, redis_errors

__all__ = ["RateLimiter"]

_UNITS = {"second": 1_000, "minute": 60_000, "hour": 3_600_000, "day": 86_400_000}
_LIMIT = re.compile(r"\s*(\d+)\s*(?:/|per)\s*(second|minute|hour|day)s?\s*", re.IGNORECASE)
_PREFIX = "asperion:ratelimit:"
_MIN_WAIT = 0.001


class RateLimiter:
    """Limits on requests per key, shared through ``store`` (None: this process only).

    ``store`` is a Redis URL (``redis://host:6379/0``) or a ``redis.Redis`` client. If Redis
    cannot be reached the limiter counts in this process instead (one warning).
    """

    def __init__(
        self,
        limits: str,
        store: RedisLike | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        from pyrate_limiter import GCRA

        self.rates = _parse(limits)
        self.limits = limits
        self._algorithm = GCRA()
        self._sleep = sleep
        self._clock = clock
        self._redis = None if store is None else connect(store)
        self._errors: tuple[type[Exception], ...] = () if store is None else redis_errors()
        self._stores: dict[tuple[bool, str], Any] = {}  # (shared, key) -> a pyrate state store
        self._lock = threading.Lock()
        self._warned = threading.Event()

    def __repr__(self) -> str:
        where = "memory" if self._redis is None else describe(self._redis)
        return f"RateLimiter({self.limits!r}, store={where!r})"

    def acquire(self, key: str, seconds_left: float) -> float:
        """Wait until every limit lets one request for ``key`` through; return the seconds waited.

        Raise ``RateLimited`` (nothing sent) when the wait would end past ``seconds_left``.
        """
        waited = 0.0
        while True:
            decision = self._check(key)
            if decision.allowed:
                return waited
            wait = max((decision.retry_after_ms or 0) / 1000, _MIN_WAIT)
            if waited + wait > seconds_left:
                raise RateLimited(
                    f"The client's rate limit ({decision.failing_rate}) for {key} would hold "
                    f"this request {waited + wait:.2f} s, past its deadline; it was not sent. "
                    "Raise RetryPolicy(deadline=...) or send fewer requests.",
                    retry_after=wait,
                )
            self._sleep(wait)
            waited += wait

    def _check(self, key: str) -> Any:
        now = int(self._clock() * 1000)
        if self._redis is not None:
            try:
                shared = self._store(key, self._redis)
                return shared.check(self._algorithm, self.rates, now, 1)
            except self._errors as exc:
                self._warn(self._redis, exc)
        return self._store(key, None).check(self._algorithm, self.rates, now, 1)

    def _store(self, key: str, redis: Any) -> Any:
        """Return the state store of ``key``: in Redis, or in this process for ``None``."""
        from pyrate_limiter import InMemoryStateStore, RedisStateStore

        with self._lock:
            store = self._stores.get((redis is not None, key))
            if store is None:
                store = (
                    InMemoryStateStore() if redis is None else RedisStateStore(redis, _PREFIX + key)
                )
                self._stores[(redis is not None, key)] = store
            return store

    def _warn(self, redis: Any, exc: Exception) -> None:
        if not self._warned.is_set():
            self._warned.set()
            logger.warning(
                "the rate limiter's Redis at %s cannot be reached (%s); limiting requests in "
                "this process only",
                describe(redis),
                type(exc).__name__,
            )


def _parse(limits: str) -> list[Any]:
    """Return the pyrate-limiter rates of ``"10/second;600/minute"``, shortest window first."""
    from pyrate_limiter import Rate

    parts = [part for part in limits.split(";") if part.strip()]
    matches = [_LIMIT.fullmatch(part) for part in parts]
    if not parts or not all(match and int(match[1]) > 0 for match in matches):
        raise ConfigurationError(
            f"rate_limit {limits!r} is not a list of limits such as '10/second;600/minute' "
            "(a positive count per second, minute, hour or day, separated by ';')."
        )
    rates = []
    for match in matches:
        assert match is not None
        count, interval = int(match[1]), _UNITS[match[2].lower()]
        rates.append(Rate(count, interval, burst=max(1, math.ceil(count / 4))))
    return sorted(rates, key=lambda rate: rate.interval)
