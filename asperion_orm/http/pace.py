"""``Pace``: how long a client's answers keep it waiting, against its own work on them.

Threads pay off when a request mostly waits: on the network, on the server. They cost when it
does not: every worker parses JSON under the one interpreter lock, and handing that lock back
and forth between a reader and busy workers costs about a third of the client's CPU. A server
that answers at once (a local emulator, a cassette, a fast network) is read fastest one page
after the other in the calling thread; the real API, tens of milliseconds away, is read fastest
by ``max_concurrency`` workers. ``Session.get_many`` asks ``Pace`` which of the two it faces.

A request is measured only when it runs alone in the calling thread, never on a worker, where
waiting for the lock would pass for waiting on the server: its wait is its wall time less the
CPU time the thread spent on it (sending, reading, decrypting, parsing) and, on Linux, less the
time the thread was ready to run but had no CPU (a busy machine is no slow server, and threads
would not help it). Both are the medians of
the last few requests, so an odd slow answer (a pause for garbage collection, a busy moment on
the server) does not switch to threads, while a server that is slow from now on does within a
few requests; a client that has measured nothing yet uses threads.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TypeVar

__all__ = ["THREADS_ABOVE", "Pace", "ThreadClock"]

T = TypeVar("T")

THREADS_ABOVE = 0.5
"""Threads are used once an answer waits more than this share of the client's work on it.

Below it, the interpreter lock's hand-offs cost about as much as the overlap saves; at 0.5 the
wait is already half the work, and the real API's (tens of milliseconds against about one
millisecond of work a page) is far above it.
"""

RECENT = 5
"""How many of the latest requests the medians are taken over."""


class Pace:
    """The latest requests' wait on the server and the client's own work on each."""

    __slots__ = ("_recent",)

    def __init__(self) -> None:
        self._recent: deque[tuple[float, float]] = deque(maxlen=RECENT)

    def __repr__(self) -> str:
        wait, work = self.medians()
        return f"<Pace wait {wait * 1000:.2f} ms, work {work * 1000:.2f} ms a request>"

    def measure(self, call: Callable[[], T]) -> T:
        """Run ``call`` (one request, alone in this thread) and record its wait and work."""
        clock = _thread_clock()
        began, (cpu, queued) = time.perf_counter(), clock.read()
        result = call()
        took, (cpu_after, queued_after) = time.perf_counter() - began, clock.read()
        work = cpu_after - cpu
        self.record(max(0.0, took - work - (queued_after - queued)), work)
        return result

    def record(self, wait: float, work: float) -> None:
        """Add one request: ``wait`` seconds on the server, ``work`` seconds of this thread."""
        self._recent.append((wait, work))  # one atomic step: threads may record at once

    def medians(self) -> tuple[float, float]:
        """Return the median wait and work of the latest requests (the upper one of an even
        count; zeros before any)."""
        recent = list(self._recent)
        if not recent:
            return 0.0, 0.0
        middle = len(recent) // 2
        return (
            sorted(wait for wait, _ in recent)[middle],
            sorted(work for _, work in recent)[middle],
        )

    def threads_pay(self, reading: float = 0.0) -> bool:
        """Tell whether workers would read faster than the calling thread alone.

        ``reading``: the caller's own time on each answer (building models from it), which
        the calling thread spends between requests when it reads alone.
        """
        if not self._recent:
            return True
        wait, work = self.medians()
        return wait > THREADS_ABOVE * (work + reading)


class ThreadClock:
    """One thread's CPU time and the time it waited, ready to run, for a CPU (in seconds).

    The CPU time is ``time.thread_time()``. Linux keeps the wait in
    ``/proc/thread-self/schedstat``, read through a file descriptor that stays open for the
    thread's lifetime (about a microsecond a read); elsewhere, or where the file cannot be
    read, the wait counts as 0.
    """

    def __init__(self) -> None:
        self.pid = os.getpid()
        try:
            self._fd: int | None = os.open("/proc/thread-self/schedstat", os.O_RDONLY)
            self.read()
        except (OSError, ValueError):
            self.close()

    def __del__(self) -> None:
        self.close()

    def read(self) -> tuple[float, float]:
        """Return the seconds on a CPU and the seconds waited for one, since the thread began."""
        if self._fd is None:
            return time.thread_time(), 0.0
        # The file's own CPU time lags (it is brought up to date when the thread is switched
        # out); the wait for a CPU is complete whenever the thread itself reads it.
        queued = os.pread(self._fd, 128, 0).split()[1]
        return time.thread_time(), int(queued) / 1e9

    def close(self) -> None:
        """Close the file (the clock then falls back to ``time.thread_time()``)."""
        fd, self._fd = getattr(self, "_fd", None), None
        if fd is not None:
            os.close(fd)


_clocks = threading.local()


def _thread_clock() -> ThreadClock:
    """Return the calling thread's clock (a forked child opens its own)."""
    clock: ThreadClock | None = getattr(_clocks, "clock", None)
    if clock is None or clock.pid != os.getpid():
        clock = _clocks.clock = ThreadClock()
    return clock
