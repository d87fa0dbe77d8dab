"""Time a scenario's three versions, count their requests and measure their peak memory."""

from __future__ import annotations

import gc
import json
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator import LoggedRequest
from scenarios import Context, Scenario

__all__ = ["APPROACHES", "Result", "measure"]

APPROACHES = ("orm", "plain", "tuned")
PROBE = Path(__file__).with_name("memory_probe.py")
QUICK = 0.05  # seconds: scenarios quicker than this get QUICK_RUNS runs, for a steadier median
QUICK_RUNS = 25


@dataclass
class Result:
    """What one version of a scenario cost."""

    times: list[float]
    requests: int
    longest_url: int
    peak_bytes: int
    peak_kind: str
    server_cpu: float
    cpu_times: list[float]
    kept_bytes: int

    @property
    def median(self) -> float:
        """Return the median wall time in seconds."""
        return statistics.median(self.times)

    @property
    def cpu(self) -> float:
        """Return the median CPU time of this process (all its threads) in seconds."""
        return statistics.median(self.cpu_times)


def measure(scenario: Scenario, ctx: Context, runs: int) -> dict[str, Result]:
    """Measure every version of a scenario (latency set for its duration).

    The versions take turns, run by run, so a change in the machine's load falls on all three.
    """
    ctx.emulator.set_latency(scenario.latency)
    try:
        versions = {approach: _Version(scenario, approach, ctx) for approach in APPROACHES}
        warm_up = max(version.warm_up() for version in versions.values())
        for _ in range(runs if warm_up > QUICK else max(runs, QUICK_RUNS)):
            for version in versions.values():
                version.timed()
        return {approach: version.result() for approach, version in versions.items()}
    finally:
        ctx.emulator.set_latency(0.0)


class _Version:
    """One version (ORM, plain or tuned) of a scenario, and what its runs measured."""

    def __init__(self, scenario: Scenario, approach: str, ctx: Context) -> None:
        self.scenario, self.approach, self.ctx = scenario, approach, ctx
        self.run = _runner(scenario, approach, ctx)
        self.times: list[float] = []
        self.cpu_times: list[float] = []
        self.log: list[LoggedRequest] | None = None
        self.server_cpu = 0.0

    def prepare(self) -> None:
        """Empty the ORM's response cache, or prime it for the cached scenario."""
        if self.approach == "orm":
            self.ctx.cache_store.clear()
            if self.scenario.cached:
                self.run()

    def warm_up(self) -> float:
        """Run once untimed (connections, the emulator's query views); return the seconds."""
        self.prepare()
        started = time.perf_counter()
        self.run()
        return time.perf_counter() - started

    def timed(self) -> None:
        """Run once, timed; keep the request log of the first run."""
        self.prepare()
        self.ctx.emulator.clear_log()
        gc.collect()
        server = self.ctx.emulator.cpu()
        started, cpu = time.perf_counter(), time.process_time()
        self.run()
        self.times.append(time.perf_counter() - started)
        self.cpu_times.append(time.process_time() - cpu)
        if self.log is None:
            self.server_cpu = self.ctx.emulator.cpu() - server
            self.log = self.ctx.emulator.log()

    def result(self) -> Result:
        """Measure the peak memory and return everything."""
        if self.scenario.subprocess_memory:
            peak, kind = _probe(self.scenario, self.approach, self.ctx), "RSS"
        else:
            peak, kind = _traced_peak(self.run, self.prepare), "traced"
        kept = _kept(self.run, self.prepare) if self.scenario.kept_memory else 0
        log = self.log or []
        longest = max((len(entry.url) for entry in log), default=0)
        return Result(
            self.times, len(log), longest, peak, kind, self.server_cpu, self.cpu_times, kept
        )


def _runner(scenario: Scenario, approach: str, ctx: Context) -> Callable[[], Any]:
    if approach == "orm":
        session = ctx.session(scenario.dataset, scenario.concurrency)
        return lambda: scenario.orm(session, ctx)
    http = ctx.requests_client(approach, scenario.dataset, scenario.concurrency)
    return lambda: scenario.raw(http, ctx)


def _traced_peak(run: Callable[[], Any], prepare: Callable[[], None]) -> int:
    """Return the peak of Python allocations during one run (all threads of this process)."""
    prepare()
    gc.collect()
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _kept(run: Callable[[], Any], prepare: Callable[[], None]) -> int:
    """Return the memory a run's result holds: traced allocations still alive after the run.

    The ORM's response cache is emptied before the count (``prepare``), so only the result
    (the models and their rows, or the dicts) and what it refers to are counted.
    """
    prepare()
    gc.collect()
    tracemalloc.start()
    try:
        result = run()
        prepare()
        gc.collect()
        kept = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del result
    return kept


def _probe(scenario: Scenario, approach: str, ctx: Context) -> int:
    """Return the peak RSS above the baseline of a fresh interpreter running the scenario."""
    request = {
        "info": ctx.emulator.info,
        "tenant": ctx.emulator.tenant(scenario.dataset),
        "scenario": scenario.key,
        "approach": approach,
    }
    answer = subprocess.run(
        [sys.executable, str(PROBE)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
    )
    return int(json.loads(answer.stdout)["peak_above_baseline"])
