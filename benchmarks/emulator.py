"""The emulator for the benchmarks, served from its own process and steered through a pipe.

The server gets a process (and a GIL) of its own, as a remote API would, so the clients under
test are not slowed by the emulator's Python code running between their bytecodes. The parent
holds an ``Emulator`` handle: connection details, the request log and the latency knob.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

__all__ = ["Emulator", "LoggedRequest"]


@dataclass(frozen=True)
class LoggedRequest:
    """One API request as the emulator logged it."""

    method: str
    path: str
    url: str
    status: int


def _serve(conn: Connection, datasets: Mapping[str, Mapping[str, int]]) -> None:
    """Run a sandbox with one administration per data set; answer commands until ``stop``."""
    from asperion_orm.testing import Sandbox

    with Sandbox() as sandbox:
        tenants = {}
        for name, records in datasets.items():
            tenants[name] = admin = sandbox.add_administration(name, records=records)
            sandbox.state.count(admin, "debtors")  # generate the data now, not while timing
        conn.send(_describe(sandbox, tenants))
        while True:
            command, argument = conn.recv()
            if command == "stop":
                break
            conn.send(_answer(sandbox, command, argument))
    conn.send("stopped")


def _describe(sandbox: Any, tenants: dict[str, int]) -> dict[str, Any]:
    """Return what a client needs to connect (the sandbox's own credentials, for this run)."""
    return {
        "base_url": sandbox.base_url,
        "identity_url": sandbox.identity_url,
        "ca_bundle": sandbox.ca_bundle,
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
        "redirect_uri": sandbox.redirect_uri,
        "tenants": tenants,
    }


def _answer(sandbox: Any, command: str, argument: Any) -> Any:
    """Carry out one command in the server process."""
    if command == "clear_log":
        sandbox.clear_log()
        return None
    if command == "set_latency":
        sandbox.set_latency(argument)
        return None
    if command == "log":
        return [
            LoggedRequest(e.method, e.path, e.url, e.status)
            for e in sandbox.request_log
            if e.path.startswith("/v1/")
        ]
    if command == "cpu":
        return time.process_time()
    raise ValueError(f"unknown command {command!r}")


class Emulator:
    """A handle on the emulator process: ``with Emulator({...}) as emulator: ...``."""

    def __init__(self, datasets: Mapping[str, Mapping[str, int]]) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child, dict(datasets)), daemon=True)
        self.info: dict[str, Any] = {}

    def __enter__(self) -> Emulator:
        self._process.start()
        self.info = self._conn.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process.is_alive():
            self._conn.send(("stop", None))
            self._conn.poll(10)  # wait for "stopped", but never forever
        self._process.join(timeout=10)

    def tenant(self, name: str) -> int:
        """Return the administration id of a data set."""
        return int(self.info["tenants"][name])

    def _call(self, command: str, argument: Any = None) -> Any:
        self._conn.send((command, argument))
        return self._conn.recv()

    def clear_log(self) -> None:
        """Forget the logged requests."""
        self._call("clear_log")

    def log(self) -> list[LoggedRequest]:
        """Return the API requests logged since the last ``clear_log`` (not token requests)."""
        result: list[LoggedRequest] = self._call("log")
        return result

    def set_latency(self, seconds: float) -> None:
        """Delay every answer by ``seconds``."""
        self._call("set_latency", seconds)

    def cpu(self) -> float:
        """Return the CPU seconds the emulator process has used so far."""
        result: float = self._call("cpu")
        return result
