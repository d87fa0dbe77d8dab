"""RedisCacheStore against a real Redis: entries, generations, processes, and Redis going away."""

from __future__ import annotations

import logging
import time

import pytest
import redis

from asperion_orm import Client, RedisCacheStore, RedisTokenStore, TokenStoreUnavailable
from asperion_orm.resources import Debtor
from asperion_orm.testing.sandbox import Sandbox

from ._spawn import KEY, context, reap, start, worker_config
from ._workers import create_debtor
from .conftest import RedisServer


def test_entries_expire_and_large_bodies_are_not_stored(redis_url: str) -> None:
    store = RedisCacheStore(redis_url, prefix="t:", max_bytes=10)
    store.set("small", b"0123456789", ttl=0.2)
    store.set("large", b"0123456789X", ttl=60)
    assert (store.get("small"), store.get("large")) == (b"0123456789", None)
    time.sleep(0.3)
    assert store.get("small") is None
    assert all(key.startswith(b"t:") for key in redis.Redis.from_url(redis_url).scan_iter())


def test_a_generation_is_shared_and_starts_where_no_old_entry_was_written(redis_url: str) -> None:
    first, second = RedisCacheStore(redis_url), RedisCacheStore(redis_url)
    start_at = first.generation("tenant-1/debtors")
    assert start_at >= 2**48  # a lost counter never starts again at a number already used
    assert second.generation("tenant-1/debtors") == start_at
    second.bump("tenant-1/debtors")
    assert first.generation("tenant-1/debtors") == start_at + 1
    assert first.generation("tenant-1/articles") != start_at + 1


def test_a_count_cached_in_one_process_changes_after_another_process_creates_a_row(
    asperion_sandbox: Sandbox, redis_url: str
) -> None:
    tenant = asperion_sandbox.add_administration(records={"debtors": 5})
    reader = asperion_sandbox.client(
        token_store=RedisTokenStore(redis_url, key=KEY), cache_store=RedisCacheStore(redis_url)
    )
    before = len(asperion_sandbox.state.rows(tenant, "debtors"))
    with reader.tenant(tenant):
        assert Debtor.objects.count() == before
        assert Debtor.objects.count() == before
    assert len(asperion_sandbox.requests("GET", "/v1/debtors")) == 1  # the second was cached

    ctx = context()
    results = ctx.Queue()
    writer = start(
        ctx, 1, create_debtor, worker_config(asperion_sandbox, redis_url, tenant), results
    )
    outcome = results.get(timeout=120)
    reap(writer)
    assert outcome[0] == "ok", outcome
    assert len(asperion_sandbox.requests("POST", "/v1/debtors")) == 1

    with reader.tenant(tenant):
        assert Debtor.objects.count() == before + 1
        assert Debtor.objects.count() == before + 1
    assert len(asperion_sandbox.requests("GET", "/v1/debtors")) == 2  # one miss after the write


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "asperion_orm" and r.levelno == logging.WARNING
    ]


def test_redis_going_away_reads_without_the_cache_and_warns_once(
    asperion_sandbox: Sandbox, own_redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    tenant = asperion_sandbox.add_administration(records={"debtors": 3})
    client = asperion_sandbox.client(cache_store=RedisCacheStore(own_redis.url))
    with client.tenant(tenant):
        Debtor.objects.count()
        Debtor.objects.count()
        assert len(asperion_sandbox.requests("GET", "/v1/debtors")) == 1
        own_redis.stop()
        with caplog.at_level(logging.WARNING, logger="asperion_orm"):
            counts = [Debtor.objects.count() for _ in range(3)]
    assert counts == [3, 3, 3]
    assert len(asperion_sandbox.requests("GET", "/v1/debtors")) == 4  # no cache: each asks
    (warning,) = _warnings(caplog)
    assert "cannot be reached" in warning and "without the cache" in warning


def test_redis_going_away_stops_a_refresh_with_a_clear_error(
    asperion_sandbox: Sandbox, own_redis: RedisServer
) -> None:
    asperion_sandbox.set_token_lifetime(2)
    client: Client = asperion_sandbox.client(
        token_store=RedisTokenStore(own_redis.url, key=KEY),
        cache_store=RedisCacheStore(own_redis.url),
    )
    asperion_sandbox.set_token_lifetime(3600)
    tenant = asperion_sandbox.tenants[0]
    assert client.tenant(tenant).get("debtors", cache=False)["_meta"]
    token = client.token  # still valid: read from memory
    own_redis.stop()
    time.sleep(max(0.0, token.expires_at - token.leeway - time.time()) + 0.05)
    asperion_sandbox.clear_log()
    with pytest.raises(TokenStoreUnavailable, match="no token was refreshed"):
        client.tenant(tenant).get("debtors", cache=False)
    assert asperion_sandbox.requests(path="/connect/token") == []  # no refresh without the lock
    assert asperion_sandbox.requests(path="/v1/*") == []


def test_a_write_while_redis_is_away_invalidates_once_it_is_back(
    redis_server: RedisServer, redis_url: str
) -> None:
    """Redis refuses one worker for a while (its user disabled), keeping every key."""
    admin = redis_server.client()
    admin.acl_setuser(
        "worker", enabled=True, passwords=["+worker-pw"], keys=["*"], commands=["+@all"]
    )
    worker_url = redis_url.replace("redis://", "redis://worker:worker-pw@")
    writer = RedisCacheStore(worker_url, retry_interval=0)
    reader = RedisCacheStore(redis_url)
    before = reader.generation("tenant-1/debtors")
    try:
        admin.acl_setuser("worker", enabled=False)
        admin.client_kill_filter(user="worker")
        writer.bump("tenant-1/debtors")  # refused: remembered
        assert reader.generation("tenant-1/debtors") == before
    finally:
        admin.acl_setuser("worker", enabled=True)
    assert writer.get("any key") is None  # Redis answers again: the bump is made
    assert reader.generation("tenant-1/debtors") == before + 1
    admin.acl_deluser("worker")
