"""Async overhead: the async twins against the sync path they run, over the emulator.

Two figures, each a ratio async / sync (1.00x: no overhead):
- 50 concurrent ``acount()`` at 50 ms latency against a pool of ``max_concurrency`` threads
  each running ``count()`` (both should take ⌈50 / 8⌉ round trips);
- one ``aget(pk=...)`` against one ``get(pk=...)`` at no added latency, cache off: the
  thread hand-off's cost per call.
Run alone: ``python benchmarks/async_overhead.py``; ``run.py`` runs it as a scenario.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

CONCURRENT = 50
LATENCY = 0.05
SINGLE_RUNS = 200
SUMMARY = (
    f"{CONCURRENT} concurrent `acount()` at {LATENCY * 1000:.0f} ms latency against a pool of "
    "`max_concurrency` (8) threads running `count()`, and one `aget()` against one `get()` "
    "(no added latency, response cache off); medians of 5 and of "
    f"{SINGLE_RUNS} runs, each version in turn."
)


@dataclass(frozen=True)
class Overhead:
    """The medians of both versions of both workloads, in seconds."""

    many_async: float
    many_sync: float
    one_async: float
    one_sync: float

    def describe(self) -> str:
        """Return the figures as two lines of text."""
        rounds = -(-CONCURRENT // 8) * LATENCY
        return (
            f"{CONCURRENT} x acount(): {self.many_async * 1000:.0f} ms vs "
            f"{self.many_sync * 1000:.0f} ms for count() on 8 threads = "
            f"{self.many_async / self.many_sync:.2f}x "
            f"(⌈{CONCURRENT} / 8⌉ x {LATENCY * 1000:.0f} ms = {rounds * 1000:.0f} ms)\n"
            f"- one aget(): {self.one_async * 1000:.2f} ms vs {self.one_sync * 1000:.2f} ms for "
            f"get() = {self.one_async / self.one_sync:.2f}x "
            f"(+{(self.one_async - self.one_sync) * 1e6:.0f} us per call)"
        )


def measure() -> Overhead:
    """Run both workloads against a fresh sandbox and return the medians."""
    from asperion_orm.resources import Debtor
    from asperion_orm.testing import Sandbox

    with Sandbox(records={"debtors": 100}) as sandbox, sandbox.client(cache_ttl=0) as client:
        session = client.tenant(sandbox.tenants[0])
        pk = Debtor.objects.using(session).order_by("id").values_list("id", flat=True)[0]
        with session:
            sandbox.set_latency(LATENCY)
            many = _medians(5, lambda: _many_async(Debtor), lambda: _many_sync(Debtor, session))
            sandbox.set_latency(0)
            one = asyncio.run(_singles(Debtor, pk))
    return Overhead(*many, *one)


def _medians(runs: int, first: Callable[[], Any], second: Callable[[], Any]) -> tuple[float, float]:
    """Return the median wall time of each callable, run in turn after one warm-up each."""
    first(), second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(runs):
        for spent, call in zip(times, (first, second), strict=True):
            started = time.perf_counter()
            call()
            spent.append(time.perf_counter() - started)
    return statistics.median(times[0]), statistics.median(times[1])


def _many_async(model: Any) -> list[int]:
    async def counts() -> list[int]:
        return await asyncio.gather(*(model.objects.acount() for _ in range(CONCURRENT)))

    return asyncio.run(counts())


def _many_sync(model: Any, session: Any) -> list[int]:
    with ThreadPoolExecutor(8) as pool:  # each thread counts through the same session
        return list(pool.map(lambda _: model.objects.using(session).count(), range(CONCURRENT)))


async def _singles(model: Any, pk: int) -> tuple[float, float]:
    """Return the median time of one aget() and of one get(), timed in turn in one loop."""
    await model.objects.aget(pk=pk), model.objects.get(pk=pk)
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(SINGLE_RUNS):
        started = time.perf_counter()
        await model.objects.aget(pk=pk)
        middle = time.perf_counter()
        model.objects.get(pk=pk)
        times[0].append(middle - started)
        times[1].append(time.perf_counter() - middle)
    return statistics.median(times[0]), statistics.median(times[1])


if __name__ == "__main__":
    print(measure().describe())
