"""Run one scenario once in a fresh interpreter and print its peak RSS above the baseline.

Reads ``{"info", "tenant", "scenario", "approach"}`` as JSON on stdin (the emulator's
connection details, so they stay off the command line) and prints
``{"peak_above_baseline": bytes, "baseline": bytes}``. The baseline is the resident memory
after the imports and the login, just before the scenario starts.
"""

from __future__ import annotations

import contextlib
import gc
import json
import resource
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from clients import PlainClient, TunedClient, orm_client
from scenarios import SCENARIOS

STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


def rss() -> tuple[int, int]:
    """Return (current, peak) resident memory in bytes."""
    if STATUS.exists():
        fields = dict(line.split(":", 1) for line in STATUS.read_text().splitlines() if ":" in line)
        return _kib(fields["VmRSS"]), _kib(fields["VmHWM"])
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1 if sys.platform == "darwin" else 1024
    return peak * scale, peak * scale


def _kib(text: str) -> int:
    return int(text.split()[0]) * 1024


def reset_peak() -> None:
    """Make the kernel's peak follow from now on (Linux); elsewhere the peak so far stays."""
    with contextlib.suppress(OSError):
        CLEAR_REFS.write_text("5")


def runner(request: dict[str, Any]) -> Callable[[], Any]:
    """Log in and return the scenario's version, ready to run."""
    info, tenant = request["info"], int(request["tenant"])
    scenario = next(s for s in SCENARIOS if s.key == request["scenario"])
    client = orm_client(info)
    if request["approach"] == "orm":
        session = client.tenant(tenant)
        return partial(scenario.orm, session, None)
    kind = PlainClient if request["approach"] == "plain" else TunedClient
    return partial(scenario.raw, kind(info, client.token.access_token, tenant), None)


def main() -> None:
    """Set up, take the baseline, run the scenario once and report."""
    run = runner(json.loads(sys.stdin.read()))
    gc.collect()
    baseline, _ = rss()
    reset_peak()
    run()
    _, peak = rss()
    print(json.dumps({"peak_above_baseline": max(0, peak - baseline), "baseline": baseline}))


if __name__ == "__main__":
    main()
