"""``RateLimiter``: the client's own request quota, per app registration and administration.

The algorithm and its storage are the ``limits`` library's: a moving window for each limit
of a string such as ``"10/second;600/minute"``, kept in memory (one process) or in Redis
(every process and host that shares it). A request waits until every limit lets it through,
but never past its deadline: then it raises ``RateLimited`` without being sent. The server's
own 429 + ``Retry-After`` is still honoured by the retry policy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from asperion_orm._log import logger
from asperion_orm.exceptions import ConfigurationError, RateLimited
from asperion_orm.http.redis_connect import RedisLike, connect, describe, redis_errors

__all__ = ["RateLimiter"]

_NAMESPACE = "asperion"
_MIN_WAIT = 0.002  # a window that reopens "now" is polled again after this many seconds


class RateLimiter:
    """Moving-window limits on requests, shared through ``store`` (None: this process only).

    ``store`` is a Redis URL (``redis://host:6379/0``) or a ``redis.Redis`` client. If Redis
    cannot be reached the limiter falls back to counting in this process (one warning).
    """

    def __init__(
        self,
        limits: str,
        store: RedisLike | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        from limits import parse_many
        from limits.storage import MemoryStorage
        from limits.strategies import MovingWindowRateLimiter

        try:
            self.items = parse_many(limits)
        except ValueError as exc:
            raise ConfigurationError(
                f"rate_limit {limits!r} is not a list of limits such as "
                f"'10/second;600/minute' ({exc})."
            ) from None
        self.limits = limits
        self._sleep = sleep
        self._clock = clock
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._shared = None if store is None else MovingWindowRateLimiter(_redis_storage(store))
        self._where = "memory" if store is None else describe(connect(store))
        self._errors: tuple[type[Exception], ...] = () if store is None else redis_errors()
        self._warned = threading.Event()

    def __repr__(self) -> str:
        return f"RateLimiter({self.limits!r}, store={self._where!r})"

    def acquire(self, key: str, seconds_left: float) -> float:
        """Wait until every limit lets one request for ``key`` through; return the seconds waited.

        Raise ``RateLimited`` (nothing sent) when the wait would end past ``seconds_left``.
        """
        waited = 0.0
        for item in self.items:
            while not self._hit(item, key):
                wait = max(self._reset(item, key) - self._clock(), _MIN_WAIT)
                if waited + wait > seconds_left:
                    raise RateLimited(
                        f"The client's rate limit ({item}) for {key} would hold this request "
                        f"{waited + wait:.2f} s, past its deadline; it was not sent. Raise "
                        "RetryPolicy(deadline=...) or lower the request rate.",
                        retry_after=wait,
                    )
                self._sleep(wait)
                waited += wait
        return waited

    def _hit(self, item: Any, key: str) -> bool:
        return bool(self._run(lambda limiter: limiter.hit(item, _NAMESPACE, key)))

    def _reset(self, item: Any, key: str) -> float:
        return float(self._run(lambda limiter: limiter.get_window_stats(item, _NAMESPACE, key)[0]))

    def _run(self, call: Callable[[Any], Any]) -> Any:
        if self._shared is not None:
            try:
                return call(self._shared)
            except self._errors as exc:
                if not self._warned.is_set():
                    self._warned.set()
                    logger.warning(
                        "the rate limiter's Redis at %s cannot be reached (%s); limiting "
                        "requests in this process only",
                        self._where,
                        type(exc).__name__,
                    )
        return call(self._local)


def _redis_storage(store: RedisLike) -> Any:
    """Return a ``limits`` Redis storage on the given URL or client's connection pool."""
    from limits.storage import RedisStorage

    client = connect(store)
    return RedisStorage("redis://", connection_pool=client.connection_pool)
