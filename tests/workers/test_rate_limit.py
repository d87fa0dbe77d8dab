"""The client's own rate limiter: in memory, shared through Redis, and under the server's limit."""

from __future__ import annotations

import logging

import pytest

from asperion_orm import ConfigurationError, RateLimited, RedisTokenStore, RetryPolicy
from asperion_orm.testing.sandbox import Sandbox

from ._spawn import KEY, context, reap, start, worker_config
from ._workers import hammer
from .conftest import RedisServer

PROCESSES = 4
THREADS = 8
EACH = 3


def test_a_request_that_would_wait_past_its_deadline_is_not_sent(
    asperion_sandbox: Sandbox,
) -> None:
    client = asperion_sandbox.client(rate_limit="1/minute", retry=RetryPolicy(deadline=2))
    session = client.tenant(asperion_sandbox.tenants[0])
    session.get("debtors", cache=False)
    with pytest.raises(RateLimited, match="past its deadline") as caught:
        session.get("debtors", cache=False)
    assert caught.value.retry_after is not None and caught.value.retry_after > 2
    assert len(asperion_sandbox.requests(path="/v1/*")) == 1


def test_the_limit_is_per_administration_and_shared_through_redis(
    asperion_sandbox: Sandbox, redis_url: str
) -> None:
    other_tenant = asperion_sandbox.add_administration()
    first, second = (
        asperion_sandbox.client(
            rate_limit="1/minute", rate_limit_store=redis_url, retry=RetryPolicy(deadline=1)
        )
        for _ in range(2)
    )
    tenant = asperion_sandbox.tenants[0]
    first.tenant(tenant).get("debtors", cache=False)
    with pytest.raises(RateLimited):
        second.tenant(tenant).get("debtors", cache=False)  # another client object, one quota
    second.tenant(other_tenant).get("debtors", cache=False)  # another administration
    assert len(asperion_sandbox.requests(path="/v1/*")) == 2


def test_a_malformed_limit_is_refused(asperion_sandbox: Sandbox) -> None:
    with pytest.raises(ConfigurationError, match="10/second;600/minute"):
        asperion_sandbox.client(rate_limit="ten a second")
    with pytest.raises(ConfigurationError, match="needs rate_limit"):
        asperion_sandbox.client(rate_limit_store="redis://127.0.0.1:1/0")


def test_the_server_429_is_still_honoured(asperion_sandbox: Sandbox) -> None:
    asperion_sandbox.set_rate_limit(1)
    client = asperion_sandbox.client(rate_limit="100/second")
    session = client.tenant(asperion_sandbox.tenants[0])
    for _ in range(3):
        session.get("debtors", cache=False)
    statuses = [e.status for e in asperion_sandbox.requests(path="/v1/*")]
    assert statuses.count(200) == 3 and 429 in statuses


def test_redis_going_away_limits_in_this_process_with_one_warning(
    asperion_sandbox: Sandbox, own_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = asperion_sandbox.client(
        rate_limit="1/minute", rate_limit_store=own_redis.url, retry=RetryPolicy(deadline=1)
    )
    own_redis.stop()
    session = client.tenant(asperion_sandbox.tenants[0])
    with caplog.at_level(logging.WARNING, logger="asperion_orm"):
        session.get("debtors", cache=False)
        with pytest.raises(RateLimited):
            session.get("debtors", cache=False)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "in this process only" in warnings[0]
    assert len(asperion_sandbox.requests(path="/v1/*")) == 1


@pytest.mark.slow
def test_four_processes_of_eight_threads_stay_under_the_server_limit(redis_url: str) -> None:
    """32 workers share a 20/second quota through Redis against a server allowing 20/second."""
    with Sandbox(rate_limit=20) as sandbox:
        sandbox.client(token_store=RedisTokenStore(redis_url, key=KEY))
        config = worker_config(sandbox, redis_url, sandbox.tenants[0])
        config.update(rate_limit="20/second", threads=THREADS, each=EACH)
        ctx = context()
        ready, go, results = ctx.Barrier(PROCESSES + 1), ctx.Event(), ctx.Queue()
        children = start(ctx, PROCESSES, hammer, config, ready, go, results)
        ready.wait(120)
        sandbox.clear_log()
        go.set()
        outcomes = [results.get(timeout=240) for _ in children]
        reap(children)
        statuses = [e.status for e in sandbox.requests(path="/v1/*")]
    assert outcomes == [("ok", THREADS * EACH, [])] * PROCESSES
    assert statuses.count(429) == 0
    assert statuses == [200] * (PROCESSES * THREADS * EACH)
