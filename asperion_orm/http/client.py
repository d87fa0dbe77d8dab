"""``HttpClient``: the wire client of one app registration and user.

It holds the configuration, the OAuth tokens, the transport, the retry policy, the response
cache and the worker pool, and sends one logical request as auth → retry → transport → errors.
It knows no tenant and no model: a ``Session`` adds the tenant header and checks answers.
"""

from __future__ import annotations

import random
import re
import threading
import time
import unicodedata
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import BaseAdapter
from urllib3.filepost import encode_multipart_formdata

from asperion_orm import _json
from asperion_orm._log import log_attempt, log_retry
from asperion_orm.exceptions import AsperionError, ConfigurationError, InvalidResponse
from asperion_orm.http.cache import CacheStore, MemoryCacheStore, ResponseCache
from asperion_orm.http.errors import (
    ambiguous_write,
    api_error,
    invalid_response,
    transport_error,
)
from asperion_orm.http.oauth import OAuth
from asperion_orm.http.pace import Pace
from asperion_orm.http.ratelimit import RateLimiter
from asperion_orm.http.retry import (
    Attempt,
    RetryPolicy,
    Verdict,
    decide,
    deleted_already,
    parse_retry_after,
)
from asperion_orm.http.tokens import MemoryTokenStore, Token, TokenStore
from asperion_orm.http.transport import (
    DEFAULT_MAX_RESPONSE_BYTES,
    Transport,
    check_language,
    check_max_response_bytes,
    check_url,
)

__all__ = ["DEFAULT_BASE_URL", "ENVIRONMENTS", "HttpClient", "UploadFile"]

ENVIRONMENTS: dict[str, tuple[str, str]] = {
    "production": ("https://api.asperion.nl/v1", "https://identity.asperion.nl"),
    "sandbox": ("https://api-sandbox.asperion.nl/v1", "https://identity-sandbox.asperion.nl"),
}
DEFAULT_BASE_URL = ENVIRONMENTS["production"][0]

_USER_AGENT = "asperion-orm"
_DECODE_ROUNDS = 4

UploadFile = tuple[str, bytes, str]
"""One file of a multipart upload: file name, content and content type."""


