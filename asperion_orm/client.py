"""The public ``Client``: the wire client plus tenants (``client.tenant(id)``) and their list.

A client belongs to one app registration and one authorized user. ``client.tenant(id)``
returns the ``Session`` that sends requests for one administration; ``administrations()``
lists them, paging through the same fetcher as every query.
"""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo
from typing import TYPE_CHECKING, Any

from requests.adapters import BaseAdapter

from asperion_orm.capabilities import Capabilities
from asperion_orm.exceptions import ConfigurationError
from asperion_orm.http.cache import CacheStore
from asperion_orm.http.client import ENVIRONMENTS, HttpClient
from asperion_orm.http.retry import RetryPolicy
from asperion_orm.http.tokens import TokenStore
from asperion_orm.http.transport import (
    DEFAULT_MAX_RESPONSE_BYTES,
    Transport,
    check_header_name,
)
from asperion_orm.session import DEFAULT_TIME_ZONE, AccountSession, Session

if TYPE_CHECKING:
    from asperion_orm.resources.administration import Administration

__all__ = ["ENVIRONMENTS", "Client"]


class Client(HttpClient):
    """One app registration and user: ``authorization_url``, ``fetch_token``, ``tenant(id)``.

    ``environment`` picks the hosts ("production" or "sandbox"); ``base_url`` and
    ``identity_url`` override them (for example for the local emulator). ``capabilities``
    says what the server can do: a ``Capabilities``, or the path of a file written by
    ``asperion probe``. ``tenant_header`` names the header that carries the administration id
    (default: the capabilities' one); ``strict=True`` refuses queries that would be evaluated
    locally. ``transport`` replaces the TLS 1.3 transport (a ``Transport``, or a ``requests``
    adapter serving every request, as in tests). ``max_response_bytes`` (32 MiB) caps an
    answer's body, decompressed: a larger one raises ``ResponseTooLarge`` as soon as it passes
    the limit. ``time_zone`` ("Europe/Amsterdam") is where naive datetimes and date transforms
    such as ``__year`` are taken. ``rate_limit`` ("10/second;600/minute") holds requests to
    the client's own quota per administration, shared through ``rate_limit_store`` (a Redis
    URL or client; default: this process). Secrets never appear in the repr, logs or
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
        tenant_header: str | None = None,
        cache_ttl: float = 60.0,
        cache_store: CacheStore | None = None,
        max_concurrency: int = 8,
        timeout: tuple[float, float] = (5.0, 30.0),
        retry: RetryPolicy | None = None,
        strict: bool = False,
        transport: Transport | BaseAdapter | None = None,
        capabilities: Capabilities | str | os.PathLike[str] | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        time_zone: str | dt.tzinfo = DEFAULT_TIME_ZONE,
        rate_limit: str | None = None,
        rate_limit_store: Any = None,
    ) -> None:
        caps, source = _capabilities(capabilities)
        tenant_header = caps.tenant_header if tenant_header is None else tenant_header
        check_header_name(tenant_header, "tenant_header")
        super().__init__(
            client_id,
            client_secret,
            redirect_uri,
            environment=environment,
            base_url=base_url,
            identity_url=identity_url,
            ca_bundle=ca_bundle,
            allow_http=allow_http,
            token_store=token_store,
            language=language,
            cache_ttl=cache_ttl,
            cache_store=cache_store,
            max_concurrency=max_concurrency,
            timeout=timeout,
            retry=retry,
            transport=transport,
            public_headers=frozenset({tenant_header}),
            max_response_bytes=max_response_bytes,
            rate_limit=rate_limit,
            rate_limit_store=rate_limit_store,
        )
        if caps.base_url is not None and caps.base_url.rstrip("/") != self.base_url:
            raise ConfigurationError(
                f"{source}: key 'base_url' is {caps.base_url!r}, but this client talks to "
                f"{self.base_url!r}; probe this environment with `asperion probe`, or pass the "
                "file made for it."
            )
        self.tenant_header = tenant_header
        self.strict = strict
        self.capabilities = caps
        self.time_zone = _time_zone(time_zone)

    def tenant(self, administration_id: int) -> Session:
        """Return the session for one administration (``with client.tenant(id): ...``)."""
        return Session(self, administration_id)

    def administrations(self) -> list[Administration]:
        """Return every administration the user can reach, as ``Administration`` models."""
        # Imported here: it loads every resource model, which a client does not need until now.
        from asperion_orm.resources.administration import Administration

        account = AccountSession(self)
        return list(Administration.objects.using(account).cache(False))


def _capabilities(
    given: Capabilities | str | os.PathLike[str] | None,
) -> tuple[Capabilities, str]:
    """Return the capabilities to use and where they came from (for messages)."""
    if given is None:
        return Capabilities(), "the default capabilities"
    if isinstance(given, Capabilities):
        return given, "Client(capabilities=...)"
    return Capabilities.load(os.fspath(given)), os.fspath(given)


def _time_zone(value: str | dt.tzinfo) -> dt.tzinfo:
    """Return the client's time zone: a ``tzinfo``, or an IANA name such as "Europe/Amsterdam"."""
    if isinstance(value, dt.tzinfo):
        return value
    if isinstance(value, str):
        try:
            return zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    raise ConfigurationError(
        f"time_zone must be a tzinfo or an IANA zone name such as 'Europe/Amsterdam' or "
        f"'UTC', not {value!r:.60}."
    )
