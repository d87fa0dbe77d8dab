"""Reading an answer is bounded: in time by the call's deadline, in size by max_response_bytes.

A server that drips its body byte by byte cannot hold a call past its deadline, and a huge or
decompression-bomb body is refused while it is read (never held whole, never cached).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import urllib3
from requests.adapters import HTTPAdapter

from asperion_orm import Client, MemoryTokenStore, RetryPolicy, Token
from asperion_orm.exceptions import (
    AmbiguousWriteError,
    ConfigurationError,
    ResponseTooLarge,
    TransportError,
)

from .conftest import FakeServer, SecretRegistry

MakeClient = Callable[..., Client]
MiB = 1024 * 1024
PAGE_HEAD = b'{"_meta": {"administrationId": 5, "totalCount": 1}, "_data": [{"name": "'


# -- size: a fake server that streams its bodies as a real connection does -----------------


class Body(io.BytesIO):
    """A body that remembers how far it was read once the client closed it."""

    consumed = 0

    def close(self) -> None:
        """Note the position, then close."""
        if not self.closed:
            self.consumed = self.tell()
        super().close()


class StreamingServer(FakeServer):
    """The fake server, but API answers come as urllib3 streams over a file object."""

    def __init__(self, registry: SecretRegistry) -> None:
        super().__init__(registry)
        self.body: Callable[[], Body] | None = None
        self.headers: dict[str, str] = {}
        self.bodies: list[Body] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Stream ``body`` for API requests; the token endpoint answers as usual."""
        if self.body is None or "/v1/" not in str(request.url):
            return super().send(request, **kwargs)
        self.requests.append(request)
        self.bodies.append(self.body())
        raw = urllib3.HTTPResponse(
            body=self.bodies[-1], headers=self.headers, status=200, preload_content=False
        )
        return HTTPAdapter().build_response(request, raw)


@pytest.fixture
def fake(secrets_seen: SecretRegistry) -> StreamingServer:
    return StreamingServer(secrets_seen)


def _page(size: int) -> bytes:
    """Return a valid list page of about ``size`` bytes."""
    return PAGE_HEAD + b"x" * max(0, size - len(PAGE_HEAD) - 4) + b'"}]}'


