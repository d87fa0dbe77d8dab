"""Slow and silent clients: a dripped body or a missing TLS hello must not stall other clients."""

from __future__ import annotations

import contextlib
import io
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from werkzeug.test import Client as WSGIClient

from asperion_orm.testing import Sandbox
from asperion_orm.testing.emulator.app import MAX_BODY_BYTES, EmulatorState, create_app
from asperion_orm.testing.emulator.middleware import SandboxMiddleware
from asperion_orm.testing.emulator.server import HTTPSServer

from .conftest import TinyApp


class Drip:
    """A client that sends a request's headers at once, then its body one byte at a time."""

    def __init__(self, port: int, ca_bundle: str, head: bytes, interval: float = 0.2) -> None:
        context = ssl.create_default_context(cafile=ca_bundle)
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.tls = context.wrap_socket(raw, server_hostname="127.0.0.1")
        self.tls.sendall(head)
        self.interval = interval
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._drip, daemon=True)
        self.thread.start()

    def _drip(self) -> None:
        while not self.stopped.wait(self.interval):
            try:
                self.tls.sendall(b"a")
            except OSError:
                return

    def answer(self) -> bytes:
        """Return what the server answered (until it closes or 10 s pass)."""
        received = b""
        try:
            while chunk := self.tls.recv(65536):
                received += chunk
        except OSError:
            pass
        return received

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(5)
        self.tls.close()


def _post_head(path: str, length: int) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


@pytest.fixture
def drip_to_token(asperion_sandbox: Sandbox) -> Iterator[Drip]:
    """An unauthenticated client dripping a form body to /connect/token at 5 bytes/s."""
    drip = Drip(
        asperion_sandbox.port, asperion_sandbox.ca_bundle, _post_head("/connect/token", 10_000)
    )
    time.sleep(0.5)  # the server is reading the body by now
    try:
        yield drip
    finally:
        drip.close()


def test_a_dripped_token_request_does_not_stall_other_clients(
    asperion_sandbox: Sandbox,
    authorized_http: requests.Session,
    sandbox_tenant: int,
    drip_to_token: Drip,
) -> None:
    started = time.monotonic()
    for _ in range(3):
        response = authorized_http.get(
            f"{asperion_sandbox.base_url}/debtors",
            headers={"X-Tenant-Id": str(sandbox_tenant)},
            verify=asperion_sandbox.ca_bundle,
            timeout=5,
        )
        assert response.status_code == 200
    assert time.monotonic() - started < 3  # each is served at once, not after the drip


def test_a_body_that_does_not_arrive_in_time_gets_408(
    tiny_app: TinyApp, middleware: SandboxMiddleware
) -> None:
    with HTTPSServer(middleware, threads=4, body_timeout=1.0) as server:
        drip = Drip(server.port, server.ca_bundle, _post_head("/v1/x", 10_000))
        started = time.monotonic()
        try:
            answer = drip.answer()
        finally:
            drip.close()
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer[:200]
    assert time.monotonic() - started < 5
    assert tiny_app.rows == []  # the app never saw the request


def test_a_body_over_the_limit_gets_413_before_it_is_sent(server: HTTPSServer) -> None:
    drip = Drip(server.port, server.ca_bundle, _post_head("/v1/x", 1 << 30), interval=60)
    try:
        answer = drip.answer()
    finally:
        drip.close()
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]


def test_a_chunked_body_over_the_limit_gets_413(
    tiny_app: TinyApp, middleware: SandboxMiddleware, http: requests.Session
) -> None:
    with HTTPSServer(middleware, threads=4, max_body_bytes=100_000) as server:
        chunks = iter([b"x" * 60_000, b"y" * 60_000])
        response = http.post(f"{server.url}/v1/x", data=chunks, verify=server.ca_bundle, timeout=10)
        assert response.status_code == 413
        assert tiny_app.rows == []
        small = http.post(
            f"{server.url}/v1/x", data=iter([b"ok"]), verify=server.ca_bundle, timeout=10
        )
        assert small.status_code == 201


