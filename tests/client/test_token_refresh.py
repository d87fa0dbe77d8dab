"""Token refresh races against the sandbox: threads and processes crossing expiry."""

from __future__ import annotations

import dataclasses
import multiprocessing
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from asperion_orm import Client, FileTokenStore
from asperion_orm.exceptions import ReauthorizationRequired

from ._worker import refresh_in_child
from .conftest import RecordingTokenStore, SecretRegistry

THREADS = 50
PROCESSES = 8


def _wait_until_expired(client: Client) -> None:
    """Sleep (briefly: lifetimes here are about 2 s) until the client must refresh."""
    token = client.token_store.load()
    assert token is not None
    time.sleep(max(0.0, token.expires_at - token.leeway - time.time()) + 0.05)


def _hammer(client: Client, tenant: int, count: int) -> tuple[int, list[str]]:
    """Make ``count`` requests at once from as many threads; return successes and errors."""
    barrier = threading.Barrier(count)
    successes: list[int] = []
    errors: list[str] = []

    def work() -> None:
        barrier.wait(10)
        try:
            client.tenant(tenant).get("debtors", [("pageSize", "1")], cache=False)
            successes.append(1)
        except Exception as exc:
            errors.append(type(exc).__name__)

    threads = [threading.Thread(target=work) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return len(successes), errors


def test_fifty_threads_crossing_expiry_make_one_token_request(
    asperion_sandbox: Any, sandbox_client: Callable[..., Client]
) -> None:
    asperion_sandbox.set_token_lifetime(2)
    client = sandbox_client(max_concurrency=THREADS)
    asperion_sandbox.set_token_lifetime(3600)
    _wait_until_expired(client)
    asperion_sandbox.clear_log()
    successes, errors = _hammer(client, asperion_sandbox.tenants[0], THREADS)
    assert (successes, errors) == (THREADS, [])
    assert len(asperion_sandbox.requests(path="/connect/token")) == 1
    assert len(asperion_sandbox.requests(path="/v1/debtors")) == THREADS


def test_fifty_threads_refused_with_401_make_one_token_request(
    asperion_sandbox: Any, sandbox_client: Callable[..., Client], secrets_seen: SecretRegistry
) -> None:
    """The server expired the token although the client's clock says it is still good."""
    asperion_sandbox.set_token_lifetime(1)
    first = sandbox_client()
    asperion_sandbox.set_token_lifetime(3600)
    token = first.token_store.load()
    assert token is not None
    store = RecordingTokenStore(secrets_seen)
    store.save(dataclasses.replace(token, expires_at=time.time() + 3600, lifetime=3600))
    client = Client(
        asperion_sandbox.client_id,
        asperion_sandbox.client_secret,
        asperion_sandbox.redirect_uri,
        base_url=asperion_sandbox.base_url,
        identity_url=asperion_sandbox.identity_url,
        ca_bundle=asperion_sandbox.ca_bundle,
        token_store=store,
        max_concurrency=THREADS,
    )
    time.sleep(1.1)
    asperion_sandbox.clear_log()
    with client:
        successes, errors = _hammer(client, asperion_sandbox.tenants[0], THREADS)
    assert (successes, errors) == (THREADS, [])
    assert [e.status for e in asperion_sandbox.requests(path="/connect/token")] == [200]
    assert len(asperion_sandbox.requests(path="/v1/debtors")) >= THREADS + 1


def test_eight_processes_sharing_a_file_store_refresh_once(
    asperion_sandbox: Any,
    sandbox_client: Callable[..., Client],
    tmp_path: Path,
    secrets_seen: SecretRegistry,
) -> None:
    store = FileTokenStore(tmp_path / "tokens.json")
    asperion_sandbox.set_token_lifetime(2)
    client = sandbox_client(token_store=store)
    asperion_sandbox.set_token_lifetime(3600)
    secrets_seen.add_token(store.load())
    config = {
        "client_id": asperion_sandbox.client_id,
        "client_secret": asperion_sandbox.client_secret,
        "redirect_uri": asperion_sandbox.redirect_uri,
        "base_url": asperion_sandbox.base_url,
        "identity_url": asperion_sandbox.identity_url,
        "ca_bundle": asperion_sandbox.ca_bundle,
        "store": str(store.path),
        "tenant": asperion_sandbox.tenants[0],
    }
    # A fork server starts clean (no sandbox threads) and imports the library once.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["asperion_orm"])
    ready, go = context.Barrier(PROCESSES + 1), context.Event()
    results = context.Queue()
    children = [
        context.Process(target=refresh_in_child, args=(config, ready, go, results))
        for _ in range(PROCESSES)
    ]
    for child in children:
        child.start()
    ready.wait(60)
    _wait_until_expired(client)
    asperion_sandbox.clear_log()
    go.set()
    outcomes = [results.get(timeout=60) for _ in children]
    for child in children:
        child.join(10)
        if child.is_alive():  # pragma: no cover - only on a hang
            child.kill()
    secrets_seen.add_token(store.load())
    token_requests = asperion_sandbox.requests(path="/connect/token")
    assert outcomes == [("ok", asperion_sandbox.tenants[0])] * PROCESSES
    assert len(token_requests) == 1
    assert [e.status for e in token_requests] == [200]  # 0 invalid_grant


def test_a_revoked_refresh_token_needs_login_after_one_request(
    asperion_sandbox: Any, sandbox_client: Callable[..., Client]
) -> None:
    asperion_sandbox.set_token_lifetime(2)
    client = sandbox_client()
    asperion_sandbox.set_token_lifetime(3600)
    token = client.token_store.load()
    assert token is not None
    asperion_sandbox.state.tokens.refresh.clear()  # the server forgot every refresh token
    _wait_until_expired(client)
    asperion_sandbox.clear_log()
    for _ in range(3):
        with pytest.raises(ReauthorizationRequired, match="authorization_url"):
            client.tenant(asperion_sandbox.tenants[0]).get("debtors")
    assert [e.status for e in asperion_sandbox.requests(path="/connect/token")] == [400]
    assert asperion_sandbox.requests(path="/v1/*") == []
