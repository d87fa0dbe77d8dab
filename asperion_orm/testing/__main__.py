"""Serve the sandbox from the command line: ``python -m asperion_orm.testing [--port N] ...``."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from asperion_orm.testing.sandbox import Sandbox

__all__ = [
    "build_parser",
    "describe",
    "main",
    "parse_records",
    "sandbox_options",
    "serve",
    "stop_on_signals",
]


def parse_records(items: Sequence[str]) -> dict[str, int]:
    """Turn ``["debtor=20000", "articles=50"]`` into ``{"debtor": 20000, "articles": 50}``."""
    records: dict[str, int] = {}
    for item in items:
        name, sep, count = item.partition("=")
        if not sep or not name.strip() or not count.strip().isdigit():
            raise ValueError(f"expected RESOURCE=COUNT, got {item!r}")
        records[name.strip()] = int(count)
    return records


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser for the sandbox command."""
    parser = argparse.ArgumentParser(
        prog="python -m asperion_orm.testing",
        description="Serve a local Asperion API emulator over HTTPS until Ctrl-C.",
    )
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: free)")
    parser.add_argument(
        "--records",
        nargs="*",
        default=[],
        metavar="RESOURCE=COUNT",
        help="rows per resource in each administration, e.g. debtor=20000",
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay every answer")
    parser.add_argument("--rate-limit", type=float, default=None, help="API requests per second")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated data")
    parser.add_argument(
        "--interactive", action="store_true", help="show a login form at /connect/authorize"
    )
    return parser


def sandbox_options(
    *,
    port: int = 0,
    records: Sequence[str] = (),
    latency_ms: float = 0.0,
    rate_limit: float | None = None,
    seed: int = 0,
    interactive: bool = False,
) -> dict[str, Any]:
    """Return ``Sandbox(...)`` keyword arguments for command-line values."""
    return {
        "port": port,
        "records": parse_records(records) or None,
        "latency": latency_ms / 1000,
        "rate_limit": rate_limit,
        "seed": seed,
        "interactive": interactive,
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
        ]
    )


def serve(
    options: dict[str, Any], out: TextIO = sys.stdout, stop: threading.Event | None = None
) -> None:
    """Run a sandbox with ``options`` until ``stop`` is set (Ctrl-C or SIGTERM from ``main``)."""
    from asperion_orm.testing.sandbox import Sandbox

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


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and serve; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        options = sandbox_options(
            port=args.port,
            records=args.records,
            latency_ms=args.latency_ms,
            rate_limit=args.rate_limit,
            seed=args.seed,
            interactive=args.interactive,
        )
    except ValueError as exc:
        parser.error(str(exc))
    stop = threading.Event()
    stop_on_signals(stop)
    serve(options, stop=stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
