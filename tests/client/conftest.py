"""Fixtures for the client tests: a fake transport for unit tests, the sandbox for the rest.

Every test here runs with all loggers at DEBUG; afterwards the captured logs and output are
searched for every secret the test handled (client secret, password, codes, tokens).
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import urllib3.exceptions
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from asperion_orm import Client, MemoryTokenStore, RetryPolicy, Token
from asperion_orm.testing.plugin import SMALL_RECORDS

# -- secrets: every test registers what it must never see in a log ------------------------


class SecretRegistry:
    """The secret values one test handled."""

    def __init__(self) -> None:
        self.values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, *values: str | None) -> None:
        """Remember values (ignoring empty ones)."""
        with self._lock:
            self.values.update(v for v in values if v)

    def add_token(self, token: Token | None) -> None:
        """Remember both halves of a token."""
        if token is not None:
            self.add(token.access_token, token.refresh_token)


class RecordingTokenStore(MemoryTokenStore):
    """A memory store that registers every token it is given as a secret."""

    def __init__(self, registry: SecretRegistry) -> None:
        super().__init__()
        self.registry = registry
        self.saves = 0

    def save(self, token: Token | None) -> None:
        """Register, then store."""
        self.registry.add_token(token)
        self.saves += 1
        super().save(token)


@pytest.fixture
def secrets_seen() -> SecretRegistry:
    """Return this test's secret registry."""
    return SecretRegistry()


@pytest.fixture(autouse=True)
def _no_secret_in_logs(
    secrets_seen: SecretRegistry,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[None]:
    """Run at DEBUG everywhere; fail if any registered secret reached logs or output."""
    caplog.set_level(logging.DEBUG)
    for name in ("asperion_orm", "urllib3", "authlib", "requests"):
        caplog.set_level(logging.DEBUG, logger=name)
    yield
    out, err = capsys.readouterr()
    records = [r for phase in ("setup", "call") for r in caplog.get_records(phase)]
    text = "\n".join([out, err, *(_render(r) for r in records)])
    leaked = sorted(s for s in secrets_seen.values if s in text)
    assert not leaked, f"{len(leaked)} secret value(s) found in captured logs/output"


def _render(record: logging.LogRecord) -> str:
    """Return everything a handler could print for a record: message, args, traceback."""
    parts = [record.getMessage(), repr(record.args)]
    if record.exc_info:
        parts.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(parts)


# -- a fake transport for unit tests ------------------------------------------------------


@dataclass
class Reply:
    """A canned answer: status, JSON body (or raw text, or raw bytes), headers."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    text: str | None = None
    content: bytes | None = None


Handler = Callable[[requests.PreparedRequest], "Reply | BaseException"]


class FakeServer(BaseAdapter):
    """A ``requests`` adapter that answers from Python: token endpoint plus scripted routes."""

    def __init__(self, registry: SecretRegistry) -> None:
        super().__init__()
        self.registry = registry
        self.requests: list[requests.PreparedRequest] = []
        self.kwargs: list[dict[str, Any]] = []
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.concurrent: set[Handler] = set()
        self.script: list[Reply | BaseException] = []
        self.lock = threading.Lock()
        self.issued = 0
        self.live_refresh: set[str] = set()
        self.live_access: set[str] = set()
        self.lifetime = 3600
        self.route("POST", r"/connect/token", self._token)
        self.route("*", r"/v1/.*", self._default_api)

    def route(
        self, method: str, pattern: str, handler: Handler, *, concurrent: bool = False
    ) -> None:
        """Answer ``method`` requests whose path matches ``pattern`` (newest route wins).

        Handlers answer one request at a time, unless ``concurrent`` (then they lock for
        themselves).
        """
        self.routes.insert(0, (method, re.compile(pattern), handler))
        if concurrent:
            self.concurrent.add(handler)

    def then(self, *replies: Reply | BaseException) -> None:
        """Queue answers for the next API requests, before the routes apply."""
        self.script.extend(replies)

    def api_requests(self) -> list[requests.PreparedRequest]:
        """Return the requests sent to ``/v1``."""
        return [r for r in self.requests if "/v1/" in str(r.url)]

    def token_requests(self) -> list[requests.PreparedRequest]:
        """Return the requests sent to the token endpoint."""
        return [r for r in self.requests if str(r.url).endswith("/connect/token")]

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Record the request and answer it."""
        with self.lock:
            self.requests.append(request)
            self.kwargs.append(kwargs)
            reply = self._answer(request)
        if callable(reply):  # a concurrent handler
            reply = reply(request)
        if isinstance(reply, BaseException):
            raise reply
        return _response(request, reply)

    def close(self) -> None:
        """Nothing to close."""

    def _answer(self, request: requests.PreparedRequest) -> Reply | BaseException | Handler:
        """Return the answer, or the handler to call outside the lock."""
        path = urlsplit(str(request.url)).path
        if self.script and path.startswith("/v1/"):
            return self.script.pop(0)
        for method, pattern, handler in self.routes:
            if method in ("*", request.method) and pattern.fullmatch(path):
                return handler if handler in self.concurrent else handler(request)
        return Reply(404, {"title": "Not Found"})

    def _token(self, request: requests.PreparedRequest) -> Reply:
        form = {k: v[0] for k, v in parse_qs(str(request.body or "")).items()}
        if form.get("grant_type") == "refresh_token":
            if form.get("refresh_token") not in self.live_refresh:
                return Reply(400, {"error": "invalid_grant"})
            self.live_refresh.discard(form["refresh_token"])
        self.issued += 1
        access, refresh = f"access-{self.issued}-secret", f"refresh-{self.issued}-secret"
        self.registry.add(access, refresh, form.get("code"), form.get("code_verifier"))
        self.live_refresh.add(refresh)
        self.live_access.add(access)
        body = {
            "access_token": access,
            "refresh_token": refresh,
            "expires_in": self.lifetime,
            "token_type": "Bearer",
        }
        return Reply(200, body)

    def _default_api(self, request: requests.PreparedRequest) -> Reply:
        tenant = request.headers.get("X-Tenant-Id") or request.headers.get("X-TenantId")
        meta = {"administrationId": int(tenant) if tenant else 1}
        return Reply(200, {"_data": [], "_meta": meta})


def _response(request: requests.PreparedRequest, reply: Reply) -> requests.Response:
    response = requests.Response()
    response.status_code = reply.status
    response.reason = "Fake"
    response.headers = CaseInsensitiveDict(reply.headers)
    text = reply.text if reply.text is not None else json.dumps(reply.body)
    response._content = text.encode() if reply.body is not None or reply.text else b""
    if reply.content is not None:
        response._content = reply.content
    response.request = request
    response.url = str(request.url)
    response.encoding = "utf-8"
    return response


def refused() -> requests.ConnectionError:
    """Return the error ``requests`` raises when the server refuses the connection."""
    reason = urllib3.exceptions.NewConnectionError(None, "Connection refused")  # type: ignore[arg-type]
    return requests.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/", reason))  # type: ignore[arg-type]


def reset() -> requests.ConnectionError:
    """Return the error ``requests`` raises when the server resets the connection mid-request."""
    return requests.ConnectionError(
        urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104))
    )


