"""Serve the sandbox from the command line: ``python -m asperion_orm.testing [--port N] ...``."""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Sequence

from asperion_orm.testing.emulator.app import TEXT_MATCH_MODES
from asperion_orm.testing.serve import sandbox_options, serve, stop_on_signals

__all__ = ["build_parser", "main"]


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
        help="rows per resource in each administration, e.g. debtors=20000",
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay every answer")
    parser.add_argument("--rate-limit", type=float, default=None, help="API requests per second")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated data")
    parser.add_argument(
        "--interactive", action="store_true", help="show a login form at /connect/authorize"
    )
    parser.add_argument(
        "--text-match",
        choices=TEXT_MATCH_MODES,
        default="contains-ci",
        help="how text filters compare without <Field>_comparison: contains-ci (Contains, "
        "ignoring case, as the live API; the default) or exact-cs (Equals, case-sensitive)",
    )
    return parser


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
            text_match=args.text_match,
        )
    except ValueError as exc:
        parser.error(str(exc))
    stop = threading.Event()
    stop_on_signals(stop)
    serve(options, stop=stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
