"""When to retry a request, how long to wait, and the one loop that waits.

Every attempt ends in one of four verdicts (``decide``): done, retry, fail, or ambiguous. The
rules, per method:

- GET, HEAD, PUT and DELETE are idempotent: they are retried after connection errors, timeouts
  and the statuses 429, 502, 503 and 504.
- POST and PATCH are retried only when the request certainly never reached the server (the
  connection could not be opened) or the server refused it with 429. When the request may have
  been applied (a read timeout, a connection reset after sending, a 500, 502 or 504), the
  outcome is *ambiguous*: the caller gets ``AmbiguousWriteError`` and nothing is resent.
  A 500 counts as ambiguous because the API documents no transactions or idempotency keys, so a
  server error after the write committed cannot be told apart from one before it; a 503 means
  the service refused the request, so it is an ordinary ``ServerError``.
- A redirect (3xx) is never followed, since it would carry the token, and is no answer: a read
  fails with an ``APIError``, and a write is ambiguous (the server may have applied it before
  redirecting, as Post/Redirect/Get does).

Waits (``RetryPolicy.delay``) use jittered exponential backoff, or the server's
``Retry-After`` when it is a sane number of seconds no larger than ``retry_after_cap``; a
garbage, negative or huge value falls back to the computed backoff. A retry is never started
when the attempt limit is reached or when its wait would end past the call's deadline.
"""

from __future__ import annotations

import enum
import itertools
import math
import random
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import requests
import urllib3.exceptions

from asperion_orm._lazy import LazyModule
from asperion_orm.aio import check_cancelled

if TYPE_CHECKING:
    import tenacity
    from tenacity import RetryCallState
else:
    tenacity = LazyModule("tenacity")  # imported by the first request, not by the library

__all__ = [
    "Attempt",
    "RetryPolicy",
    "Verdict",
    "decide",
    "deleted_already",
    "parse_retry_after",
]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_RETRY_STATUSES_IDEMPOTENT = frozenset({429, 502, 503, 504})
_RETRY_STATUSES_UNSAFE = frozenset({429})
_AMBIGUOUS_STATUSES_UNSAFE = frozenset({500, 502, 504})
_SSL_CUT_SHORT = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError)


class Verdict(enum.Enum):
    """What to do after one attempt."""

    DONE = "done"
    RETRY = "retry"
    FAIL = "fail"
    AMBIGUOUS = "ambiguous"


@dataclass
class Attempt:
    """The outcome of one attempt: a response or an exception, and the verdict on it."""

    verdict: Verdict
    response: requests.Response | None = None
    error: BaseException | None = None
    retry_after: float | None = None
    value: Any = None
    number: int = 1

    def describe(self) -> str:
        """Return what went wrong, for logs: ``HTTP 503`` or the exception's class name."""
        if self.response is not None:
            return f"HTTP {self.response.status_code}"
        return type(self.error).__name__


def sent_nothing(error: BaseException) -> bool:
    """Tell whether a transport error happened before any byte of the request left."""
    if isinstance(error, requests.ConnectTimeout | requests.exceptions.ProxyError):
        return True
    if isinstance(error, requests.exceptions.SSLError):
        return tls_refused(error)
    if isinstance(error, requests.ConnectionError) and error.args:
        reason = getattr(error.args[0], "reason", None)
        return isinstance(reason, urllib3.exceptions.NewConnectionError)
    return False


def tls_refused(error: BaseException) -> bool:
    """Tell whether TLS itself failed (handshake, certificate), not a connection cut short.

    A peer that drops the connection mid-stream surfaces as ``SSLEOFError``; that is a reset
    (the request may have been processed), not a TLS failure.
    """
    cause = ssl_cause(error)
    return cause is None or not isinstance(cause, _SSL_CUT_SHORT)


def ssl_cause(error: BaseException) -> ssl.SSLError | None:
    """Return the ``ssl.SSLError`` wrapped somewhere inside a requests/urllib3 error."""
    pending: list[object] = [error]
    for _ in range(12):
        if not pending:
            return None
        item = pending.pop(0)
        if isinstance(item, ssl.SSLError):
            return item
        if isinstance(item, BaseException):
            pending.extend(item.args)
            pending.extend((getattr(item, "reason", None), item.__cause__, item.__context__))
    return None


def is_fatal(error: BaseException) -> bool:
    """Tell whether retrying cannot help (TLS or certificate failures, bad URLs)."""
    if isinstance(error, requests.exceptions.SSLError):
        return tls_refused(error)
    transient = (
        requests.ConnectionError,
        requests.Timeout,
        requests.exceptions.ChunkedEncodingError,
    )
    return not isinstance(error, transient)


