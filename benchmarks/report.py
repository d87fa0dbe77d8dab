"""Render the results: the machine, the table and each target, as markdown."""

from __future__ import annotations

import datetime as dt
import os
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from measure import Result
from scenarios import DATASETS, SCENARIOS, Scenario

__all__ = ["load_average", "machine", "render", "table"]

Results = Mapping[str, Mapping[str, Result]]
MIB = 1024 * 1024
MODELS = DATASETS["debtors"]["debtors"]


def machine(load_at_start: float) -> str:
    """Describe the CPU, cores, Python and OS this ran on, when, and how busy it was."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"- Date: {now}\n"
        f"- CPU: {_cpu_model()}, {os.cpu_count()} cores\n"
        f"- Python: {platform.python_implementation()} {platform.python_version()}\n"
        f"- OS: {platform.platform()}\n"
        f"- Load average (1 min) at start and end: {load_at_start:.2f} and {_load():.2f} "
        "(anything above 0 means other processes shared the cores)"
    )


def load_average() -> float:
    """Return the 1-minute load average (0 where the OS does not tell)."""
    return _load()


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


def _cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def table(results: Results) -> str:
    """Return the markdown table of every measured scenario."""
    head = (
        "| scenario | ORM (s) | (b) plain (s) | (c) tuned (s) | ORM/(b) | ORM/(c) "
        "| requests ORM / (b) / (c) | DESIGN §3 | peak memory ORM / (b) / (c) |\n"
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|"
    )
    rows = [_row(s, results[s.key], results) for s in SCENARIOS if s.key in results]
    return "\n".join([head, *rows])


def _row(scenario: Scenario, result: Mapping[str, Result], results: Results) -> str:
    orm, plain, tuned = result["orm"], result["plain"], result["tuned"]
    promise = _PROMISES.get(scenario.key, "")
    memory = " / ".join(_mib(r.peak_bytes) for r in (orm, plain, tuned))
    return (
        f"| {scenario.name} | {_seconds(orm.median)} | {_seconds(plain.median)} "
        f"| {_seconds(tuned.median)} | {orm.median / plain.median:.2f}x "
        f"| {orm.median / tuned.median:.2f}x "
        f"| {orm.requests} / {plain.requests} / {tuned.requests} | {promise} "
        f"| {memory} {orm.peak_kind} |"
    )


_PROMISES = {
    "models": "ceil(N/100) = 200",
    "values": "ceil(N/100) = 200",
    "count": "1",
    "exists": "1",
    "in": "5 (≤ 100 ids, URL ≤ 2,000 B)",
    "slice": "2 (only needed pages)",
    "prefetch": "5 + 1",
    "uncached": "1",
    "cached": "0",
    "uncached50": "1",
    "latency": "40",
    "wide": "ceil(N/100) = 200",
    "iterator": "1,000",
    "groupby": "ceil(N/100) = 200",
    "groupby_loop": "ceil(N/100) = 200",
}


def _seconds(value: float) -> str:
    return f"{value:.4f}" if value < 0.1 else f"{value:.3f}"


def _mib(value: int) -> str:
    return f"{value / MIB:.1f} MiB"


@dataclass(frozen=True)
class Target:
    """One target of the benchmark issue, with its figure."""

    text: str
    figure: str
    met: bool

    def line(self) -> str:
        """Return the markdown line."""
        return f"- **{'met' if self.met else 'NOT met'}**: {self.text}: {self.figure}"


def targets(results: Results, promised: Mapping[str, int]) -> list[Target]:
    """Judge every target of the issue that the results cover."""
    found: list[Target] = []
    if "models" in results:
        found.append(_models(results["models"]))
        found.append(_kept(results["models"]))
    if "values" in results:
        found.append(_ratio(results["values"], 1.0, "values_list <= 1.0x the tuned client (c)"))
    if "latency" in results:
        found.append(_latency(results["latency"]))
    if "wide" in results:
        text = "200 pages at 30 ms latency, 16 concurrent: ORM <= 1.1x the tuned client"
        found.append(_ratio(results["wide"], 1.1, text))
    if "cached" in results and "uncached" in results:
        found.append(_cache(results))
    if "iterator" in results:
        found.append(_memory(results["iterator"]["orm"]))
    if "groupby" in results and "groupby_loop" in results:
        found.append(_group_by(results["groupby"]["orm"], results["groupby_loop"]["orm"]))
    found.append(_counts(results, promised))
    return found


def _ratio(result: Mapping[str, Result], limit: float, text: str) -> Target:
    value = result["orm"].median / result["tuned"].median
    cpu = result["orm"].cpu / result["tuned"].cpu
    return Target(text, f"{value:.2f}x (client CPU {cpu:.2f}x)", value <= limit)


def _models(result: Mapping[str, Result]) -> Target:
    """Judge model iteration against the plain loop (b), in wall time and in client CPU.

    The ORM fetches pages concurrently and (b) does not, so wall time alone would hide the cost
    of building models; the CPU this process spent (all its threads) shows it.
    """
    orm, plain = result["orm"], result["plain"]
    wall, cpu = orm.median / plain.median, orm.cpu / plain.cpu
    per_row = f"{orm.cpu / MODELS * 1e6:.1f} vs {plain.cpu / MODELS * 1e6:.1f} us a row"
    figure = f"{wall:.2f}x wall, {cpu:.2f}x client CPU ({per_row})"
    text = "iterating models reading 3 fields <= 1.2x the plain loop (b), wall and CPU"
    return Target(text, figure, wall <= 1.2 and cpu <= 1.2)


def _kept(result: Mapping[str, Result]) -> Target:
    orm, plain = result["orm"].kept_bytes, result["plain"].kept_bytes
    value = orm / plain if plain else 0.0
    figure = f"{value:.2f}x ({_mib(orm)} vs {_mib(plain)}, {(orm - plain) / MODELS:.0f} B a model)"
    text = "list(qs) of 20,000 models <= 1.25x the memory of the decoded dicts (b)"
    return Target(text, figure, 0 < value <= 1.25)


def _latency(result: Mapping[str, Result]) -> Target:
    plain, orm = result["plain"].median, result["orm"].median
    figure = f"{plain / orm:.1f}x ({_seconds(plain)} s vs {_seconds(orm)} s)"
    return Target("40 pages at 50 ms latency: ORM >= 5x faster than the plain loop", figure,
                  plain / orm >= 5.0)  # fmt: skip


def _cache(results: Results) -> Target:
    cached = results["cached"]["orm"].median
    zero = results["uncached"]["orm"].median / cached
    figure = (
        f"{zero:.1f}x at 0 ms latency ({_ms(results['uncached']['orm'].median)} vs {_ms(cached)})"
    )
    if "uncached50" in results:
        fifty = results["uncached50"]["orm"].median / cached
        figure += f"; {fifty:.0f}x at 50 ms latency ({_ms(results['uncached50']['orm'].median)})"
    figure += f"; the 50x aim {'met' if zero >= 50.0 else 'not met'}"
    return Target("cached repeat >= 25x faster than uncached at 0 ms", figure, zero >= 25.0)


def _memory(result: Result) -> Target:
    text = "iterator() over 100,000 rows: peak < 10 MiB above the interpreter's baseline"
    return Target(text, _mib(result.peak_bytes), result.peak_bytes < 10 * MIB)


def _group_by(annotate: Result, loop: Result) -> Target:
    value = annotate.median / loop.median
    figure = (
        f"{value:.2f}x ({_seconds(annotate.median)} s vs {_seconds(loop.median)} s); peak "
        f"traced memory {_mib(annotate.peak_bytes)} vs {_mib(loop.peak_bytes)}"
    )
    text = "values().annotate(Sum) over 20,000 invoices <= 1.2x a hand loop over values_list"
    return Target(text, figure, value <= 1.2)


def _counts(results: Results, promised: Mapping[str, int]) -> Target:
    wrong = [
        f"{key}: {results[key]['orm'].requests} != {promised[key]}"
        for key in promised
        if key in results and results[key]["orm"].requests != promised[key]
    ]
    longest = max(result["orm"].longest_url for result in results.values())
    figure = "all equal" if not wrong else "; ".join(wrong)
    figure += f"; longest URL {longest} bytes"
    return Target("ORM request counts equal DESIGN §3, URLs <= 2,000 bytes", figure,
                  not wrong and longest <= 2000)  # fmt: skip


def emulator_cost(results: Results) -> str:
    """Describe the emulator's CPU per request, measured while (c) iterated 20,000 debtors."""
    if "models" not in results or not results["models"]["tuned"].requests:
        return ""
    tuned = results["models"]["tuned"]
    per_request = tuned.server_cpu / tuned.requests
    return (
        f"- The emulator spent {_ms(per_request)} of CPU per 100-row page (one process, one\n"
        "  lock, so its requests run one at a time); with 8 requests in flight that, as much\n"
        "  as the client, bounds the iteration scenarios.\n"
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def render(results: Results, judged: Sequence[Target], notes: str, fixes: str, load: float) -> str:
    """Return the whole RESULTS.md text (``load``: the load average when the run began).

    ``judged`` are every target measured in this run: the scenarios' (``targets()``) and the
    sections' of their own (emulator, import time), listed together at the top.
    """
    met = sum(target.met for target in judged)
    lines = [target.line() for target in judged]
    return (
        "# Benchmark results\n\n"
        "Generated by `make bench` (`benchmarks/run.py`); do not edit by hand.\n\n"
        f"{machine(load)}\n\n"
        f"## Targets: {met} of {len(judged)} met in this run\n\n" + "\n".join(lines) + "\n\n"
        f"## Scenarios\n\n{table(results)}\n\n"
        f"## How it was measured\n\n{notes}{emulator_cost(results)}\n"
        f"## Library fixes found with this benchmark\n\n{fixes}"
    )
