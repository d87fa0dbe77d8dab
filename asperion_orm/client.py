"""The ``Client``: credentials, OAuth2 tokens, the connection pool, retries and the cache.

A client belongs to one app registration and one authorized user. It knows nothing about
queries or models; ``client.tenant(id)`` returns the ``Session`` that sends requests for one
administration.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests

from . import _json
from ._log import RequestInfo, ResponseInfo, log_attempt, log_retry
from .auth import OAuth
from .cache import CacheStore, MemoryCacheStore, ResponseCache
from .exceptions import (
    AmbiguousWriteError,
    APIError,
    AsperionError,
    ConfigurationError,
    RateLimited,
    TransportError,
    ValidationError,
    error_for_status,
)
from .retry import (
    Attempt,
    RetryPolicy,
    Verdict,
    decide,
    parse_retry_after,
    sent_nothing,
    tls_refused,
)
from .session import Session
from .tokens import MemoryTokenStore, Token, TokenStore
from .transport import Transport, check_url

if TYPE_CHECKING:
    from .resources.administration import Administration

__all__ = ["ENVIRONMENTS", "Client"]

ENVIRONMENTS: dict[str, tuple[str, str]] = {
    "production": ("https://api.asperion.nl/v1", "https://identity.asperion.nl"),
    "sandbox": ("https://api-sandbox.asperion.nl/v1", "https://identity-sandbox.asperion.nl"),
}

_USER_AGENT = "asperion-orm"

_HINTS: dict[int, str] = {
    400: "The request was malformed; check the parameters.",
    401: "The access token was refused even after a refresh; authorize the app again.",
    403: "The user may not reach this administration or resource; check the tenant id and "
    "the user's rights in Asperion.",
    404: "No such object or path; check the id, the path and the administration.",
    405: "This resource does not accept this method (it may be read-only).",
    409: "The object was changed by someone else; reload it and try again.",
    429: "Too many requests; slow down or raise the retry deadline.",
}
_SERVER_HINT = "The Asperion API failed; try again later."


class Client:
    """One app registration and user: ``authorization_url``, ``fetch_token``, ``tenant(id)``.

    ``environment`` picks the hosts ("production" or "sandbox"); ``base_url`` and
    ``identity_url`` override them (for example for the local emulator). Secrets never appear
    in the repr, logs or exceptions.
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
        tenant_header: str = "X-Tenant-Id",
        cache_ttl: float = 60.0,
        cache_store: CacheStore | None = None,
        max_concurrency: int = 8,
        timeout: tuple[float, float] = (5.0, 30.0),
        retry: RetryPolicy | None = None,
        strict: bool = False,
    ) -> None:
        _check_arguments(client_id, max_concurrency, timeout, tenant_header)
        default_base, default_identity = _hosts(environment, base_url, identity_url)
        self.client_id = client_id
        self.environment = environment
        self.base_url = check_url(base_url or default_base, allow_http=allow_http)
        self.identity_url = check_url(identity_url or default_identity, allow_http=allow_http)
        self.language = language
        self.tenant_header = tenant_header
        self.max_concurrency = max_concurrency
        self.strict = strict
        self.retry = retry or RetryPolicy()
        self.token_store: TokenStore = token_store or MemoryTokenStore()
        self.cache = ResponseCache(cache_store or MemoryCacheStore(), cache_ttl)
        self.transport = Transport(ca_bundle=ca_bundle, pool_size=max_concurrency, timeout=timeout)
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
        self._executor_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Client(client_id={self.client_id!r}, base_url={self.base_url!r})"

    def __enter__(self) -> Client:
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
        with self._executor_lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)
                self._executor = None
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

    # -- tenants --------------------------------------------------------------------------

    def tenant(self, administration_id: int) -> Session:
        """Return the session for one administration (``with client.tenant(id): ...``)."""
        return Session(self, administration_id)

    def administrations(self) -> list[Administration]:
        """Return every administration the user can reach, as ``Administration`` models."""
        from .resources.administration import Administration

        rows: list[dict[str, Any]] = []
        for page in range(1, 1000):
            params = [("page", str(page)), ("pageSize", "100")]
            data = self.parse(self.request("GET", "administrations", tenant=None, params=params))
            rows.extend(data.get("_data") or [])
            if not (data.get("_meta") or {}).get("nextPage"):
                break
        return [Administration.from_api(row) for row in rows]

    def cache_scope(self, tenant: int) -> tuple[str | int, ...]:
        """Return who and where a cached response belongs to (everything but the request).

        The user is identified by the grant id of the authorization (kept across refreshes and
        shared through the token store), never by a token.
        """
        return (self.base_url, self.client_id, self.auth.identity(), tenant, self.language)

    @property
    def executor(self) -> ThreadPoolExecutor:
        """Return the client's worker pool, bounded by ``max_concurrency``."""
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(
                    self.max_concurrency, thread_name_prefix="asperion"
                )
            return self._executor

    # -- sending --------------------------------------------------------------------------

    def url(self, path: str) -> str:
        """Return the absolute URL of an API path such as ``debtor/42``."""
        clean = path.strip("/")
        if not clean or any(c in clean for c in "?#\r\n") or ".." in clean.split("/"):
            raise ConfigurationError(
                f"{path!r} is not a resource path; pass query values as params and build paths "
                "with Session.path(...)."
            )
        return f"{self.base_url}/{clean}"

    def request(
        self,
        method: str,
        path: str,
        *,
        tenant: int | None,
        params: Sequence[tuple[str, str]] = (),
        body: Mapping[str, Any] | None = None,
    ) -> requests.Response:
        """Send one logical request with retries, token refresh and error translation."""
        call = _Call(
            method=method,
            url=self.url(path),
            headers=self._headers(tenant, body is not None),
            params=tuple(params),
            data=_json.dumps(dict(body)).encode() if body is not None else None,
            tenant=tenant,
        )

        attempts: list[Attempt] = []

        def send(number: int, seconds_left: float) -> Attempt:
            attempts.append(self._attempt(call, number, seconds_left))
            return attempts[-1]

        def on_retry(attempt: Attempt, delay: float) -> None:
            log_retry(method, call.path, _reason(attempt), delay, attempt.number)

        final = self.retry.run(send, on_retry)
        return self._result(call, final, attempts[:-1])

    def parse(self, response: requests.Response) -> dict[str, Any]:
        """Parse a JSON object body (numbers with a fraction become ``Decimal``)."""
        if not response.content:
            return {}
        try:
            data = _json.loads(response.content)
        except ValueError as exc:
            raise APIError(
                f"{response.request.method} {_path(response.url)} answered {response.status_code} "
                "with a body that is not JSON; check base_url.",
                status_code=response.status_code,
                response=ResponseInfo.from_response(response),
            ) from exc
        if not isinstance(data, dict):
            raise APIError("Expected a JSON object from the API.", status_code=200)
        return data

    def _headers(self, tenant: int | None, has_body: bool) -> dict[str, str]:
        headers = {
            "Accept": "application/json",
            "Accept-Language": self.language,
            "User-Agent": _USER_AGENT,
            "X-Request-Id": _request_id(),
        }
        if has_body:
            headers["Content-Type"] = "application/json"
        if tenant is not None:
            headers[self.tenant_header] = str(tenant)
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
        started = time.monotonic()
        try:
            response = self.transport.send(
                call.method, call.url, headers=headers, params=call.params, data=call.data,
                read_timeout=seconds_left,
            )  # fmt: skip
        except requests.RequestException as exc:
            log_attempt(
                call.method, call.path, type(exc).__name__, _since(started), number, call.tenant
            )
            return None, exc
        log_attempt(
            call.method, call.path, response.status_code, _since(started), number, call.tenant
        )
        return response, None

    def _result(self, call: _Call, final: Attempt, earlier: list[Attempt]) -> requests.Response:
        """Return the final response, or raise the error from the table."""
        if final.verdict is Verdict.DONE and final.response is not None:
            return final.response
        if final.response is not None and _deleted_already(call.method, final, earlier):
            return final.response
        cause: AsperionError
        if final.error is not None:
            cause = _transport_error(call.method, call.url, final.error)
        else:
            assert final.response is not None
            cause = api_error(final.response, self.tenant_header)
        if final.verdict is Verdict.AMBIGUOUS:
            request_id = call.headers.get("X-Request-Id")
            raise AmbiguousWriteError(
                call.method, call.path, request_id, _ambiguity(final)
            ) from cause
        raise cause


