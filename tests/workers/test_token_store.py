"""RedisTokenStore against a real Redis: storage, encryption, the lock, and workers racing."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from cryptography.fernet import Fernet

from asperion_orm import (
    Client,
    ConfigurationError,
    MemoryTokenStore,
    RedisTokenStore,
    Token,
    TokenStoreUnavailable,
)
from asperion_orm.testing.sandbox import Sandbox

from ._spawn import KEY, context, reap, start, wait_until_expired, worker_config
from ._workers import request_once
from .conftest import RedisServer

PROCESSES = 8


def _token(access: str = "access-1", refresh: str = "refresh-1") -> Token:
    return Token(access, refresh, expires_at=time.time() + 3600, lifetime=3600)


def test_a_token_round_trips_under_its_key(redis_url: str) -> None:
    store = RedisTokenStore(redis_url, key=KEY)
    assert store.load() is None
    store.save(_token())
    loaded = RedisTokenStore(redis.Redis.from_url(redis_url), key=KEY).load()
    assert loaded is not None
    assert (loaded.access_token, loaded.refresh_token) == ("access-1", "refresh-1")
    assert RedisTokenStore(redis_url, key="asperion:sandbox:user-2").load() is None
    store.save(None)
    assert store.load() is None


def test_an_encrypted_token_is_not_stored_in_clear(redis_url: str) -> None:
    fernet = Fernet(Fernet.generate_key())
    store = RedisTokenStore(redis_url, key=KEY, encrypt=(fernet.encrypt, fernet.decrypt))
    store.save(_token(access="access-in-clear", refresh="refresh-in-clear"))
    raw = redis.Redis.from_url(redis_url).get(KEY)
    assert raw is not None and b"in-clear" not in raw
    loaded = store.load()
    assert loaded is not None and loaded.refresh_token == "refresh-in-clear"
    other = Fernet(Fernet.generate_key())
    wrong = RedisTokenStore(redis_url, key=KEY, encrypt=(other.encrypt, other.decrypt))
    with pytest.raises(ConfigurationError, match=r"cannot be decrypted.*log in again"):
        wrong.load()


def test_a_damaged_value_says_to_log_in_again(redis_url: str) -> None:
    redis.Redis.from_url(redis_url).set(KEY, b"{not json")
    with pytest.raises(ConfigurationError, match=r"damaged.*log in again"):
        RedisTokenStore(redis_url, key=KEY).load()


def test_the_lock_excludes_another_store_on_the_same_key(redis_url: str) -> None:
    holder = RedisTokenStore(redis_url, key=KEY)
    other = RedisTokenStore(redis_url, key=KEY, lock_wait=0.3)
    elsewhere = RedisTokenStore(redis_url, key="asperion:sandbox:user-2", lock_wait=0.3)
    with holder.lock():
        with pytest.raises(TokenStoreUnavailable, match="held the refresh lock"), other.lock():
            pass
        with elsewhere.lock():  # another grant has its own lock
            pass
    with other.lock():
        pass


def test_a_live_holder_keeps_the_lock_past_its_timeout(redis_url: str) -> None:
    holder = RedisTokenStore(redis_url, key=KEY, lock_timeout=0.6)
    other = RedisTokenStore(redis_url, key=KEY, lock_wait=2.4)
    with holder.lock(), pytest.raises(TokenStoreUnavailable), other.lock():
        pass  # other.lock() waits 2.4 s: four lock timeouts


def test_a_lock_given_up_by_its_holder_expires(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.set(f"{KEY}:lock", "a-worker-that-died", px=300)  # what a killed holder leaves
    started = time.monotonic()
    with RedisTokenStore(redis_url, key=KEY, lock_wait=10).lock():
        assert client.get(f"{KEY}:lock") != b"a-worker-that-died"
    assert time.monotonic() - started < 10


def test_a_claimed_refresh_token_is_not_spent_twice(redis_url: str) -> None:
    """A holder whose lock expired under it keeps its claim; the next holder waits for it."""
    slow = RedisTokenStore(redis_url, key=KEY)
    slow.save(_token())
    claimed, lost, saved = threading.Event(), threading.Event(), threading.Event()

    def slow_refresh() -> None:
        with slow.lock():
            assert slow.claim("refresh-1")
            claimed.set()
            lost.wait(10)  # the token request is on the wire; the lock expires meanwhile
            slow.save(_token(access="access-2", refresh="refresh-2"))
            saved.set()

    worker = threading.Thread(target=slow_refresh)
    worker.start()
    claimed.wait(10)
    redis.Redis.from_url(redis_url).delete(f"{KEY}:lock")  # as if it had expired
    successor = RedisTokenStore(redis_url, key=KEY, lock_wait=1)
    with successor.lock():
        lost.set()
        assert successor.claim("refresh-1") is False  # it waited: read the store again
        stored = successor.load()  # the holder's new pair was saved before claim() returned
        assert stored is not None and stored.refresh_token == "refresh-2"
    assert saved.wait(10)
    worker.join(10)
    loaded = successor.load()
    assert loaded is not None and loaded.refresh_token == "refresh-2"


def test_a_rotated_refresh_token_stays_marked_spent(redis_url: str) -> None:
    first, second = RedisTokenStore(redis_url, key=KEY), RedisTokenStore(redis_url, key=KEY)
    first.save(_token())
    with first.lock():
        assert first.claim("refresh-1")
        first.save(_token(access="access-2", refresh="refresh-2"))
    with second.lock():
        assert second.claim("refresh-1") is False  # spent: read the store again
        assert second.claim("refresh-2") is True


def test_a_finished_refresh_drops_its_claim(redis_url: str) -> None:
    """A server that does not rotate refresh tokens: the same token is claimed again at once."""
    first, second = RedisTokenStore(redis_url, key=KEY), RedisTokenStore(redis_url, key=KEY)
    with first.lock():
        assert first.claim("refresh-1")
    with second.lock():
        assert second.claim("refresh-1")
    assert list(redis.Redis.from_url(redis_url).scan_iter(f"{KEY}:claim:*")) == []


def test_redis_down_refuses_to_load_or_lock(own_redis: RedisServer) -> None:
    store = RedisTokenStore(own_redis.url, key=KEY)
    own_redis.stop()
    with pytest.raises(TokenStoreUnavailable, match="Could not read the token in Redis"):
        store.load()
    with (
        pytest.raises(TokenStoreUnavailable, match="Could not take the refresh lock"),
        store.lock(),
    ):
        pass


# -- workers on one Redis crossing access-token expiry together ------------------------------


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    """Return a sandbox of this test's own (a delayed request must not outlive the test)."""
    with Sandbox() as own:
        yield own


