"""A real ``redis-server`` for these tests, started on a free port with persistence off.

The tests never skip when the binary is missing: they fail saying how to install it
(``make test`` installs it).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

INSTALL = (
    "redis-server is not installed, and these tests need a real one: run `make test` (it "
    "installs it) or `apt-get install -y redis-server`."
)


@dataclass
class RedisServer:
    """A running redis-server: its URL and process."""

    url: str
    process: subprocess.Popen[bytes]

    def client(self) -> redis.Redis:
        """Return a new client of this server."""
        return redis.Redis.from_url(self.url)

    def stop(self) -> None:
        """Stop the server and wait for it to exit."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(20)


def start_redis(directory: Path) -> RedisServer:
    """Start a redis-server on a free 127.0.0.1 port and wait until it answers."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(INSTALL, pytrace=False)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly",
               "no", "--dir", str(directory)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = RedisServer(f"redis://127.0.0.1:{port}/0", process)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with server.client() as client:
                client.ping()
            return server
        except redis.ConnectionError:
            time.sleep(0.05)
    server.stop()
    pytest.fail(f"redis-server did not start on port {port}", pytrace=False)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """Return the session's redis-server."""
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """Return the URL of the session's Redis, emptied for this test."""
    with redis_server.client() as client:
        client.flushdb()
    return redis_server.url


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """Return a redis-server of this test's own, which the test may stop."""
    server = start_redis(tmp_path)
    yield server
    server.stop()