@dataclass
class FakeClock:
    """A monotonic clock that only moves when slept on."""

    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        """Record a sleep and advance."""
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake(secrets_seen: SecretRegistry) -> FakeServer:
    """Return a fake server (mount it on a client with ``make_client``)."""
    return FakeServer(secrets_seen)


@pytest.fixture
def clock() -> FakeClock:
    """Return a fake clock for retry policies."""
    return FakeClock()


CLIENT_SECRET = "client-secret-value-xyz"


@pytest.fixture
def make_client(
    fake: FakeServer, clock: FakeClock, secrets_seen: SecretRegistry
) -> Callable[..., Client]:
    """Return a factory of clients wired to the fake server and authorized."""
    secrets_seen.add(CLIENT_SECRET)

    def factory(authorize: bool = True, **kwargs: Any) -> Client:
        kwargs.setdefault("retry", RetryPolicy(sleep=clock.sleep, clock=clock, random=lambda: 0.5))
        kwargs.setdefault("token_store", RecordingTokenStore(secrets_seen))
        client = Client(
            "fake-app",
            CLIENT_SECRET,
            "http://127.0.0.1:8765/callback",
            base_url="https://api.test/v1",
            identity_url="https://id.test",
            transport=fake,
            **kwargs,
        )
        if authorize:
            client.authorization_url(state="s1")
            secrets_seen.add("code-value-123")
            client.fetch_token(code="code-value-123", state="s1")
        return client

    return factory


# -- the sandbox ------------------------------------------------------------------------


@pytest.fixture
def sandbox_client(
    asperion_sandbox: Any, secrets_seen: SecretRegistry
) -> Iterator[Callable[..., Client]]:
    """Return a factory of clients authorized against the sandbox through the code flow.

    Unlike ``asperion_sandbox.client()``, it records the authorization code and every token
    as secrets, and retries wait for nothing.
    """
    sandbox = asperion_sandbox
    secrets_seen.add(sandbox.client_secret, sandbox.password)
    clients: list[Client] = []

    def factory(**kwargs: Any) -> Client:
        kwargs.setdefault("retry", RetryPolicy(sleep=lambda seconds: None))
        kwargs.setdefault("token_store", RecordingTokenStore(secrets_seen))
        client = Client(
            sandbox.client_id,
            sandbox.client_secret,
            sandbox.redirect_uri,
            base_url=sandbox.base_url,
            identity_url=sandbox.identity_url,
            ca_bundle=sandbox.ca_bundle,
            **kwargs,
        )
        clients.append(client)
        secrets_seen.add(sandbox.log_in(client, state=f"state-{len(clients)}"))
        return client

    yield factory
    for client in clients:
        secrets_seen.add_token(client.token_store.load())
        client.close()


@pytest.fixture
def asperion_tenant(asperion_sandbox: Any, asperion_user: str) -> int:
    """Override the plugin's: these tests also reach the administration as the sandbox user."""
    users = [asperion_sandbox.username, asperion_user]
    return asperion_sandbox.add_administration(records=SMALL_RECORDS, users=users)