def decide(method: str, response: requests.Response | None, error: BaseException | None) -> Verdict:
    """Return the verdict on one attempt of ``method`` (pure: no I/O, no clock)."""
    idempotent = method.upper() in IDEMPOTENT_METHODS
    if error is not None:
        if is_fatal(error):
            return Verdict.FAIL
        return Verdict.RETRY if idempotent or sent_nothing(error) else Verdict.AMBIGUOUS
    assert response is not None
    status = response.status_code
    if status < 300:
        return Verdict.DONE
    if status < 400:
        return Verdict.FAIL if idempotent else Verdict.AMBIGUOUS
    if status in (_RETRY_STATUSES_IDEMPOTENT if idempotent else _RETRY_STATUSES_UNSAFE):
        return Verdict.RETRY
    if not idempotent and status in _AMBIGUOUS_STATUSES_UNSAFE:
        return Verdict.AMBIGUOUS
    return Verdict.FAIL


def deleted_already(method: str, final: Attempt, earlier: list[Attempt]) -> bool:
    """Tell whether a DELETE got 404 after an earlier attempt that may have deleted it."""
    if method != "DELETE" or final.response is None or final.response.status_code != 404:
        return False
    return any(_outcome_unknown(attempt) for attempt in earlier)


def _outcome_unknown(attempt: Attempt) -> bool:
    if attempt.error is not None:
        return not sent_nothing(attempt.error)
    return attempt.response is not None and attempt.response.status_code in (500, 502, 504)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Parse ``Retry-After`` (seconds or an HTTP date) into seconds; ``None`` if unusable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    seconds: float | None
    try:
        seconds = float(text)
    except ValueError:
        seconds = _seconds_until_date(text, time.time() if now is None else now)
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return None
    return seconds


def _seconds_until_date(text: str, now: float) -> float | None:
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - now)


@dataclass(frozen=True)
class RetryPolicy:
    """Attempt limit, deadline and backoff for one logical call, with injectable time.

    ``sleep``, ``clock`` (monotonic seconds) and ``random`` (a float in [0, 1)) exist so tests
    run instantly and deterministically.
    """

    attempts: int = 3
    deadline: float = 60.0
    backoff: float = 0.5
    backoff_max: float = 10.0
    retry_after_cap: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    random: Callable[[], float] = field(default=random.random, repr=False)

    def backoff_delay(self, attempt: int) -> float:
        """Return the jittered wait after failed attempt ``attempt`` (equal jitter: 50-100%)."""
        ceiling = min(self.backoff_max, self.backoff * 2 ** (attempt - 1))
        return float(ceiling * (0.5 + 0.5 * self.random()))

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Return the wait before the next attempt: a sane ``Retry-After``, else backoff."""
        if retry_after is not None and 0 <= retry_after <= self.retry_after_cap:
            return retry_after
        return min(self.backoff_delay(attempt), self.retry_after_cap)

    def should_stop(self, attempt: int, elapsed: float, upcoming: float) -> bool:
        """Tell whether to give up instead of waiting ``upcoming`` seconds and trying again."""
        return attempt >= self.attempts or elapsed + upcoming > self.deadline

    def run(
        self,
        send: Callable[[int, float], Attempt],
        on_retry: Callable[[Attempt, float], None] | None = None,
    ) -> Attempt:
        """Call ``send(attempt_number, seconds_left)`` until its verdict is not RETRY.

        This loop is the only place in the library that sleeps between attempts. It returns
        the last attempt, whatever its verdict; exceptions raised by ``send`` propagate. The
        first attempt runs before any retry machinery is built: most requests need none, and
        building tenacity's costs about as much as the library's own work on a small answer.
        """
        start = self.clock()
        numbers = itertools.count(1)

        def attempt() -> Attempt:
            number = next(numbers)
            if number > 1:
                check_cancelled()  # an async caller that has left wants no further attempt
            return send(number, self.deadline - (self.clock() - start))

        first = attempt()
        if first.verdict is not Verdict.RETRY:
            return first
        # tenacity's first call hands back the attempt made above; its waits, stops and
        # numbers then run as if it had made that attempt itself.
        made: list[Attempt] = [first]

        def each() -> Attempt:
            return made.pop() if made else attempt()

        def wait(state: RetryCallState) -> float:
            return self.delay(state.attempt_number, _last(state).retry_after)

        def stop(state: RetryCallState) -> bool:
            return self.should_stop(
                state.attempt_number, self.clock() - start, state.upcoming_sleep
            )

        def before_sleep(state: RetryCallState) -> None:
            if on_retry is not None:
                on_retry(_last(state), state.upcoming_sleep)

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_result(lambda result: result.verdict is Verdict.RETRY),
            wait=wait,
            stop=stop,
            sleep=self.sleep,
            before_sleep=before_sleep,
            retry_error_callback=_last,
        )
        result: Attempt = retrying(each)
        return result


def _last(state: RetryCallState) -> Attempt:
    assert state.outcome is not None
    result: Attempt = state.outcome.result()
    return result
