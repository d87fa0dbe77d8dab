"""The three ways of reading the API that the benchmarks compare.

(a) the ORM, through an ``asperion_orm.Client``; (b) ``PlainClient``, the loop a user writes
with ``requests`` alone: page by page, one after another, on one keep-alive connection; (c)
``TunedClient``, a hand-tuned ``requests`` client: the largest page size, a thread pool that
fetches the pages after the first at once, pooled keep-alive connections.

``REQUESTS_CA_BUNDLE`` may be set in the environment and would override ``Session.verify``, so
both ``requests`` clients pass ``verify=`` on every request.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from asperion_orm import Client

__all__ = ["PAGE_SIZE", "THREADS", "PlainClient", "TunedClient", "orm_client"]

PAGE_SIZE = 100
STALE = Retry(total=1, connect=1, read=1, status=0, other=0, allowed_methods={"GET"})
"""Retry a GET once when its pooled connection turns out closed; nothing else."""
THREADS = 8
Params = Sequence[tuple[str, str]]
Row = dict[str, Any]


def orm_client(info: Mapping[str, Any], **kwargs: Any) -> Client:
    """Return an ORM client authorized through the emulator's code flow."""
    client = Client(
        info["client_id"],
        info["client_secret"],
        info["redirect_uri"],
        base_url=info["base_url"],
        identity_url=info["identity_url"],
        ca_bundle=info["ca_bundle"],
        **kwargs,
    )
    state = secrets.token_urlsafe(16)
    client.fetch_token(code=_authorize(client.authorization_url(state=state), info), state=state)
    return client


def _authorize(url: str, info: Mapping[str, Any]) -> str:
    """Follow the authorization URL as the (auto-approving) sandbox user; return the code."""
    response = requests.get(url, verify=info["ca_bundle"], allow_redirects=False, timeout=10)
    location = response.headers["Location"]
    return parse_qs(urlsplit(location).query)["code"][0]


class PlainClient:
    """(b) The loop a user writes without the library: sequential pages, one connection."""

    def __init__(self, info: Mapping[str, Any], token: str, tenant: int) -> None:
        self.base_url = info["base_url"]
        self.verify = info["ca_bundle"]
        self.http = requests.Session()
        self.http.trust_env = False  # no proxies from the environment; verify= is passed anyway
        # A kept-alive connection the server closed while idle (the emulator closes them after
        # its idle timeout, as most servers do) is opened again once, as any long-running
        # client must; it costs nothing while connections stay open.
        self.http.mount("https://", HTTPAdapter(max_retries=STALE))
        self.http.headers.update(_headers(token, tenant))

    def close(self) -> None:
        """Close the connection."""
        self.http.close()

    def get(self, path: str, params: Params = ()) -> Row:
        """GET one URL and return its JSON body."""
        response = self.http.get(
            f"{self.base_url}/{path}", params=list(params), verify=self.verify, timeout=30
        )
        response.raise_for_status()
        body: Row = response.json()
        return body

    def rows(self, path: str, params: Params = (), page_size: int = PAGE_SIZE) -> Iterator[Row]:
        """Yield every row of a list, asking for one page after the other."""
        page = 1
        while True:
            body = self.get(path, [*params, ("page", str(page)), ("pageSize", str(page_size))])
            yield from body["_data"]
            if not body["_meta"]["nextPage"]:
                return
            page += 1

    def get_all(self, path: str, calls: Sequence[Params]) -> Iterator[Row]:
        """Send GETs one after the other; yield their bodies."""
        return (self.get(path, call) for call in calls)


class TunedClient(PlainClient):
    """(c) A hand-tuned client: page size 100, the remaining pages fetched by a thread pool.

    ``threads`` (8 unless a scenario says otherwise) is the ORM's ``max_concurrency``.
    """

    def __init__(
        self, info: Mapping[str, Any], token: str, tenant: int, threads: int = THREADS
    ) -> None:
        super().__init__(info, token, tenant)
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=threads, max_retries=STALE)
        self.http.mount("https://", adapter)
        self.pool = ThreadPoolExecutor(threads)

    def close(self) -> None:
        """Stop the threads and close the connections."""
        self.pool.shutdown()
        super().close()

    def rows(self, path: str, params: Params = (), page_size: int = PAGE_SIZE) -> Iterator[Row]:
        """Yield every row: page 1 first, then all other pages concurrently, in order."""
        first = self.get(path, [*params, ("page", "1"), ("pageSize", str(page_size))])
        yield from first["_data"]
        pages = math.ceil(int(first["_meta"]["totalCount"]) / page_size)
        size = str(page_size)
        calls = [[*params, ("page", str(n)), ("pageSize", size)] for n in range(2, pages + 1)]
        for body in self.get_all(path, calls):
            yield from body["_data"]

    def get_all(self, path: str, calls: Sequence[Params]) -> Iterator[Row]:
        """Send independent GETs concurrently; yield their bodies in order."""
        return self.pool.map(lambda call: self.get(path, call), calls)


def _headers(token: str, tenant: int) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "X-Tenant-Id": str(tenant),
        "Accept": "application/json",
    }
