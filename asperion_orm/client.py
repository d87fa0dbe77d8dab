"""The public ``Client``: the wire client plus tenants (``client.tenant(id)``) and their list.

A client belongs to one app registration and one authorized user. ``client.tenant(id)``
returns the ``Session`` that sends requests for one administration; ``administrations()``
lists them, paging through the same fetcher as every query.
"""

from __future__ import annotations

from requests.adapters import BaseAdapter

from asperion_orm.exceptions import ConfigurationError
from asperion_orm.http.cache import CacheStore
from asperion_orm.http.client import ENVIRONMENTS, HttpClient
from asperion_orm.http.retry import RetryPolicy
from asperion_orm.http.tokens import TokenStore
from asperion_orm.http.transport import Transport
from asperion_orm.resources.administration import Administration
from asperion_orm.session import AccountSession, Session

__all__ = ["ENVIRONMENTS", "Client"]


class Client(HttpClient):
    """One app registration and user: ``authorization_url``, ``fetch_token``, ``tenant(id)``.

    ``environment`` picks the hosts ("production" or "sandbox"); ``base_url`` and
    ``identity_url`` override them (for example for the local emulator). ``tenant_header``
    names the header that carries the administration id; ``strict=True`` refuses queries
    that would be evaluated locally. ``transport`` replaces the TLS 1.3 transport (a
    ``Transport``, or a ``requests`` adapter serving every request, as in tests). Secrets
    never appear in the repr, logs or exceptions.
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
        transport: Transport | BaseAdapter | None = None,
    ) -> None:
        if not tenant_header or any(c in tenant_header for c in ":\r\n "):
            raise ConfigurationError(f"{tenant_header!r} is not a valid header name.")
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
        )
        self.tenant_header = tenant_header
        self.strict = strict

    def tenant(self, administration_id: int) -> Session:
        """Return the session for one administration (``with client.tenant(id): ...``)."""
        return Session(self, administration_id)

    def administrations(self) -> list[Administration]:
        """Return every administration the user can reach, as ``Administration`` models."""
        account = AccountSession(self)
        return list(Administration.objects.using(account).cache(False))
