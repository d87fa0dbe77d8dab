"""The HTTP transport: one ``requests.Session`` with a TLS-1.3 adapter, and URL checks.

Certificate verification comes only from the adapter's own ``SSLContext`` (the configured CA
bundle, else the system store). ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` and ``verify=``
cannot change it, so a process-wide setting never decides whom the client trusts. The adapter
never retries by itself (``max_retries=0``): the retry policy decides.

Every answer's body is read as it arrives, chunk by chunk, against the request's total
deadline and ``max_response_bytes`` (counted after decompression): a server that drips its
body cannot hold a call past its deadline, and a huge or decompression-bomb body is refused
before it is held whole.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import ssl
import time
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
import urllib3.exceptions
from requests.adapters import BaseAdapter, HTTPAdapter
from requests.structures import CaseInsensitiveDict

from asperion_orm.exceptions import ConfigurationError
from asperion_orm.http.errors import too_large

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "RESERVED_HEADERS",
    "BodyTimeout",
    "TLSAdapter",
    "Transport",
    "check_header_name",
    "check_language",
    "check_max_response_bytes",
    "check_url",
    "request_timeout",
    "tls_context",
]

Timeout = tuple[float, float]

DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024
"""The largest body a client reads by default: far above any page of the API (32 MiB)."""
_CHUNK = 64 * 1024

# Headers the client, requests or HTTP itself sets: a configurable header must not replace them.
RESERVED_HEADERS = frozenset(
    {
        "accept", "accept-encoding", "accept-language", "authorization", "connection",
        "content-encoding", "content-length", "content-type", "cookie", "expect", "forwarded",
        "host", "keep-alive", "proxy-authorization", "proxy-connection", "te", "trailer",
        "transfer-encoding", "upgrade", "user-agent", "x-forwarded-for", "x-forwarded-host",
        "x-forwarded-proto", "x-http-method-override", "x-request-id",
    }
)  # fmt: skip
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # a header name (RFC 9110 token)
_RANGE = r"(?:\*|[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)(?:[ \t]*;[ \t]*q=[01](?:\.[0-9]{0,3})?)?"
_ACCEPT_LANGUAGE = re.compile(rf"{_RANGE}(?:[ \t]*,[ \t]*{_RANGE})*")


def tls_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """Return a verifying client context that refuses anything older than TLS 1.3."""
    context = ssl.create_default_context(cafile=ca_bundle)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    return context


class TLSAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose connections use one ``SSLContext`` and nothing else."""

    def __init__(self, ssl_context: ssl.SSLContext, pool_maxsize: int = 10) -> None:
        self._ssl_context = ssl_context
        super().__init__(pool_connections=4, pool_maxsize=pool_maxsize, max_retries=0)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        """Create the pool manager with this adapter's context."""
        pool_kwargs["ssl_context"] = self._ssl_context
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        """Create proxy managers with this adapter's context too."""
        proxy_kwargs["ssl_context"] = self._ssl_context
        return super().proxy_manager_for(proxy, **proxy_kwargs)

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        """Require verification against the context's CAs only (no bundle path is loaded)."""
        conn.cert_reqs = "CERT_REQUIRED" if url.lower().startswith("https") else "CERT_NONE"
        conn.ca_certs = None
        conn.ca_cert_dir = None

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send with verification on, whatever ``verify`` the caller or environment passed."""
        if timeout is None:
            raise ConfigurationError("every request needs a (connect, read) timeout")
        return super().send(request, stream, timeout, True, cert, dict(proxies or {}))


def check_header_name(name: str, argument: str) -> str:
    """Return ``name`` if it can name a header of the client's own, else raise.

    It must be a plain header name, and none the client or HTTP sets itself (``Host``,
    ``Authorization``, ...), which it would silently replace.
    """
    if not isinstance(name, str) or not _TOKEN.fullmatch(name):
        raise ConfigurationError(
            f"{argument}={name!r} is not a valid header name: use letters, digits and '-', "
            "for example 'X-Tenant-Id'."
        )
    if name.lower() in RESERVED_HEADERS:
        raise ConfigurationError(
            f"{argument}={name!r} would replace a header the client or HTTP sets itself; use "
            "the header the API names, for example 'X-Tenant-Id'."
        )
    return name


def check_language(language: str) -> str:
    """Return ``language`` if it is an ``Accept-Language`` value ("nl-NL", "nl, en;q=0.5")."""
    if not isinstance(language, str) or not _ACCEPT_LANGUAGE.fullmatch(language):
        raise ConfigurationError(
            f"language={language!r} is not a language tag: use one such as 'en-US' or 'nl-NL'."
        )
    return language


def check_max_response_bytes(limit: int) -> int:
    """Return ``limit`` if it is a positive number of bytes, else raise."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ConfigurationError(
            f"max_response_bytes={limit!r}: use a positive number of bytes, such as "
            f"{DEFAULT_MAX_RESPONSE_BYTES} (the default)."
        )
    return limit