def _logged_in(sandbox: Sandbox, redis_url: str, lock: float) -> tuple[Client, dict[str, Any]]:
    """Log in with a 2-second token stored in Redis; return the client and the worker config."""
    sandbox.set_token_lifetime(2)
    client = sandbox.client(token_store=RedisTokenStore(redis_url, key=KEY, lock_timeout=lock))
    sandbox.set_token_lifetime(3600)
    return client, worker_config(sandbox, redis_url, sandbox.tenants[0], lock)


@pytest.mark.slow
def test_eight_processes_on_one_redis_make_one_token_request(
    sandbox: Sandbox, redis_url: str
) -> None:
    client, config = _logged_in(sandbox, redis_url, lock=30)
    ctx = context()
    ready, go, results = ctx.Barrier(PROCESSES + 1), ctx.Event(), ctx.Queue()
    children = start(ctx, PROCESSES, request_once, config, ready, go, results)
    ready.wait(120)
    wait_until_expired(client)
    sandbox.clear_log()
    go.set()
    outcomes = [results.get(timeout=120) for _ in children]
    reap(children)
    assert outcomes == [("ok", sandbox.tenants[0])] * PROCESSES
    assert [e.status for e in sandbox.requests(path="/connect/token")] == [200]  # 0 invalid_grant
    assert len(sandbox.requests("GET", "/v1/debtors")) == PROCESSES