class HttpClient:
    """One app registration and user on the wire: tokens, transport, retries, cache, workers.

    ``environment`` picks the hosts ("production" or "sandbox"); ``base_url`` and
    ``identity_url`` override them (for example for the local emulator). ``transport`` replaces
    the TLS 1.3 transport: a ``Transport``, or a ``requests`` adapter that serves every request.
    ``public_headers`` names request headers that errors may show. ``max_response_bytes``
    caps the size of an answer's body, decompressed (``ResponseTooLarge`` beyond it).
    ``rate_limit`` ("10/second;600/minute") makes requests wait for the client's own quota per
    administration, counted in this process or, with ``rate_limit_store`` (a Redis URL or
    client), across every process sharing it. Secrets never appear in the repr, logs or
    exceptions.
    """

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        *,
        environment: str = "production",
        base_url: str | None = None,
        identity_url: str | None = None,
        ca_bundle: str | None = None,
        allow_http: bool = False,
        token_store: TokenStore | None = None,
        language: str = "en-US",
        cache_ttl: float = 60.0,
        cache_store: CacheStore | None = None,
        max_concurrency: int = 8,
        timeout: tuple[float, float] = (5.0, 30.0),
        retry: RetryPolicy | None = None,
        transport: Transport | BaseAdapter | None = None,
        public_headers: frozenset[str] = frozenset(),
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        rate_limit: str | None = None,
        rate_limit_store: Any = None,
    ) -> None:
        _check_arguments(client_id, max_concurrency, timeout)
        check_max_response_bytes(max_response_bytes)
        default_base, default_identity = _hosts(environment, base_url, identity_url)
        self.client_id = client_id
        self.environment = environment
        self.base_url = check_url(base_url or default_base, allow_http=allow_http)
        self.identity_url = check_url(identity_url or default_identity, allow_http=allow_http)
        self.language = check_language(language)
        self.max_concurrency = max_concurrency
        # How long this server keeps a request waiting: one page at a time or workers.
        self.pace = Pace()
        self.public_headers = public_headers
        self.retry = retry or RetryPolicy()
        self.token_store: TokenStore = token_store or MemoryTokenStore()
        self.cache = ResponseCache(cache_store or MemoryCacheStore(), cache_ttl)
        self.rate_limiter = _rate_limiter(rate_limit, rate_limit_store)
        self.transport = _transport(
            transport, ca_bundle, max_concurrency, timeout, max_response_bytes
        )
        self.auth = OAuth(
            client_id=client_id,
            client_secret=client_secret,
            redirect_uri=redirect_uri,
            identity_url=self.identity_url,
            http=self.transport.session,
            store=self.token_store,
            retry=self.retry,
            timeout=timeout,
        )
        self._executor: ThreadPoolExecutor | None = None
        self._async_executor: ThreadPoolExecutor | None = None
        self._executor_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(client_id={self.client_id!r}, base_url={self.base_url!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker threads and close pooled connections."""
        # The async callers' pool first: their calls may still submit to the other. Neither is
        # shut down under the lock, which a call asking for ``executor`` would wait on.
        for name in ("_async_executor", "_executor"):
            with self._executor_lock:
                pool = getattr(self, name)
                setattr(self, name, None)
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        self.transport.close()

    # -- authorization --------------------------------------------------------------------

    def authorization_url(
        self, state: str | None = None, pkce: bool = True, *, code_verifier: str | None = None
    ) -> str:
        """Return the URL to send the user to; PKCE (S256) is on by default.

        The client remembers ``state`` and its PKCE verifier until ``fetch_token``. An app whose
        callback may reach another process passes its own ``code_verifier`` (kept in its
        session store) here and again to ``fetch_token``.
        """
        return self.auth.authorization_url(state=state, pkce=pkce, code_verifier=code_verifier)

    def fetch_token(
        self, code: str, state: str | None = None, *, code_verifier: str | None = None
    ) -> None:
        """Exchange the code from the login redirect for tokens and store them."""
        self.auth.fetch_token(code=code, state=state, code_verifier=code_verifier)

    @property
    def token(self) -> Token:
        """Return the current token (its repr hides the secrets)."""
        return self.auth.access_token()

    def cache_scope(self, scope: str | int) -> tuple[str | int, ...]:
        """Return who and where a cached response belongs to (everything but the request).

        ``scope`` is what the caller adds (a session's tenant).

        The user is identified by the grant id of the authorization (kept across refreshes and
        shared through the token store), never by a token.
        """
        return (self.base_url, self.client_id, self.auth.identity(), scope, self.language)

    @property
    def executor(self) -> ThreadPoolExecutor:
        """Return the client's worker pool, bounded by ``max_concurrency``."""
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    self.max_concurrency, thread_name_prefix="asperion"
                )
            return self._executor

    @property
    def async_executor(self) -> ThreadPoolExecutor:
        """Return the threads that run sync calls for async callers (``max_concurrency``).

        A pool of its own: an async call may wait on requests of the shared ``executor``,
        which must never queue behind it.
        """
        with self._executor_lock:
            if self._async_executor is None:
                self._async_executor = ThreadPoolExecutor(
                    self.max_concurrency, thread_name_prefix="asperion-async"
                )
            return self._async_executor

    # -- sending --------------------------------------------------------------------------

    def url(self, path: str) -> str:
        """Return the absolute URL of an API path such as ``debtor/42``."""
        clean = path.strip("/")
        if not _is_resource_path(clean):
            raise ConfigurationError(
                f"{path!r} is not a resource path (no empty, '.' or '..' segment, however "
                "encoded, and no control character); pass query values as params and build "
                "paths with Session.path(...)."
            )
        return f"{self.base_url}/{clean}"

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str]] = (),
        body: Mapping[str, Any] | None = None,
        files: Mapping[str, UploadFile] | None = None,
        headers: Mapping[str, str] | None = None,
        label: str = "-",
        limit_key: str = "-",
    ) -> requests.Response:
        """Send one logical request with retries, token refresh and error translation.

        ``headers`` are added to the client's own; ``label`` says in logs whom it is for;
        ``limit_key`` (the administration) picks the rate-limit bucket.
        ``files`` sends a multipart/form-data body instead of JSON (part name → file); it is
        encoded once, so every attempt sends the same bytes, and like any POST an upload whose
        answer was lost is never resent.
        """
        data, content_type = _encode(body, files)
        call = _Call(
            method=method,
            url=self.url(path),
            headers={**self._headers(content_type), **(headers or {})},
            params=tuple(params),
            data=data,
            label=label,
            limit_key=f"{self.client_id}:{limit_key}",
        )

        attempts: list[Attempt] = []

        def send(number: int, seconds_left: float) -> Attempt:
            attempts.append(self._attempt(call, number, seconds_left))
            return attempts[-1]

        def on_retry(attempt: Attempt, delay: float) -> None:
            log_retry(method, call.path, attempt.describe(), delay, attempt.number)

        final = self.retry.run(send, on_retry)
        return self._result(call, final, attempts[:-1])

    def parse(self, response: requests.Response) -> dict[str, Any]:
        """Parse a response's JSON object body (numbers with a fraction become ``Decimal``).

        Anything else raises ``InvalidResponse``.
        """
        return self.parse_body(response.content, response)

    def parse_body(self, body: bytes, response: requests.Response | None) -> dict[str, Any]:
        """Parse a JSON object body, fresh or from the cache (then without ``response``).

        The one body parser: an empty body is ``{}``, anything but an object raises
        ``InvalidResponse`` with the redacted request when there is one.
        """
        if not body:
            return {}
        try:
            data = _json.loads(body)
        except ValueError as exc:
            raise self.invalid_response(f"not JSON: {exc}", response) from exc
        if not isinstance(data, dict):
            raise self.invalid_response("not a JSON object", response)
        return data

    def invalid_response(self, reason: str, response: requests.Response | None) -> InvalidResponse:
        """Return the error for an answer whose body cannot be used, with the redacted request."""
        return invalid_response(reason, response, self.public_headers)

    def _headers(self, content_type: str | None) -> dict[str, str]:
        headers = {
            "Accept": "application/json",
            "Accept-Language": self.language,
            "User-Agent": _USER_AGENT,
            "X-Request-Id": _request_id(),
        }
        if content_type is not None:
            headers["Content-Type"] = content_type
        return headers

    def _attempt(self, call: _Call, number: int, seconds_left: float) -> Attempt:
        """Send once (plus one replay after a 401 and a forced refresh) and judge the result."""
        token = self.auth.access_token()
        response, error = self._send(call, token, number, seconds_left)
        if response is not None and response.status_code == 401:
            token = self.auth.refresh(token, force=True)
            response, error = self._send(call, token, number, seconds_left)
        retry_after = None
        if response is not None:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
        verdict = decide(call.method, response, error)
        return Attempt(verdict, response, error, retry_after, number=number)

    def _send(
        self, call: _Call, token: Token, number: int, seconds_left: float
    ) -> tuple[requests.Response | None, BaseException | None]:
        """Put one request on the wire and log it; transport errors are returned, not raised."""
        headers = {**call.headers, "Authorization": f"Bearer {token.access_token}"}
        if self.rate_limiter is not None:
            seconds_left -= self.rate_limiter.acquire(call.limit_key, seconds_left)
        started = time.monotonic()
        try:
            response = self.transport.send(
                call.method, call.url, headers=headers, params=call.params, data=call.data,
                seconds_left=seconds_left,
            )  # fmt: skip
        except requests.RequestException as exc:
            log_attempt(
                call.method, call.path, type(exc).__name__, _since(started), number, call.label
            )
            return None, exc
        log_attempt(
            call.method, call.path, response.status_code, _since(started), number, call.label
        )
        return response, None

    def _result(self, call: _Call, final: Attempt, earlier: list[Attempt]) -> requests.Response:
        """Return the final response, or raise the error from the table."""
        if final.verdict is Verdict.DONE and final.response is not None:
            return final.response
        if final.response is not None and deleted_already(call.method, final, earlier):
            return final.response
        cause: AsperionError
        secrets = self.auth.secrets()
        if final.error is not None:
            cause = transport_error(call.method, call.url, final.error, secrets)
        else:
            assert final.response is not None
            cause = api_error(final.response, self.public_headers, secrets)
        if final.verdict is Verdict.AMBIGUOUS:
            request_id = call.headers.get("X-Request-Id")
            raise ambiguous_write(call.method, call.url, request_id, final, cause)
        raise cause


