"""Helpers for the contract tests: a plain ``requests`` API client and browser.

The OAuth code flow they walk is in ``support.oauth`` (shared with the emulator tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from asperion_orm import _json
from asperion_orm.testing.sandbox import Sandbox

SMALL = {
    "debtors": 30,
    "creditors": 10,
    "articles": 12,
    "salesinvoiceswithlines": 20,
    "purchaseinvoices": 10,
    "journalentrieswithlines": 15,
    "ledgergrouped": 24,
}


@dataclass
class Api:
    """A tiny API client made of plain requests: bearer token, tenant header, language."""

    sandbox: Sandbox
    token: str
    tenant: int | None = None
    header: str = "X-Tenant-Id"
    language: str | None = None
    http: requests.Session = field(default_factory=requests.Session)

    def url(self, path: str) -> str:
        """Return the absolute URL of an API path such as ``debtors/1``."""
        return path if path.startswith("https://") else f"{self.sandbox.base_url}/{path}"

    def headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """Return the headers every call carries."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if self.tenant is not None:
            headers[self.header] = str(self.tenant)
        if self.language:
            headers["Accept-Language"] = self.language
        headers.update(extra or {})
        return headers

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        body: Any = None,
        data: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send one request, verifying against the sandbox CA on every call."""
        if body is not None:
            data = _json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **(headers or {})}
        return self.http.request(
            method,
            self.url(path),
            params=params,
            data=data,
            headers=self.headers(headers),
            verify=self.sandbox.ca_bundle,
            timeout=30,
        )

    def get(self, path: str, params: Any = None, **kw: Any) -> requests.Response:
        """GET."""
        return self.call("GET", path, params=params, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        """POST a JSON body."""
        return self.call("POST", path, body=body, **kw)

    def put(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        """PUT a JSON body."""
        return self.call("PUT", path, body=body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> requests.Response:
        """PATCH a JSON body."""
        return self.call("PATCH", path, body=body, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        """DELETE."""
        return self.call("DELETE", path, **kw)

    def rows(self, path: str, params: Any = None) -> list[dict[str, Any]]:
        """Return ``_data`` of a list call that must succeed."""
        response = self.get(path, params)
        assert response.status_code == 200, response.text
        return body(response)["_data"]

    def all_rows(self, path: str, params: list[tuple[str, str]] | None = None) -> list[Any]:
        """Follow nextPage links and return every row."""
        url: str | None = path
        query: Any = [*(params or []), ("pageSize", "100")]
        found: list[Any] = []
        while url:
            page = body(self.get(url, query))
            found.extend(page["_data"])
            url, query = page["_meta"]["nextPage"], None
        return found

    def using(self, **changes: Any) -> Api:
        """Return a copy with other settings (tenant, header, language, token)."""
        values = {
            "sandbox": self.sandbox,
            "token": self.token,
            "tenant": self.tenant,
            "header": self.header,
            "language": self.language,
            "http": self.http,
        }
        values.update(changes)
        return Api(**values)


def body(response: requests.Response) -> Any:
    """Parse a response body with Decimal for fractions."""
    return _json.loads(response.content)


def browser(sandbox: Sandbox) -> requests.Session:
    """Return a session that acts as the user's browser (no redirects followed by default)."""
    session = requests.Session()
    session.trust_env = False
    return session


def redirect_query(response: requests.Response) -> dict[str, str]:
    """Return the query of a 302 redirect as a flat dict."""
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    return {key: values[0] for key, values in query.items()}