@pytest.mark.slow
def test_workers_recover_when_the_lock_holder_is_killed_mid_refresh(
    sandbox: Sandbox, redis_url: str
) -> None:
    """The holder is killed while the server holds its token request; the others take over.

    The server has not acted on the killed worker's request (it is held for a minute), so its
    refresh token is still good: the next lock holder spends it once, after the killed
    worker's lock and claim expire (``lock_timeout``, 2 s here).
    """
    client, config = _logged_in(sandbox, redis_url, lock=2)
    ctx = context()
    held = sandbox.inject("POST", "/connect/token", fault="slow", delay=60)
    first_ready, first_go, first_results = ctx.Barrier(2), ctx.Event(), ctx.Queue()
    (holder,) = start(ctx, 1, request_once, config, first_ready, first_go, first_results)
    ready, go, results = ctx.Barrier(PROCESSES), ctx.Event(), ctx.Queue()
    others = start(ctx, PROCESSES - 1, request_once, config, ready, go, results)
    first_ready.wait(120)
    ready.wait(120)
    wait_until_expired(client)
    sandbox.clear_log()
    first_go.set()
    deadline = time.monotonic() + 60
    while held.fired == 0 and time.monotonic() < deadline:
        time.sleep(0.02)  # until the holder's token request is in the server
    assert held.fired == 1
    go.set()  # the others now wait for the lock
    time.sleep(0.5)
    os.kill(holder.pid, signal.SIGKILL)
    outcomes = [results.get(timeout=120) for _ in others]
    reap([holder, *others])
    assert outcomes == [("ok", sandbox.tenants[0])] * (PROCESSES - 1)
    assert [e.status for e in sandbox.requests(path="/connect/token")] == [200]  # 0 invalid_grant
    assert len(sandbox.requests("GET", "/v1/debtors")) == PROCESSES - 1


class LaggingStore(MemoryTokenStore):
    """A store whose next read under the lock returns the token it held before the last save.

    As a replica that has not caught up would: the refresh token it shows was already spent.
    """

    def __init__(self) -> None:
        super().__init__()
        self.previous: Token | None = None
        self.lag_once = False

    def save(self, token: Token | None) -> None:
        self.previous = self.load()
        super().save(token)

    def load(self) -> Token | None:
        if self.lag_once:
            self.lag_once = False
            return self.previous
        return super().load()


def test_invalid_grant_reads_the_store_again_before_declaring_the_grant_dead(
    asperion_sandbox: Sandbox,
) -> None:
    store = LaggingStore()
    asperion_sandbox.set_token_lifetime(2)
    slow = asperion_sandbox.client(token_store=store)
    asperion_sandbox.set_token_lifetime(3600)
    other = Client(
        asperion_sandbox.client_id,
        asperion_sandbox.client_secret,
        asperion_sandbox.redirect_uri,
        base_url=asperion_sandbox.base_url,
        identity_url=asperion_sandbox.identity_url,
        ca_bundle=asperion_sandbox.ca_bundle,
        token_store=store,
    )
    wait_until_expired(slow)
    tenant = asperion_sandbox.tenants[0]
    asperion_sandbox.clear_log()
    other.tenant(tenant).get("debtors", cache=False)  # rotates the refresh token
    rotated = store.load()
    store.lag_once = True  # the slow worker reads the spent refresh token
    slow.tenant(tenant).get("debtors", cache=False)
    assert [e.status for e in asperion_sandbox.requests(path="/connect/token")] == [200, 400]
    assert store.load() == rotated  # the grant is alive: nothing was dropped
    assert slow.token == rotated
