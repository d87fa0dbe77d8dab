"""Fixtures for the serving tests: a tiny WSGI app behind the sandbox middleware and server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from urllib.parse import urlencode

import pytest
import requests

from asperion_orm.testing.emulator.middleware import SandboxMiddleware
from asperion_orm.testing.emulator.server import HTTPSServer
from asperion_orm.testing.sandbox import Sandbox


class TinyApp:
    """A WSGI app with a list of rows: GET lists them, POST appends the body."""

    def __init__(self) -> None:
        self.rows: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, object], start_response: object) -> Iterable[bytes]:
        if environ["REQUEST_METHOD"] == "POST":
            length = environ.get("CONTENT_LENGTH")
            size = int(str(length)) if length else None  # None: a chunked body, read it all
            body = environ["wsgi.input"].read(size).decode()  # type: ignore[attr-defined]
            with self.lock:
                self.rows.append(body)
            status = "201 Created"
        else:
            status = "200 OK"
        environ["asperion.tenant"] = 42
        payload = json.dumps({"rows": self.rows}).encode()
        start_response(  # type: ignore[operator]
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
        )
        return [payload]


@pytest.fixture
def tiny_app() -> TinyApp:
    return TinyApp()


@pytest.fixture
def middleware(tiny_app: TinyApp) -> SandboxMiddleware:
    return SandboxMiddleware(tiny_app)


@pytest.fixture
def server(middleware: SandboxMiddleware) -> Iterator[HTTPSServer]:
    srv = HTTPSServer(middleware, threads=8)
    srv.start()
    try:
        yield srv
    finally:
        middleware.close()  # cut short injected delays so the server stops at once
        srv.stop()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    """A keep-alive session that ignores REQUESTS_CA_BUNDLE and proxies (pass verify=...)."""
    with requests.Session() as session:
        session.trust_env = False
        yield session


def login(sandbox: Sandbox, http: requests.Session) -> dict[str, object]:
    """Run the code flow with plain requests; return the token response."""
    query = {
        "client_id": sandbox.client_id,
        "redirect_uri": sandbox.redirect_uri,
        "response_type": "code",
        "scope": "asperion-api offline_access",
        "state": "s-1",
    }
    code = sandbox.authorize(f"{sandbox.identity_url}/connect/authorize?{urlencode(query)}", "s-1")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": sandbox.redirect_uri,
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
    }
    response = http.post(
        f"{sandbox.identity_url}/connect/token", data=form, verify=sandbox.ca_bundle, timeout=10
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.fixture
def api(asperion_sandbox: Sandbox, http: requests.Session) -> requests.Session:
    """A keep-alive session carrying a fresh access token for the session sandbox."""
    http.headers["Authorization"] = f"Bearer {login(asperion_sandbox, http)['access_token']}"
    return http
