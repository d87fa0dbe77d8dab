"""Eight worker processes crossing access-token expiry together refresh once, per database.

Each worker is its own process with its own Django configuration; they share only the
database (PostgreSQL started by the tests, or a SQLite file) and the sandbox.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from asperion_orm import MemoryTokenStore
from asperion_orm.testing import Sandbox

from ._workers import request_once, store_token
from .postgres import PostgresServer, start_postgres

PROCESSES = 8


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    server = start_postgres()
    yield server
    server.stop()


@pytest.fixture
def own_sandbox() -> Iterator[Sandbox]:
    """A sandbox of this test's own (a delayed request must not outlive the test)."""
    with Sandbox() as served:
        yield served


def _context() -> Any:
    import multiprocessing

    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["asperion_orm"])
    return ctx


def _eight_workers_cross_expiry(sandbox: Sandbox, database: dict[str, Any]) -> list[Any]:
    """Log in with a 2-second token kept in ``database``; run 8 workers past its expiry."""
    sandbox.set_token_lifetime(2)
    memory = MemoryTokenStore()
    sandbox.client(token_store=memory).close()
    sandbox.set_token_lifetime(3600)
    token = memory.load()
    assert token is not None
    ctx = _context()
    results = ctx.Queue()
    setup = ctx.Process(target=store_token, args=(database, token.to_json(), results))
    setup.start()
    assert results.get(timeout=120) == ("ok", None)
    setup.join(30)
    config = {
        "database": database,
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
        "redirect_uri": sandbox.redirect_uri,
        "base_url": sandbox.base_url,
        "identity_url": sandbox.identity_url,
        "ca_bundle": sandbox.ca_bundle,
        "tenant": sandbox.tenants[0],
    }
    ready, go = ctx.Barrier(PROCESSES + 1), ctx.Event()
    children = [
        ctx.Process(target=request_once, args=(config, ready, go, results))
        for _ in range(PROCESSES)
    ]
    for child in children:
        child.start()
    ready.wait(120)
    time.sleep(max(0.0, token.expires_at - token.leeway - time.time()) + 0.05)
    sandbox.clear_log()
    go.set()
    outcomes = [results.get(timeout=120) for _ in children]
    for child in children:
        child.join(30)
        if child.is_alive():  # pragma: no cover - only on a hang
            child.kill()
    return outcomes


@pytest.mark.slow
def test_eight_processes_on_postgresql_make_one_token_request(
    own_sandbox: Sandbox, postgres: PostgresServer
) -> None:
    outcomes = _eight_workers_cross_expiry(own_sandbox, postgres.database())
    assert outcomes == [("ok", own_sandbox.tenants[0])] * PROCESSES
    assert [e.status for e in own_sandbox.requests(path="/connect/token")] == [200]
    assert len(own_sandbox.requests("GET", "/v1/debtors")) == PROCESSES


@pytest.mark.slow
def test_eight_processes_on_a_sqlite_file_make_one_token_request(
    own_sandbox: Sandbox, tmp_path: Path
) -> None:
    database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(tmp_path / "tokens.sqlite3"),
        "OPTIONS": {"timeout": 60},
    }
    outcomes = _eight_workers_cross_expiry(own_sandbox, database)
    assert outcomes == [("ok", own_sandbox.tenants[0])] * PROCESSES
    assert [e.status for e in own_sandbox.requests(path="/connect/token")] == [200]
    assert len(own_sandbox.requests("GET", "/v1/debtors")) == PROCESSES