@dataclass(frozen=True)
class _Call:
    """One logical request, the same on every attempt (one request id for all of them)."""

    method: str
    url: str
    headers: Mapping[str, str]
    params: tuple[tuple[str, str], ...]
    data: bytes | None
    tenant: int | None

    @property
    def path(self) -> str:
        """Return the URL path, for logs and messages (no query string)."""
        return urlsplit(self.url).path


def api_error(response: requests.Response, tenant_header: str = "X-Tenant-Id") -> AsperionError:
    """Translate an error response through the table; 400 with field errors → ValidationError."""
    body = _body(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    is_write = response.request.method in ("POST", "PUT", "PATCH")
    if response.status_code == 400 and is_write and isinstance(errors, dict) and errors:
        return ValidationError({str(k): _messages(v) for k, v in errors.items()})
    cls = error_for_status(response.status_code)
    allowed = frozenset({tenant_header})
    kwargs: dict[str, Any] = {
        "status_code": response.status_code,
        "request": RequestInfo.from_request(response.request, allowed),
        "response": ResponseInfo.from_response(response, allowed),
        "body": body,
    }
    message = _error_message(response, body)
    if cls is RateLimited:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return RateLimited(message, retry_after=retry_after, **kwargs)
    return cls(message, **kwargs)


def _error_message(response: requests.Response, body: Any) -> str:
    detail = ""
    if isinstance(body, dict):
        detail = str(body.get("detail") or body.get("title") or body.get("message") or "")
        errors = body.get("errors")
        if isinstance(errors, dict) and errors:
            detail = "; ".join(f"{k}: {' '.join(_messages(v))}" for k, v in sorted(errors.items()))
    hint = _HINTS.get(response.status_code, _SERVER_HINT if response.status_code >= 500 else "")
    head = (
        f"{response.request.method} {_path(response.url)} failed with HTTP {response.status_code}"
    )
    return " ".join(part for part in (f"{head}{': ' + detail if detail else '.'}", hint) if part)


def _transport_error(method: str, url: str, error: BaseException) -> TransportError:
    """Translate a transport exception into a ``TransportError`` that says what to do."""
    host = urlsplit(url).netloc
    text = str(error)
    if isinstance(error, requests.exceptions.SSLError) and tls_refused(error):
        message = _tls_message(host, text)
    elif isinstance(error, requests.Timeout):
        message = f"{method} {_path(url)}: {host} did not answer in time ({type(error).__name__})."
    elif isinstance(error, requests.ConnectionError):
        message = f"{method} {_path(url)}: the connection to {host} failed ({_short(text)})."
    else:
        message = f"{method} {_path(url)} failed before an answer arrived ({_short(text)})."
    _scrub_exception(error)
    transport_error = TransportError(message)
    transport_error.__cause__ = error
    return transport_error


def _tls_message(host: str, text: str) -> str:
    lowered = text.lower()
    if "protocol_version" in lowered or "protocol version" in lowered or "unsupported" in lowered:
        return (
            f"TLS handshake with {host} failed: the server does not offer TLS 1.3, the minimum "
            "the Asperion API requires. Check base_url, or a proxy that downgrades TLS."
        )
    if "certificate" in lowered or "verify" in lowered:
        return (
            f"The TLS certificate of {host} could not be verified ({_short(text)}). Pass "
            "Client(ca_bundle=...) with the CA that signed it (for the local emulator: "
            "sandbox.ca_bundle), or check for an intercepting proxy."
        )
    return f"TLS with {host} failed ({_short(text)})."


def _scrub_exception(error: BaseException) -> None:
    """Drop the request/response a requests exception holds: they carry the bearer token."""
    for name in ("request", "response"):
        if hasattr(error, name):
            setattr(error, name, None)


def _deleted_already(method: str, final: Attempt, earlier: list[Attempt]) -> bool:
    """Tell whether a DELETE got 404 after an earlier attempt that may have deleted it."""
    if method != "DELETE" or final.response is None or final.response.status_code != 404:
        return False
    return any(_outcome_unknown(attempt) for attempt in earlier)


def _outcome_unknown(attempt: Attempt) -> bool:
    if attempt.error is not None:
        return not sent_nothing(attempt.error)
    return attempt.response is not None and attempt.response.status_code in (500, 502, 504)


def _request_id() -> str:
    """Return a random version-4 UUID (hex) to correlate a request's attempts in logs.

    It is no secret, so ``random`` serves: ``uuid.uuid4()`` reads ``os.urandom``, which lets
    go of the GIL and, with pages arriving on several threads, waits to get it back.
    """
    return uuid.UUID(int=random.getrandbits(128), version=4).hex


def _check_arguments(
    client_id: str, max_concurrency: int, timeout: tuple[float, float], tenant_header: str
) -> None:
    if not client_id:
        raise ConfigurationError("client_id is required: use the id of your Asperion app.")
    if max_concurrency < 1:
        raise ConfigurationError("max_concurrency must be at least 1.")
    if len(timeout) != 2 or not all(t > 0 for t in timeout):
        raise ConfigurationError("timeout must be a (connect, read) pair of positive seconds.")
    if not tenant_header or any(c in tenant_header for c in ":\r\n "):
        raise ConfigurationError(f"{tenant_header!r} is not a valid header name.")


def _hosts(environment: str, base_url: str | None, identity_url: str | None) -> tuple[str, str]:
    if base_url and identity_url:
        return base_url, identity_url
    if environment not in ENVIRONMENTS:
        raise ConfigurationError(
            f"Unknown environment {environment!r}: use one of {sorted(ENVIRONMENTS)}, or pass "
            "both base_url and identity_url."
        )
    return ENVIRONMENTS[environment]


def _body(response: requests.Response) -> Any:
    try:
        return _json.loads(response.content) if response.content else None
    except ValueError:
        return None


def _messages(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _ambiguity(final: Attempt) -> str:
    if final.response is not None:
        status = final.response.status_code
        return f"the server answered HTTP {status}, which does not tell whether it was applied"
    return f"the connection failed before an answer arrived ({type(final.error).__name__})"


def _reason(attempt: Attempt) -> str:
    if attempt.response is not None:
        return f"HTTP {attempt.response.status_code}"
    return type(attempt.error).__name__


def _path(url: str) -> str:
    return urlsplit(url).path


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _since(started: float) -> float:
    return time.monotonic() - started