@dataclass(frozen=True)
class _Call:
    """One logical request, the same on every attempt (one request id for all of them)."""

    method: str
    url: str
    headers: Mapping[str, str]
    params: tuple[tuple[str, str], ...]
    data: bytes | None
    label: str
    limit_key: str

    @property
    def path(self) -> str:
        """Return the URL path, for logs and messages (no query string)."""
        return urlsplit(self.url).path


def _encode(
    body: Mapping[str, Any] | None, files: Mapping[str, UploadFile] | None
) -> tuple[bytes | None, str | None]:
    """Return the request body and its content type: multipart for files, else JSON."""
    if files is not None:
        return encode_multipart_formdata(dict(files))
    if body is not None:
        return _json.dumps(dict(body)).encode(), "application/json"
    return None, None


def _is_resource_path(path: str) -> bool:
    """Tell whether ``path`` is safe to append to the base URL.

    Servers and gateways may percent-decode a path (sometimes twice), fold Unicode look-alikes
    and treat ``\\`` as ``/`` before they merge dot segments, so the path is normalised that
    way first: ``%2e%2e``, ``%252e%252e``, ``%2F..%2F`` and fullwidth dots all count as ``..``.
    """
    if not path or any(c in path for c in "?#") or "" in path.split("/"):
        return False
    text = path
    for _ in range(_DECODE_ROUNDS):
        decoded = unquote(text)
        if decoded == text:
            break
        text = decoded
    else:
        return False  # still encoded after several rounds: nothing legitimate looks like that
    text = unicodedata.normalize("NFKC", text)
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        return False
    return not any(part in (".", "..") for part in re.split(r"[/\\]", text))


