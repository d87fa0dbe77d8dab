"""The HTTPS server: TLS 1.3 only, keep-alive, handshakes off the accept loop, quick shutdown."""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

from asperion_orm.testing.emulator.server import HTTPSServer

from .conftest import TinyApp


class _ContextAdapter(HTTPAdapter):
    """Send requests through a given SSLContext."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._context = context
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._context
        super().init_poolmanager(*args, **kwargs)


def _context(cafile: str, version: ssl.TLSVersion | None = None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=cafile)
    if version is not None:
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        context.maximum_version = version
    return context


def test_tls13_is_negotiated(server: HTTPSServer) -> None:
    context = _context(server.ca_bundle)
    with (
        socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        assert tls.version() == "TLSv1.3"


def test_localhost_name_is_in_the_certificate(server: HTTPSServer) -> None:
    context = _context(server.ca_bundle)
    with (
        socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        assert tls.version() == "TLSv1.3"


def test_tls12_only_client_is_refused(server: HTTPSServer) -> None:
    context = _context(server.ca_bundle, ssl.TLSVersion.TLSv1_2)
    with (
        socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw,
        pytest.raises(ssl.SSLError, match="PROTOCOL_VERSION"),
    ):
        context.wrap_socket(raw, server_hostname="127.0.0.1")


def test_tls12_only_requests_client_is_refused(server: HTTPSServer) -> None:
    with requests.Session() as session:
        session.trust_env = False
        session.mount(
            "https://", _ContextAdapter(_context(server.ca_bundle, ssl.TLSVersion.TLSv1_2))
        )
        with pytest.raises(requests.exceptions.SSLError, match="PROTOCOL_VERSION"):
            session.get(f"{server.url}/v1/x", timeout=5)


def test_refused_handshake_does_not_hurt_the_server(
    server: HTTPSServer, http: requests.Session
) -> None:
    test_tls12_only_client_is_refused(server)
    assert http.get(f"{server.url}/v1/x", verify=server.ca_bundle, timeout=5).status_code == 200


def test_plain_http_is_not_served(server: HTTPSServer) -> None:
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://127.0.0.1:{server.port}/v1/x", timeout=5)


def test_silent_client_does_not_block_others(server: HTTPSServer, http: requests.Session) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5):
        # The silent connection is open and has sent nothing; others are still served.
        for _ in range(3):
            response = http.get(f"{server.url}/v1/x", verify=server.ca_bundle, timeout=(3, 3))
            assert response.status_code == 200
            http.close()  # force a new connection (and handshake) each time


def test_keep_alive_reuses_one_connection(server: HTTPSServer, http: requests.Session) -> None:
    for _ in range(20):
        response = http.get(f"{server.url}/v1/x", verify=server.ca_bundle, timeout=5)
        assert response.status_code == 200
        assert response.headers.get("Connection", "").lower() != "close"
    assert server.connections_accepted == 1


def test_new_sessions_make_new_connections(server: HTTPSServer) -> None:
    for _ in range(3):
        with requests.Session() as session:
            session.trust_env = False
            session.get(f"{server.url}/v1/x", verify=server.ca_bundle, timeout=5)
    assert server.connections_accepted == 3


def test_shutdown_stops_the_thread_and_removes_the_ca(tiny_app: TinyApp) -> None:
    server = HTTPSServer(tiny_app)
    with server, socket.create_connection(("127.0.0.1", server.port), timeout=5):
        # An idle half-open client must not hold up shutdown.
        ca_bundle = server.ca_bundle
        assert os.path.exists(ca_bundle)
        thread = server.thread
        assert thread is not None and thread.is_alive()
    assert not thread.is_alive()
    assert not os.path.exists(ca_bundle)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()


def test_shutdown_with_an_open_keep_alive_connection(
    tiny_app: TinyApp, http: requests.Session
) -> None:
    with HTTPSServer(tiny_app) as server:
        http.get(f"{server.url}/v1/x", verify=server.ca_bundle, timeout=5)
        thread = server.thread
    assert thread is not None and not thread.is_alive()


def test_given_port_is_used(tiny_app: TinyApp, http: requests.Session) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with HTTPSServer(tiny_app, port=port) as server:
        assert server.port == port
        assert http.get(f"{server.url}/v1/x", verify=server.ca_bundle, timeout=5).ok


def test_fifty_concurrent_clients_keep_their_connections(server: HTTPSServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def fetch(_: int) -> list[int]:
        with requests.Session() as session:
            session.trust_env = False
            return [
                session.get(f"{server.url}/v1/x", verify=server.ca_bundle, timeout=10).status_code
                for _ in range(3)
            ]

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = [status for batch in pool.map(fetch, range(50)) for status in batch]
    assert statuses == [200] * 150
    assert server.connections_accepted == 50


def test_large_bodies_both_ways(
    server: HTTPSServer, tiny_app: TinyApp, http: requests.Session
) -> None:
    big = "x" * 300_000
    assert http.post(f"{server.url}/v1/x", data=big, verify=server.ca_bundle, timeout=10).ok
    chunked = iter([b"ab", b"cd" * 50_000])
    assert http.post(f"{server.url}/v1/x", data=chunked, verify=server.ca_bundle, timeout=10).ok
    response = http.get(f"{server.url}/v1/x", verify=server.ca_bundle, timeout=10)
    assert response.json()["rows"] == [big, "ab" + "cd" * 50_000]
    assert server.connections_accepted == 1


def test_pipelined_requests_are_both_answered(server: HTTPSServer) -> None:
    context = _context(server.ca_bundle)
    request = f"GET /v1/x HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
    with (
        socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        tls.sendall(request * 2)
        received = b""
        while received.count(b"HTTP/1.1 200") < 2:
            chunk = tls.recv(65536)
            assert chunk, received
            received += chunk


def _exchange(server: HTTPSServer, request: bytes, limit: int = 1 << 20) -> bytes:
    """Send ``request`` on a fresh TLS connection; return what comes back until it closes."""
    context = _context(server.ca_bundle)
    received = b""
    with (
        socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        tls.sendall(request)
        with contextlib.suppress(OSError):
            while len(received) < limit:
                chunk = tls.recv(65536)
                if not chunk:
                    break
                received += chunk
    return received


def test_an_oversized_header_gets_431_and_the_connection_closes(
    server: HTTPSServer, http: requests.Session
) -> None:
    big = b"GET /v1/x HTTP/1.1\r\nHost: a\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n"
    answer = _exchange(server, big)
    assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"), answer[:200]
    many = b"GET /v1/x HTTP/1.1\r\nHost: a\r\n" + b"X-Small: 0123456789\r\n" * 10_000 + b"\r\n"
    assert _exchange(server, many).startswith(b"HTTP/1.1 431 ")
    long_line = b"GET /v1/x?q=" + b"a" * 200_000 + b" HTTP/1.1\r\nHost: a\r\n\r\n"
    assert _exchange(server, long_line).startswith(b"HTTP/1.1 414 ")
    assert http.get(f"{server.url}/v1/x", verify=server.ca_bundle, timeout=5).status_code == 200


def test_an_endless_header_line_is_not_buffered(server: HTTPSServer) -> None:
    """The server stops reading at its header limit, whatever the client keeps sending."""
    context = _context(server.ca_bundle)
    sent, chunk = 0, b"a" * (1 << 20)
    with (
        socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        tls.sendall(b"GET /v1/x HTTP/1.1\r\nHost: a\r\nX-Endless: ")
        with contextlib.suppress(OSError):  # reset, broken pipe or send timeout: refused
            while sent < 32 << 20:
                tls.sendall(chunk)
                sent += len(chunk)
    assert sent < 32 << 20, "the server read 32 MB of one header line"


def test_a_long_query_string_is_still_served(server: HTTPSServer, http: requests.Session) -> None:
    query = "&".join(f"id={10000 + n}" for n in range(2000))  # about 18 kB
    response = http.get(f"{server.url}/v1/x?{query}", verify=server.ca_bundle, timeout=5)
    assert response.status_code == 200
