"""``Pace``: whether workers pay, from how long answers keep the client waiting."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from asperion_orm.http.pace import RECENT, Pace, ThreadClock

MS = 0.001


def test_a_client_that_measured_nothing_uses_workers() -> None:
    assert Pace().threads_pay()
    assert Pace().medians() == (0.0, 0.0)


def test_answers_that_come_back_at_once_are_read_in_the_calling_thread() -> None:
    pace = Pace()
    for _ in range(RECENT):
        pace.record(wait=0.3 * MS, work=1.5 * MS)  # a sandbox on the same machine
    assert not pace.threads_pay()


def test_answers_that_wait_on_the_network_go_to_workers() -> None:
    pace = Pace()
    pace.record(wait=30 * MS, work=1.5 * MS)  # the real API, one round trip away
    assert pace.threads_pay()


def test_the_readers_own_work_counts_against_the_wait() -> None:
    pace = Pace()
    pace.record(wait=1 * MS, work=1 * MS)
    assert pace.threads_pay(reading=0.0)  # half the work is 0.5 ms: the wait is more
    assert not pace.threads_pay(reading=2 * MS)  # building models takes longer than the wait


def test_one_slow_answer_among_fast_ones_does_not_switch_to_workers() -> None:
    pace = Pace()
    for wait in (0.2, 0.3, 80.0, 0.2, 0.3):  # a pause for garbage collection, say
        pace.record(wait=wait * MS, work=1.5 * MS)
    assert not pace.threads_pay()
    assert pace.medians() == (0.3 * MS, 1.5 * MS)


def test_a_server_that_turns_slow_switches_within_a_few_answers() -> None:
    pace = Pace()
    for _ in range(RECENT):
        pace.record(wait=0.2 * MS, work=1.5 * MS)
    for _ in range(RECENT // 2):
        pace.record(wait=40 * MS, work=1.5 * MS)
    assert not pace.threads_pay()  # two slow answers of the last five: not yet
    pace.record(wait=40 * MS, work=1.5 * MS)
    assert pace.threads_pay()  # three of five: the median is slow


def test_measure_counts_sleeping_as_wait_and_computing_as_work() -> None:
    pace = Pace()
    assert pace.measure(lambda: time.sleep(20 * MS) or "answer") == "answer"
    wait, work = pace.medians()
    # time.sleep waits at least 20 ms using no CPU (less any wait for a CPU when it wakes).
    assert wait >= 10 * MS
    assert work < wait

    busy = Pace()
    began = time.thread_time()
    busy.measure(lambda: sum(range(300_000)))
    spent = time.thread_time() - began
    wait, work = busy.medians()
    assert 0 < work <= spent  # the thread's own CPU time, not the wall time


def test_repr_shows_the_medians() -> None:
    pace = Pace()
    pace.record(wait=2 * MS, work=1 * MS)
    assert repr(pace) == "<Pace wait 2.00 ms, work 1.00 ms a request>"


SCHEDSTAT = Path("/proc/thread-self/schedstat")


def test_the_thread_clock_counts_this_threads_cpu_time() -> None:
    clock = ThreadClock()
    cpu, _ = clock.read()
    sum(range(500_000))
    later, _ = clock.read()
    assert later > cpu
    assert abs(later - time.thread_time()) < 0.05  # the same clock as time.thread_time()


@pytest.mark.skipif(not SCHEDSTAT.exists(), reason="the time spent waiting for a CPU is Linux's")
def test_a_thread_starved_of_cpu_is_not_taken_for_a_slow_server() -> None:
    # This thread and a busy process share one CPU: a call that only computes takes about
    # twice its CPU time, and the half spent waiting for the CPU is no wait on a server.
    cpu = min(os.sched_getaffinity(0))
    before = os.sched_getaffinity(0)
    busy = subprocess.Popen(
        [sys.executable, "-c", f"import os; os.sched_setaffinity(0, {{{cpu}}})\nwhile True: pass"]
    )
    try:
        os.sched_setaffinity(0, {cpu})  # this thread only
        time.sleep(0.05)  # the busy process is running
        pace = Pace()
        began = time.perf_counter()
        pace.measure(lambda: sum(range(3_000_000)))
        took = time.perf_counter() - began
    finally:
        os.sched_setaffinity(0, before)
        busy.kill()
        busy.wait()
    wait, work = pace.medians()
    assert took > 1.3 * work  # the thread did wait for the CPU...
    assert not pace.threads_pay()  # ...and that is not counted as waiting on a server
    assert wait < 0.5 * work
