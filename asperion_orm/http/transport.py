"""The HTTP transport: one ``requests.Session`` with a TLS-1.3 adapter, and URL checks.

Certificate verification comes only from the adapter's own ``SSLContext`` (the configured CA
bundle, else the system store). ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` and ``verify=``
cannot change it, so a process-wide setting never decides whom the client trusts. The adapter
never retries by itself (``max_retries=0``): the retry policy decides.
"""

from __future__ import annotations

import ipaddress
import re
import ssl
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter

from asperion_orm.exceptions import ConfigurationError

__all__ = [
    "RESERVED_HEADERS",
    "TLSAdapter",
    "Transport",
    "check_header_name",
    "check_language",
    "check_url",
    "tls_context",
]

Timeout = tuple[float, float]

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
    """

    def __init__(
        self,
        *,
        ca_bundle: str | None = None,
        pool_size: int = 10,
        timeout: Timeout = (5.0, 30.0),
        adapter: BaseAdapter | None = None,
    ) -> None:
        self.timeout = timeout
        self.session = requests.Session()
        # Environment settings (proxies, netrc credentials, CA bundles) must not leak in.
        self.session.trust_env = False
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
        read_timeout: float | None = None,
    ) -> requests.Response:
        """Send one request without following redirects (a redirect would carry the token)."""
        connect, read = self.timeout
        if read_timeout is not None:
            read = max(0.001, min(read, read_timeout))
        return self.session.request(
            method,
            url,
            params=list(params),
            data=data,
            headers=dict(headers),
            timeout=(connect, read),
            allow_redirects=False,
        )

    def close(self) -> None:
        """Close every pooled connection."""
        self.session.close()
