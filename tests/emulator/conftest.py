"""Fixtures for the serving tests: a tiny WSGI app behind the sandbox middleware and server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator

import pytest
import requests

from asperion_orm.testing.emulator.middleware import SandboxMiddleware
from asperion_orm.testing.emulator.server import HTTPSServer
from asperion_orm.testing.sandbox import Sandbox

from support.oauth import code_flow


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


@pytest.fixture
def authorized_http(asperion_sandbox: Sandbox, http: requests.Session) -> requests.Session:
    """Return ``http`` carrying a fresh access token for the session's sandbox."""
    tokens = code_flow(asperion_sandbox, http=http)
    http.headers["Authorization"] = f"Bearer {tokens['access_token']}"
    return http


@pytest.fixture
def sandbox_tenant(asperion_sandbox: Sandbox) -> int:
    """Return a fresh administration of the sandbox user (``asperion_tenant``: the test user's)."""
    return asperion_sandbox.add_administration(records={"debtors": 20})