def request_timeout(timeout: Timeout, seconds_left: float | None) -> urllib3.Timeout:
    """Return the timeouts of one request: ``(connect, read)``, all within ``seconds_left``.

    ``seconds_left`` (the rest of the call's deadline) bounds the whole request, its body
    included; without it the whole request gets ``connect + read``.
    """
    connect, read = timeout
    if seconds_left is None:
        return urllib3.Timeout(connect=connect, read=read, total=connect + read)
    total = max(0.001, seconds_left)
    return urllib3.Timeout(connect=connect, read=min(read, total), total=total)


class BodyTimeout(requests.exceptions.ReadTimeout):
    """The body of an answer did not arrive in full within the request's deadline.

    It is a read timeout to the retry policy: a GET may be retried, a write is ambiguous.
    """


def check_url(url: str, *, allow_http: bool = False) -> str:
    """Return ``url`` without a trailing slash, refusing anything but HTTPS (or loopback HTTP)."""
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        raise ConfigurationError(
            f"{url!r} contains whitespace or a control character; pass the plain URL."
        )
    parts = urlsplit(url)
    if not parts.hostname or parts.scheme not in ("https", "http"):
        raise ConfigurationError(f"{url!r} is not an absolute https:// URL.")
    if parts.scheme == "http" and not (allow_http and _is_loopback(parts.hostname)):
        raise ConfigurationError(
            f"{url!r} uses plain HTTP; the Asperion API requires HTTPS (TLS 1.3). Plain HTTP is "
            "only allowed for a local emulator on a loopback address with allow_http=True."
        )
    return url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Transport:
    """One ``requests.Session`` for a client: pooled, TLS 1.3, timeouts on every request.

    ``adapter`` replaces the TLS adapter for every URL: a ``requests`` adapter that answers
    from elsewhere (a test double, a recording); it then owns verification and retries.
    Every answer through ``session``, the token endpoint's too, is read within its deadline
    and ``max_response_bytes``.
    """

    def __init__(
        self,
        *,
        ca_bundle: str | None = None,
        pool_size: int = 10,
        timeout: Timeout = (5.0, 30.0),
        adapter: BaseAdapter | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self.timeout = timeout
        self.max_response_bytes = check_max_response_bytes(max_response_bytes)
        self.session = requests.Session()
        # Environment settings (proxies, netrc credentials, CA bundles) must not leak in.
        self.session.trust_env = False
        # Runs before requests reads the body itself (stream or not): the hook reads it.
        self.session.hooks["response"].append(self._read_body)
        if adapter is not None:  # one adapter serves everything (tests, a custom stack)
            self.session.mount("https://", adapter)
            self.session.mount("http://", adapter)
            return
        self.session.mount("https://", TLSAdapter(tls_context(ca_bundle), pool_size))
        self.session.mount("http://", HTTPAdapter(pool_maxsize=pool_size, max_retries=0))

    def send(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        params: Sequence[tuple[str, str]] = (),
        data: str | bytes | None = None,
        seconds_left: float | None = None,
    ) -> requests.Response:
        """Send one request without following redirects (a redirect would carry the token).

        ``seconds_left`` bounds the whole request, the reading of its body included.

        The request goes straight to the adapter mounted for its URL, prepared as
        ``requests`` prepares it (URL and parameter encoding, the session's default headers
        under ours, header checks, body length). The rest of ``Session.request`` costs a
        fifth of a 100-row page's CPU and does nothing here: it merges environment settings
        (``trust_env`` is off) and cookies (the API authenticates by bearer token; a cookie
        the login pages set has no business on API requests), and runs the hooks, of which
        the session's own reads the body, as ``_read_body`` does below.
        """
        request = requests.PreparedRequest()
        request.prepare_method(method)
        request.prepare_url(url, list(params))
        merged = CaseInsensitiveDict(self.session.headers)  # Accept-Encoding, Connection...
        merged.update(headers)
        request.prepare_headers(merged)
        request.prepare_body(data, None)
        request.hooks = {"response": []}
        timeout = request_timeout(self.timeout, seconds_left)
        adapter = self.session.get_adapter(request.url or url)
        started = time.perf_counter()
        # requests hands a urllib3 Timeout to urllib3 as it is (its stubs only name tuples).
        response = adapter.send(
            request,
            stream=False,
            timeout=timeout,  # type: ignore[arg-type]
            verify=True,
            cert=None,
            proxies={},
        )
        response.elapsed = dt.timedelta(seconds=time.perf_counter() - started)
        return self._read_body(response, timeout=timeout)

    def close(self) -> None:
        """Close every pooled connection."""
        self.session.close()

    def _read_body(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        """Read the body of ``response`` within its deadline and the size limit (a hook)."""
        timeout = kwargs.get("timeout")
        if not isinstance(timeout, urllib3.Timeout):
            timeout = request_timeout(self.timeout, None)
        total = timeout.total if isinstance(timeout.total, int | float) else sum(self.timeout)
        read = timeout.read_timeout if isinstance(timeout.read_timeout, int | float) else total
        deadline = time.monotonic() - response.elapsed.total_seconds() + total
        try:
            body = _BodyReader(response, deadline, total, read, self.max_response_bytes).read()
        except BaseException:
            response.close()  # the connection is mid-answer: it cannot be reused
            raise
        # What requests does once it has read a body: keep it and mark the stream consumed.
        response._content = body
        response._content_consumed = True  # type: ignore[attr-defined]
        return response


class _BodyReader:
    """Read one answer's body in chunks, against a deadline and a limit on decoded bytes."""

    def __init__(
        self, response: requests.Response, deadline: float, total: float, read: float, limit: int
    ) -> None:
        self.response = response
        self.deadline = deadline
        self.total = total
        self.read_timeout = read
        self.limit = limit

    def read(self) -> bytes:
        """Return the whole (decoded) body, or raise ``BodyTimeout`` or ``ResponseTooLarge``."""
        raw = self.response.raw
        if not isinstance(raw, urllib3.BaseHTTPResponse):  # a test double, a recording
            return self._checked(self.response.content)
        declared = self.response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.limit:
            raise too_large(self.response, self.limit)
        chunks: list[bytes] = []
        size = 0
        while chunk := self._chunk(raw):
            size += len(chunk)
            if size > self.limit:
                raise too_large(self.response, self.limit)
            chunks.append(chunk)
        return b"".join(chunks)

    def _checked(self, body: bytes) -> bytes:
        if len(body) > self.limit:
            raise too_large(self.response, self.limit)
        return body

    def _chunk(self, raw: Any) -> bytes:
        """Return the next decoded chunk (``b""`` at the end); never wait past the deadline."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise self._too_slow()
        # One socket read waits at most the read timeout, and never past the deadline.
        sock = getattr(getattr(raw, "connection", None), "sock", None)
        if sock is not None:
            sock.settimeout(max(0.001, min(self.read_timeout, left)))
        try:
            chunk: bytes = raw.read1(_CHUNK, decode_content=True)
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise (
                self._too_slow() if self.deadline <= time.monotonic() else requests.ReadTimeout(exc)
            ) from exc
        except urllib3.exceptions.SSLError as exc:
            raise requests.exceptions.SSLError(exc) from exc
        except urllib3.exceptions.DecodeError as exc:
            raise requests.exceptions.ContentDecodingError(exc) from exc
        except urllib3.exceptions.HTTPError as exc:  # the connection broke mid-body
            raise requests.exceptions.ChunkedEncodingError(exc) from exc
        return chunk

    def _too_slow(self) -> BodyTimeout:
        return BodyTimeout(
            f"the answer did not arrive in full within the request's deadline ({self.total:g} s)"
        )
