"""A real PostgreSQL server for the token tests: ``initdb`` in a temporary directory.

The tests never skip when PostgreSQL is missing: they fail saying how to install it (``make
test`` installs it). As root the server runs as the ``postgres`` system user, which owns its
directory.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

INSTALL = (
    "PostgreSQL is not installed, and these tests need a real server: run `make test` (it "
    "installs it) or `apt-get install -y postgresql`."
)
_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


@dataclass
class PostgresServer:
    """A running PostgreSQL: how to reach it, and its directory."""

    port: int
    directory: Path
    bin_dir: Path
    as_user: list[str]

    def database(self) -> dict[str, object]:
        """Return a Django ``DATABASES`` entry for the server's ``postgres`` database."""
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "postgres",
            "USER": "postgres",
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
        }

    def run(self, tool: str, *args: str) -> None:
        """Run one of the server's tools as its owner."""
        subprocess.run(
            [*self.as_user, str(self.bin_dir / tool), *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
        )

    def stop(self) -> None:
        """Stop the server (fast shutdown) and remove its directory."""
        try:
            self.run("pg_ctl", "-D", str(self.directory / "data"), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """Initialise a cluster in a new temporary directory and start it on a free port."""
    bin_dir = next((path for path in _BIN_DIRS if (path / "initdb").exists()), None)
    if bin_dir is None:
        pytest.fail(INSTALL, pytrace=False)
    directory = Path(tempfile.mkdtemp(prefix="asperion-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(directory, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    server = PostgresServer(_free_port(), directory, bin_dir, as_user)
    data = str(directory / "data")
    server.run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync")
    options = f"-p {server.port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off"
    server.run("pg_ctl", "-D", data, "-o", options, "-l", str(directory / "log"), "-w", "start")
    return server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