def _gzip_bomb(decoded: int) -> bytes:
    """Return gzip data that decodes to ``decoded`` zero bytes (about 1,000 times smaller)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MiB)
    parts = [packer.compress(zeros) for _ in range(decoded // MiB)]
    return b"".join([*parts, packer.flush()])


def test_a_52_mb_body_is_refused_by_default_while_it_is_read_and_never_cached(
    make_client: MakeClient, fake: StreamingServer
) -> None:
    session = make_client().tenant(5)
    fake.body = lambda: Body(_page(52 * MiB))
    for _ in range(2):
        with pytest.raises(ResponseTooLarge, match="max_response_bytes") as info:
            session.get("debtors")
        assert info.value.request.url.endswith("/v1/debtors")
        assert fake.bodies[-1].consumed <= 32 * MiB + 64 * 1024  # stopped at the cap
    assert len(fake.api_requests()) == 2


def test_a_declared_length_over_the_cap_is_refused_before_reading(
    make_client: MakeClient, fake: StreamingServer
) -> None:
    session = make_client(max_response_bytes=MiB).tenant(5)
    fake.body = lambda: Body(_page(2 * MiB))
    fake.headers = {"Content-Length": str(2 * MiB)}
    with pytest.raises(ResponseTooLarge):
        session.get("debtors")
    assert fake.bodies[-1].consumed == 0


def test_a_gzip_bomb_is_stopped_once_its_decoded_size_passes_the_cap(
    make_client: MakeClient, fake: StreamingServer
) -> None:
    bomb = _gzip_bomb(210 * MiB)  # 204 kB that decode to 210 MB
    assert len(bomb) < 210 * 1024
    session = make_client().tenant(5)
    fake.body = lambda: Body(bomb)
    fake.headers = {"Content-Encoding": "gzip"}
    with pytest.raises(ResponseTooLarge, match="decompressed"):
        session.get("debtors")
    assert fake.bodies[-1].consumed < len(bomb)  # not even all of the compressed bytes were read


def test_a_compressed_body_within_the_cap_is_read_as_usual(
    make_client: MakeClient, fake: StreamingServer
) -> None:
    session = make_client(max_response_bytes=MiB).tenant(5)
    fake.body = lambda: Body(gzip.compress(_page(MiB - 100)))
    fake.headers = {"Content-Encoding": "gzip"}
    assert len(session.get("debtors")["_data"][0]["name"]) > MiB - 200


def test_a_write_whose_answer_is_too_large_says_it_may_have_been_applied(
    make_client: MakeClient, fake: StreamingServer
) -> None:
    session = make_client(max_response_bytes=MiB).tenant(5)
    fake.body = lambda: Body(_page(2 * MiB))
    with pytest.raises(ResponseTooLarge, match="may have been applied"):
        session.post("debtors", {"name": "x"})
    assert len(fake.api_requests()) == 1


@pytest.mark.parametrize("limit", [0, -1, 1.5, True])
def test_max_response_bytes_must_be_a_positive_number_of_bytes(limit: object) -> None:
    with pytest.raises(ConfigurationError, match="max_response_bytes"):
        Client("app", "s", "http://127.0.0.1/cb", max_response_bytes=limit)  # type: ignore[arg-type]


# -- time: a real server on 127.0.0.1 that drips its answers -------------------------------

DRIP_FOR = 6.0  # seconds a connection is dripped before the server gives up and closes it


class DripServer:
    """An HTTP server that sends headers at once, then the body one byte every 0.2 s."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)  # so the accept loop sees ``stop``
        self.port = self.listener.getsockname()[1]
        self.requests: list[bytes] = []
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def __enter__(self) -> DripServer:
        self.threads.append(threading.Thread(target=self._accept, daemon=True))
        self.threads[0].start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.listener.close()
        for thread in self.threads:
            thread.join(DRIP_FOR + 2)

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._drip, args=(conn,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _drip(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):  # the client may hang up first
            conn.settimeout(DRIP_FOR)
            head = b""
            while b"\r\n\r\n" not in head:
                head += conn.recv(65536) or b"\r\n\r\n"
            self.requests.append(head.split(b"\r\n", 1)[0])
            body = _page(1000)
            headers = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            conn.sendall(f"{headers}Content-Length: {len(body)}\r\n\r\n".encode())
            until = time.monotonic() + DRIP_FOR
            for byte in body:
                if self.stop.wait(0.2) or time.monotonic() > until:
                    return
                conn.sendall(bytes([byte]))


@pytest.fixture
def drip() -> Iterator[DripServer]:
    with DripServer() as server:
        yield server


def _drip_client(server: DripServer, **kwargs: Any) -> Client:
    url = f"http://127.0.0.1:{server.port}"
    token = Token("drip-access-token", "drip-refresh-token", 4e9, 3600)
    return Client(
        "app", "s", "http://127.0.0.1/cb", base_url=f"{url}/v1", identity_url=url,
        allow_http=True, token_store=MemoryTokenStore(token), timeout=(2.0, 2.0),
        retry=RetryPolicy(deadline=1.5, sleep=lambda seconds: None), **kwargs,
    )  # fmt: skip


def test_a_dripped_body_cannot_hold_a_read_past_its_deadline(drip: DripServer) -> None:
    started = time.monotonic()
    with _drip_client(drip) as client, pytest.raises(TransportError, match="deadline"):
        client.tenant(5).get("debtors")
    assert time.monotonic() - started < DRIP_FOR - 2  # it held on for all 6 s before


def test_a_dripped_answer_to_a_write_is_ambiguous_and_not_resent(drip: DripServer) -> None:
    started = time.monotonic()
    with _drip_client(drip) as client, pytest.raises(AmbiguousWriteError):
        client.tenant(5).post("debtors", {"name": "x"})
    assert time.monotonic() - started < DRIP_FOR - 2
    assert drip.requests == [b"POST /v1/debtors HTTP/1.1"]


def test_a_dripped_token_answer_cannot_hold_the_login_past_its_deadline(
    drip: DripServer,
) -> None:
    started = time.monotonic()
    with _drip_client(drip) as client, pytest.raises(TransportError):
        client.authorization_url(state="s1")
        client.fetch_token(code="drip-code", state="s1")
    assert time.monotonic() - started < DRIP_FOR - 2
