"""WSGI middleware for the sandbox: latency, rate limit, injected faults and a request log.

Every knob can be changed at runtime from any thread. Faults that reset the connection raise
:class:`~asperion_orm.testing.emulator.server.AbortConnection`, which the sandbox's HTTPS server
turns into a TCP reset.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import logging
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote_plus, urlencode

from asperion_orm.testing.emulator.server import AbortConnection

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = [
    "FAULT_KINDS",
    "Fault",
    "LogEntry",
    "SandboxMiddleware",
]

FAULT_KINDS = frozenset({"reset_before", "reset_after_commit", "slow"})
"""Named faults; an int status (e.g. 500, 502, 503, 504) is a fault too."""

logger = logging.getLogger("asperion_orm.testing")

REDACTED = "[redacted]"
_SECRET_WORDS = ("token", "secret", "password", "assertion", "verifier", "apikey", "api_key")
_OAUTH_SECRETS = frozenset({"code", "state", "code_challenge", "session_state"})
"""Secret on the identity endpoints only: on ``/v1`` ``code`` is data (a country's code)."""
_TENANT_HEADERS = ("HTTP_X_TENANT_ID", "HTTP_X_TENANTID")
_REASONS = {
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_LOG_LIMIT = 100_000


@dataclass(frozen=True)
class LogEntry:
    """One request as the sandbox saw it (never a secret, never a body).

    ``params`` are the query parameters in order; values of secret-looking names (tokens,
    codes, secrets, passwords, state) are replaced by ``"[redacted]"``. ``tenant`` is the
    administration the app resolved, or the raw tenant header. ``status`` is what the app
    answered (0 when the connection was reset before the app ran); ``fault`` names the
    injected fault, if any.

    ``params`` and ``url`` are parsed from the redacted query text when first read: most
    entries are only counted, and parsing each one cost a tenth of a small request.
    """

    method: str
    path: str
    tenant: int | str | None
    status: int
    fault: str | None = None
    query: str = field(default="", repr=False)
    """The query string with secret-looking values already replaced."""
    origin: str = field(default="", repr=False)
    """``scheme://host`` and the script name: the URL up to the path."""

    @functools.cached_property
    def params(self) -> list[tuple[str, str]]:
        """Return the query parameters in order (secret-looking values redacted)."""
        return parse_qsl(self.query, keep_blank_values=True)

    @functools.cached_property
    def url(self) -> str:
        """Return the URL, its query re-encoded from ``params``."""
        query = urlencode(self.params, safe="[]")
        return f"{self.origin}{self.path}" + (f"?{query}" if query else "")

    def __repr__(self) -> str:
        """Show what the request log shows: method, URL, tenant, status and fault."""
        return (
            f"LogEntry(method={self.method!r}, url={self.url!r}, tenant={self.tenant!r}, "
            f"status={self.status!r}, fault={self.fault!r})"
        )


@dataclass
class Fault:
    """An injected fault: fires on matching requests ``nth`` .. ``nth + times - 1``."""

    fault: int | str
    method: str | None = None
    path: str | None = None
    nth: int = 1
    times: int | None = 1
    delay: float = 0.0
    retry_after: float | None = None
    seen: int = field(default=0, init=False)
    fired: int = field(default=0, init=False)

    def matches(self, method: str, path: str) -> bool:
        """Return whether a request is one this fault counts."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.path is None:
            return True
        return fnmatch.fnmatchcase(path.lower(), self.path.lower())

    def count(self) -> None:
        """Count one matching request."""
        self.seen += 1

    @property
    def due(self) -> bool:
        """Return whether the request just counted is one this fault fires for."""
        return self.seen >= self.nth and (self.times is None or self.fired < self.times)


def _validate_fault(fault: int | str, nth: int, times: int | None, delay: float) -> None:
    """Refuse fault specifications that could never do what the caller meant."""
    if isinstance(fault, int):
        if not 400 <= fault <= 599:
            raise ValueError(f"fault status must be 4xx or 5xx, got {fault}")
    elif fault not in FAULT_KINDS:
        raise ValueError(f"unknown fault {fault!r}; use a status or one of {sorted(FAULT_KINDS)}")
    if nth < 1 or (times is not None and times < 1) or delay < 0:
        raise ValueError("nth and times must be >= 1 and delay >= 0")


class _TokenBucket:
    """A token bucket refilled at ``rate`` per second, holding ``max(rate, 1)`` tokens."""

    def __init__(self, rate: float, clock: Callable[[], float]) -> None:
        """Start full."""
        self.rate = rate
        self._capacity = max(rate, 1.0)
        self._clock = clock
        self._tokens = self._capacity
        self._stamp = clock()

    def take(self) -> float:
        """Take one token; return 0 on success or the seconds until one is available."""
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self.rate


def problem(status: int, detail: str | None = None) -> bytes:
    """Return an RFC 9457 / ASP.NET ProblemDetails body for ``status``."""
    body: dict[str, Any] = {
        "type": f"https://httpstatuses.io/{status}",
        "title": _REASONS.get(status, "Error"),
        "status": status,
        "traceId": f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-00",
    }
    if detail:
        body["detail"] = detail
    return json.dumps(body).encode()


def redact_params(query: str, path: str = "/") -> list[tuple[str, str]]:
    """Parse a query string into pairs, hiding the values of secret-looking names."""
    oauth = not path.lower().startswith("/v1")
    pairs = parse_qsl(query, keep_blank_values=True)
    return [(name, REDACTED if _is_secret(name, oauth) else value) for name, value in pairs]


def _is_secret(name: str, oauth: bool) -> bool:
    """Return whether a parameter name looks like it carries a credential."""
    lowered = name.lower()
    if oauth and lowered in _OAUTH_SECRETS:
        return True
    return any(word in lowered for word in _SECRET_WORDS)


def _path(environ: WSGIEnvironment) -> str:
    """Return PATH_INFO as text (WSGI carries it as latin-1 decoded bytes)."""
    raw = str(environ.get("PATH_INFO", "/"))
    try:
        return raw.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:
        return raw


def _tenant(environ: WSGIEnvironment) -> int | str | None:
    """Return the tenant the app resolved, else the raw tenant header."""
    resolved = environ.get("asperion.tenant")
    if resolved is not None:
        return resolved  # type: ignore[no-any-return]
    for key in _TENANT_HEADERS:
        if key in environ:
            return str(environ[key])
    return None


class _Captured:
    """The status and headers an app passed to ``start_response``."""

    def __init__(self) -> None:
        """Start empty."""
        self.status = "500 Internal Server Error"
        self.headers: list[tuple[str, str]] = []
        self.exc_info: Any = None

    def __call__(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        """Record the response start; the body is collected from the iterable."""
        self.status, self.headers, self.exc_info = status, list(headers), exc_info
        return lambda _data: None

    @property
    def code(self) -> int:
        """Return the numeric status."""
        return int(self.status.split(" ", 1)[0])


class SandboxMiddleware:
    """Wrap a WSGI app with the sandbox's runtime knobs and request log."""

    def __init__(
        self,
        app: WSGIApplication,
        *,
        latency: float = 0.0,
        rate_limit: float | None = None,
        rate_limited_prefix: str = "/v1",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Wrap ``app``; the rate limit applies to paths under ``rate_limited_prefix``."""
        self.app = app
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._clock = clock
        self._prefix = rate_limited_prefix
        self._latency = 0.0
        self._bucket: _TokenBucket | None = None
        self._faults: list[Fault] = []
        self._log: deque[LogEntry] = deque(maxlen=_LOG_LIMIT)
        self.set_latency(latency)
        self.set_rate_limit(rate_limit)

    # -- knobs --------------------------------------------------------------------------------

    @property
    def latency(self) -> float:
        """Return the delay added before every answer, in seconds."""
        return self._latency

    def set_latency(self, seconds: float) -> None:
        """Delay every answer by ``seconds``."""
        if seconds < 0:
            raise ValueError("latency must be >= 0")
        self._latency = float(seconds)

    @property
    def rate_limit(self) -> float | None:
        """Return the requests per second allowed, or None for no limit."""
        bucket = self._bucket
        return bucket.rate if bucket else None

    def set_rate_limit(self, per_second: float | None) -> None:
        """Allow ``per_second`` API requests per second (None: unlimited); excess gets 429."""
        if per_second is not None and per_second <= 0:
            raise ValueError("rate limit must be > 0 or None")
        with self._lock:
            self._bucket = _TokenBucket(per_second, self._clock) if per_second else None

    def inject(
        self,
        method: str | None = None,
        path: str | None = None,
        fault: int | str = 500,
        *,
        nth: int = 1,
        times: int | None = 1,
        delay: float = 0.0,
        retry_after: float | None = None,
    ) -> Fault:
        """Add a fault for requests matching ``method`` and ``path`` (a glob; None: any)."""
        _validate_fault(fault, nth, times, delay)
        rule = Fault(fault, method, path, nth, times, delay, retry_after)
        with self._lock:
            self._faults.append(rule)
        return rule

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        with self._lock:
            self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        """Return a copy of the active fault list."""
        with self._lock:
            return list(self._faults)

    # -- request log --------------------------------------------------------------------------

    @property
    def request_log(self) -> list[LogEntry]:
        """Return a snapshot of the request log, oldest first."""
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        """Forget all logged requests."""
        with self._lock:
            self._log.clear()

    def requests(self, method: str | None = None, path: str | None = None) -> list[LogEntry]:
        """Return logged requests with this method and path (a case-insensitive glob)."""
        probe = Fault(500, method, path)
        return [e for e in self.request_log if probe.matches(e.method, e.path)]

    def close(self) -> None:
        """Cut short any delay in progress (used at shutdown)."""
        self._stopping.set()

    # -- WSGI ---------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Apply latency, rate limit and faults, call the app and log the request."""
        method = str(environ.get("REQUEST_METHOD", "GET"))
        path = _path(environ)
        self._sleep(self._latency)
        wait = self._rate_wait(path)
        if wait:
            return self._refuse_rate(environ, start_response, wait)
        rule = self._fault_for(method, path)
        if rule is not None and rule.fault != "reset_after_commit":
            return self._apply_fault(rule, environ, start_response)
        return self._forward(environ, start_response, rule)

    def _sleep(self, seconds: float) -> None:
        """Sleep unless the server is stopping."""
        if seconds > 0:
            self._stopping.wait(seconds)

    def _rate_wait(self, path: str) -> float:
        """Return 0 when the request may pass the rate limit, else seconds to wait."""
        if not path.lower().startswith(self._prefix.lower()):
            return 0.0
        with self._lock:
            return self._bucket.take() if self._bucket else 0.0

    def _fault_for(self, method: str, path: str) -> Fault | None:
        """Return the first fault that fires for this request, counting matches."""
        chosen = None
        with self._lock:
            for rule in self._faults:
                if not rule.matches(method, path):
                    continue
                rule.count()
                if chosen is None and rule.due:
                    rule.fired += 1
                    chosen = rule
        return chosen

    def _refuse_rate(
        self, environ: WSGIEnvironment, start_response: StartResponse, wait: float
    ) -> list[bytes]:
        """Answer 429 with ``Retry-After`` in whole seconds."""
        retry_after = max(1, math.ceil(wait))
        detail = f"Rate limit of {self.rate_limit:g} requests per second exceeded."
        headers = [("Retry-After", str(retry_after))]
        return self._answer(environ, start_response, 429, problem(429, detail), headers, None)

    def _apply_fault(
        self, rule: Fault, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Carry out a fault other than ``reset_after_commit``."""
        if rule.fault == "reset_before":
            self._record(environ, 0, "reset_before")
            raise AbortConnection("reset_before")
        if rule.fault == "slow":
            self._sleep(rule.delay)
            return self._forward(environ, start_response, rule)
        status = int(rule.fault)
        headers = []
        if rule.retry_after is not None:
            headers.append(("Retry-After", str(max(0, math.ceil(rule.retry_after)))))
        return self._answer(environ, start_response, status, problem(status), headers, rule)

    def _answer(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        status: int,
        body: bytes,
        headers: Sequence[tuple[str, str]],
        rule: Fault | None,
    ) -> list[bytes]:
        """Send a ProblemDetails answer of our own and log it."""
        start_response(
            f"{status} {_REASONS.get(status, 'Error')}",
            [
                ("Content-Type", "application/problem+json"),
                ("Content-Length", str(len(body))),
                *headers,
            ],
        )
        self._record(environ, status, str(rule.fault) if rule else None)
        return [body]

    def _forward(
        self, environ: WSGIEnvironment, start_response: StartResponse, rule: Fault | None
    ) -> list[bytes]:
        """Run the app to completion, log it, then answer (or reset after the commit)."""
        captured = _Captured()
        try:
            body = _run(self.app, environ, captured)
        except AbortConnection:
            raise
        except Exception:
            logger.exception(
                "the emulator failed on %s %s", environ.get("REQUEST_METHOD"), _path(environ)
            )
            return self._answer(environ, start_response, 500, problem(500), (), None)
        fault = str(rule.fault) if rule else None
        self._record(environ, captured.code, fault)
        if rule is not None and rule.fault == "reset_after_commit":
            raise AbortConnection("reset_after_commit")
        start_response(captured.status, captured.headers, captured.exc_info)
        return body

    def _record(self, environ: WSGIEnvironment, status: int, fault: str | None) -> None:
        """Append a log entry for this request."""
        entry = _entry(environ, status, fault)
        with self._lock:
            self._log.append(entry)


def _run(app: WSGIApplication, environ: WSGIEnvironment, captured: _Captured) -> list[bytes]:
    """Call ``app`` and collect its whole body."""
    result = app(environ, captured)
    try:
        return [chunk for chunk in result if chunk]
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()


def _entry(environ: WSGIEnvironment, status: int, fault: str | None) -> LogEntry:
    """Build a log entry from the environ, redacting secret-looking parameters."""
    path = _path(environ)
    scheme = str(environ.get("wsgi.url_scheme", "https"))
    host = str(environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "127.0.0.1"))
    origin = f"{scheme}://{host}{environ.get('SCRIPT_NAME', '')}"
    method = str(environ.get("REQUEST_METHOD", "GET"))
    query = _redacted_query(str(environ.get("QUERY_STRING", "")), path)
    return LogEntry(method, path, _tenant(environ), status, fault, query, origin)


def _redacted_query(query: str, path: str) -> str:
    """Return ``query`` with secret-looking values replaced (unchanged when it names none)."""
    words = unquote_plus(query).lower()
    oauth = not path.lower().startswith("/v1")
    if any(word in words for word in _SECRET_WORDS) or (
        oauth and any(name in words for name in _OAUTH_SECRETS)
    ):
        return urlencode(redact_params(query, path))
    return query
