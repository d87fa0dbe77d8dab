"""Serve a sandbox from a command line until a signal.

``asperion sandbox`` and ``python -m asperion_orm.testing`` share this: options from the
command line, the banner that says how to connect, and the loop that runs until stopped.
"""

from __future__ import annotations

import shlex
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any, TextIO

from asperion_orm.testing.emulator.app import TEXT_MATCH_MODES
from asperion_orm.testing.sandbox import Sandbox

__all__ = ["describe", "parse_records", "sandbox_options", "serve", "stop_on_signals"]


def parse_records(items: Sequence[str]) -> dict[str, int]:
    """Turn ``["debtors=20000", "articles=50"]`` into ``{"debtors": 20000, "articles": 50}``."""
    records: dict[str, int] = {}
    for item in items:
        name, sep, count = item.partition("=")
        if not sep or not name.strip() or not count.strip().isdigit():
            raise ValueError(f"expected RESOURCE=COUNT, got {item!r}")
        records[name.strip()] = int(count)
    return records


def sandbox_options(
    *,
    port: int = 0,
    records: Sequence[str] = (),
    latency_ms: float = 0.0,
    rate_limit: float | None = None,
    seed: int = 0,
    interactive: bool = False,
    text_match: str = "contains-ci",
) -> dict[str, Any]:
    """Return ``Sandbox(...)`` keyword arguments for command-line values."""
    if text_match not in TEXT_MATCH_MODES:
        raise ValueError(f"text match must be one of {', '.join(TEXT_MATCH_MODES)}")
    return {
        "port": port,
        "records": parse_records(records) or None,
        "latency": latency_ms / 1000,
        "rate_limit": rate_limit,
        "seed": seed,
        "interactive": interactive,
        "text_match": text_match,
    }


def describe(sandbox: Sandbox) -> str:
    """Return what a user needs to connect to a running sandbox."""
    tenants = ", ".join(str(t) for t in sandbox.tenants)
    return "\n".join(
        [
            "Asperion sandbox (a local fake; every credential below is generated for it)",
            f"  API base URL      {sandbox.base_url}",
            f"  identity URL      {sandbox.identity_url}",
            f"  CA bundle         {sandbox.ca_bundle}",
            f"  client id         {sandbox.client_id}",
            f"  client secret     {sandbox.client_secret}",
            f"  redirect URI      {sandbox.redirect_uri}",
            f"  sandbox user      {sandbox.username}",
            f"  sandbox password  {sandbox.password}",
            f"  administrations   {tenants} (default first)",
            f"  text filters      {sandbox.state.text_match}",
            "Log in to it from another terminal with:",
            f"  {login_command(sandbox)}",
        ]
    )


def login_command(sandbox: Sandbox) -> str:
    """Return the ``asperion login`` line, ready to paste, that logs in to ``sandbox``."""
    args = [
        "asperion", "login",
        "--client-id", sandbox.client_id,
        "--client-secret", sandbox.client_secret,
        "--base-url", sandbox.base_url,
        "--identity-url", sandbox.identity_url,
        "--ca-bundle", sandbox.ca_bundle,
    ]  # fmt: skip
    return shlex.join(args)


def serve(
    options: dict[str, Any], out: TextIO = sys.stdout, stop: threading.Event | None = None
) -> None:
    """Run a sandbox with ``options`` until ``stop`` is set (Ctrl-C or SIGTERM from ``main``)."""
    stop = stop or threading.Event()
    with Sandbox(**options) as sandbox:
        print(describe(sandbox), file=out)
        print("Press Ctrl-C to stop.", file=out, flush=True)
        while not stop.wait(0.5):
            pass
        print("Stopping.", file=out, flush=True)


def stop_on_signals(stop: threading.Event) -> None:
    """Set ``stop`` on Ctrl-C (SIGINT) and SIGTERM."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda _signum, _frame: stop.set())
