"""Many workers, one quota: 4 processes x 8 threads share a 20/second limit through Redis.

The sandbox allows 20 API requests per second (429 beyond); every worker's client holds the
same limit in a Redis started here (``redis-server`` on a free port, persistence off). The
figure is the throughput the workers reach, next to the limit, and the 429s they got.
Run alone: ``python benchmarks/workers.py``; ``run.py`` runs it as its last scenario.
"""

from __future__ import annotations

import multiprocessing
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import Any

PROCESSES = 4
THREADS = 8
EACH = 10
LIMIT = 20
SUMMARY = (
    f"{PROCESSES} processes x {THREADS} threads, each client limited to {LIMIT}/second through "
    f"one Redis, against a sandbox allowing {LIMIT} requests/second (429 beyond)."
)


@dataclass(frozen=True)
class Throughput:
    """What the workers achieved against the rate-limited sandbox."""

    requests: int
    seconds: float
    rate_429: int
    token_requests: int

    def describe(self) -> str:
        """Return the figure as one line of text."""
        rate = self.requests / self.seconds
        return (
            f"{PROCESSES} processes x {THREADS} threads, {self.requests} GETs in "
            f"{self.seconds:.2f} s: {rate:.1f} requests/s = {rate / LIMIT:.0%} of the "
            f"{LIMIT}/s limit; {self.rate_429} x 429, {self.token_requests} token requests"
        )


def _worker(config: dict[str, Any], ready: Any, go: Any, results: Any) -> None:
    from asperion_orm import Client, RedisTokenStore

    client = Client(
        config["client_id"],
        config["client_secret"],
        config["redirect_uri"],
        base_url=config["base_url"],
        identity_url=config["identity_url"],
        ca_bundle=config["ca_bundle"],
        token_store=RedisTokenStore(config["redis"], key="bench:user"),
        rate_limit=f"{LIMIT}/second",
        rate_limit_store=config["redis"],
        max_concurrency=THREADS,
    )
    session = client.tenant(config["tenant"])
    failures: list[str] = []

    def work() -> None:
        for _ in range(EACH):
            try:
                session.get("debtors", [("pageSize", "1")], cache=False)
            except Exception as exc:
                failures.append(type(exc).__name__)

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    ready.wait(120)
    go.wait(120)
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put(failures)


def _redis(directory: str) -> tuple[subprocess.Popen[bytes], str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is missing: apt-get install -y redis-server")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "",
               "--appendonly", "no", "--dir", directory]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(200):
        try:
            redis.Redis.from_url(url).ping()
            return process, url
        except redis.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("redis-server did not start")


def measure() -> Throughput:
    """Run the workload once and return its throughput."""
    from asperion_orm import RedisTokenStore
    from asperion_orm.testing import Sandbox

    with tempfile.TemporaryDirectory() as directory:
        process, url = _redis(directory)
        try:
            with Sandbox(rate_limit=LIMIT) as sandbox:
                sandbox.client(token_store=RedisTokenStore(url, key="bench:user"))
                config = {
                    "client_id": sandbox.client_id,
                    "client_secret": sandbox.client_secret,
                    "redirect_uri": sandbox.redirect_uri,
                    "base_url": sandbox.base_url,
                    "identity_url": sandbox.identity_url,
                    "ca_bundle": sandbox.ca_bundle,
                    "redis": url,
                    "tenant": sandbox.tenants[0],
                }
                return _run(sandbox, config)
        finally:
            process.terminate()
            process.wait(20)


def _run(sandbox: Any, config: dict[str, Any]) -> Throughput:
    ctx = multiprocessing.get_context("forkserver")
    ready, go, results = ctx.Barrier(PROCESSES + 1), ctx.Event(), ctx.Queue()
    children = [
        ctx.Process(target=_worker, args=(config, ready, go, results)) for _ in range(PROCESSES)
    ]
    for child in children:
        child.start()
    ready.wait(120)
    time.sleep(1.1)  # the server's bucket is full again after the login
    sandbox.clear_log()
    started = time.perf_counter()
    go.set()
    failures = [failure for _ in children for failure in results.get(timeout=600)]
    seconds = time.perf_counter() - started
    for child in children:
        child.join(30)
    if failures:
        raise SystemExit(f"workers failed: {sorted(set(failures))}")
    statuses = [entry.status for entry in sandbox.requests(path="/v1/*")]
    tokens = len(sandbox.requests(path="/connect/token"))
    return Throughput(statuses.count(200), seconds, statuses.count(429), tokens)


if __name__ == "__main__":
    print(measure().describe())