def _request_id() -> str:
    """Return a random version-4 UUID (hex) to correlate a request's attempts in logs.

    It is no secret, so ``random`` serves: ``uuid.uuid4()`` reads ``os.urandom``, which lets
    go of the GIL and, with pages arriving on several threads, waits to get it back. The bits
    are set as ``uuid.UUID(int=..., version=4)`` sets them, without importing ``uuid`` (and,
    through it, ``platform``) for that alone.
    """
    bits = random.getrandbits(128)
    bits = (bits & ~(0xC000 << 48)) | (0x8000 << 48)  # the RFC 4122 variant
    bits = (bits & ~(0xF000 << 64)) | (4 << 76)  # version 4
    return f"{bits:032x}"


def _check_arguments(client_id: str, max_concurrency: int, timeout: tuple[float, float]) -> None:
    if not client_id:
        raise ConfigurationError("client_id is required: use the id of your Asperion app.")
    if max_concurrency < 1:
        raise ConfigurationError("max_concurrency must be at least 1.")
    if len(timeout) != 2 or not all(t > 0 for t in timeout):
        raise ConfigurationError("timeout must be a (connect, read) pair of positive seconds.")


def _transport(
    given: Transport | BaseAdapter | None,
    ca_bundle: str | None,
    pool_size: int,
    timeout: tuple[float, float],
    max_response_bytes: int,
) -> Transport:
    """Return the transport to send through: the given one, or TLS 1.3 with the CA bundle."""
    if isinstance(given, Transport):
        return given
    return Transport(
        ca_bundle=ca_bundle,
        pool_size=pool_size,
        timeout=timeout,
        adapter=given,
        max_response_bytes=max_response_bytes,
    )


def _rate_limiter(limits: str | None, store: Any) -> RateLimiter | None:
    """Return the client's rate limiter, or None when it has no ``rate_limit``."""
    if limits is None:
        if store is not None:
            raise ConfigurationError("rate_limit_store needs rate_limit, e.g. '10/second'.")
        return None
    return RateLimiter(limits, store)


def _hosts(environment: str, base_url: str | None, identity_url: str | None) -> tuple[str, str]:
    if base_url and identity_url:
        return base_url, identity_url
    if environment not in ENVIRONMENTS:
        raise ConfigurationError(
            f"Unknown environment {environment!r}: use one of {sorted(ENVIRONMENTS)}, or pass "
            "both base_url and identity_url."
        )
    return ENVIRONMENTS[environment]


def _since(started: float) -> float:
    return time.monotonic() - started