class WatchedBody(io.BytesIO):
    """A request body that notes, on every read, whether another thread could take ``lock``."""

    def __init__(self, data: bytes, lock: Any) -> None:
        super().__init__(data)
        self._lock = lock
        self.lock_was_free: list[bool] = []

    def _probe(self) -> None:
        free: list[bool] = []

        def probe() -> None:
            taken = self._lock.acquire(blocking=False)
            if taken:
                self._lock.release()
            free.append(taken)

        prober = threading.Thread(target=probe)
        prober.start()
        prober.join()
        self.lock_was_free.extend(free)

    def read(self, size: int | None = -1) -> bytes:
        self._probe()
        return super().read(size)

    def readinto(self, buffer: Any) -> int:
        self._probe()
        return super().readinto(buffer)


def test_the_emulator_reads_a_body_before_taking_its_lock() -> None:
    state = EmulatorState(records={"debtors": 1})
    form = b"grant_type=refresh_token&refresh_token=unknown"
    body = WatchedBody(form, state.lock)
    response = WSGIClient(create_app(state)).post(
        "/connect/token",
        input_stream=body,
        content_length=len(form),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 401  # no client credentials: the form was read
    assert body.lock_was_free and all(body.lock_was_free)


def test_the_emulator_refuses_a_body_over_its_limit_with_problem_details() -> None:
    state = EmulatorState(records={"debtors": 1})
    response = WSGIClient(create_app(state)).post(
        "/connect/token", data=b"x" * (MAX_BODY_BYTES + 1), content_type="text/plain"
    )
    assert response.status_code == 413
    assert response.json is not None and response.json["status"] == 413


@contextlib.contextmanager
def silent_connections(port: int, count: int) -> Iterator[list[socket.socket]]:
    """Open ``count`` TCP connections that never send a TLS hello."""
    sockets = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
    try:
        time.sleep(0.2)  # accepted by now
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def test_forty_silent_connections_do_not_delay_the_sandbox(
    asperion_sandbox: Sandbox, authorized_http: requests.Session, sandbox_tenant: int
) -> None:
    with silent_connections(asperion_sandbox.port, 40):
        started = time.monotonic()
        authorized_http.close()  # a new connection, with its own handshake
        response = authorized_http.get(
            f"{asperion_sandbox.base_url}/debtors",
            headers={"X-Tenant-Id": str(sandbox_tenant)},
            verify=asperion_sandbox.ca_bundle,
            timeout=(5, 5),
        )
        elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert elapsed < 3, f"a normal request took {elapsed:.1f}s"  # 9.5 s before


def test_two_hundred_silent_connections_do_not_starve_a_small_server(
    server: HTTPSServer, http: requests.Session
) -> None:
    with silent_connections(server.port, 200):
        started = time.monotonic()
        statuses = [
            http.get(f"{server.url}/v1/x", verify=server.ca_bundle, timeout=(5, 5)).status_code
            for _ in range(3)
        ]
        elapsed = time.monotonic() - started
    assert statuses == [200] * 3
    assert elapsed < 5, f"three requests took {elapsed:.1f}s"


def test_a_silent_connection_is_closed_after_the_handshake_timeout(
    middleware: SandboxMiddleware,
) -> None:
    with (
        HTTPSServer(middleware, threads=2, handshake_timeout=0.5) as server,
        silent_connections(server.port, 5) as sockets,
    ):
        started = time.monotonic()
        for sock in sockets:
            with contextlib.suppress(ConnectionResetError):
                assert sock.recv(1) == b""  # closed by the server
        assert time.monotonic() - started < 4


def test_header_fields_that_do_not_arrive_in_time_get_408(middleware: SandboxMiddleware) -> None:
    with HTTPSServer(middleware, threads=2, header_timeout=1.0) as server:
        drip = Drip(server.port, server.ca_bundle, b"GET /v1/x HTTP/1.1\r\nX-Slow: ")
        started = time.monotonic()
        try:
            answer = drip.answer()
        finally:
            drip.close()
    assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), answer[:200]
    assert time.monotonic() - started < 5
