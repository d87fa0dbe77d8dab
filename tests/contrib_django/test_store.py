"""DatabaseTokenStore in one process: round trip, damage, the lock, and refresh through it."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connections

from asperion_orm import ConfigurationError, TokenStore
from asperion_orm.contrib.django import DatabaseTokenStore
from asperion_orm.contrib.django.models import StoredToken
from asperion_orm.http.tokens import Token
from asperion_orm.testing import Sandbox


def _token(access: str = "access-1", refresh: str = "refresh-1") -> Token:
    return Token(access, refresh, expires_at=time.time() + 3600, lifetime=3600)


@pytest.fixture
def store(token_table: None) -> DatabaseTokenStore:
    StoredToken.objects.using("asperion").all().delete()
    return DatabaseTokenStore("user:1", using="asperion")


def test_it_is_a_token_store(store: DatabaseTokenStore) -> None:
    assert isinstance(store, TokenStore)
    assert "access" not in repr(store) and store.load() is None


def test_a_token_round_trips_in_its_own_row(store: DatabaseTokenStore) -> None:
    other = DatabaseTokenStore("user:2", using="asperion")
    store.save(_token())
    other.save(_token("access-2", "refresh-2"))
    loaded = store.load()
    assert loaded is not None and (loaded.access_token, loaded.refresh_token) == (
        "access-1",
        "refresh-1",
    )
    assert StoredToken.objects.using("asperion").count() == 2
    store.save(None)
    assert store.load() is None and other.load() is not None


def test_a_damaged_row_says_to_connect_again(store: DatabaseTokenStore) -> None:
    StoredToken.objects.using("asperion").create(grant="user:1", value="{not json")
    with pytest.raises(ConfigurationError, match=r"damaged .*connect again"):
        store.load()


@pytest.mark.parametrize("grant", ["", "x" * 201, 42])
def test_a_bad_grant_is_refused(grant: Any) -> None:
    with pytest.raises(ConfigurationError, match="grant"):
        DatabaseTokenStore(grant)


def test_the_lock_excludes_another_thread_and_is_reentrant(store: DatabaseTokenStore) -> None:
    order: list[str] = []
    with store.lock():
        with store.lock():
            store.save(_token())
        thread = threading.Thread(target=lambda: _locked(store, order))
        thread.start()
        time.sleep(0.2)
        order.append("holder done")
    thread.join(10)
    assert order == ["holder done", "other locked"]


def _locked(store: DatabaseTokenStore, order: list[str]) -> None:
    try:
        with store.lock():
            order.append("other locked")
    finally:
        connections.close_all()


def test_a_client_refreshes_an_expired_token_through_the_row(
    store: DatabaseTokenStore, sandbox: Sandbox
) -> None:
    sandbox.set_token_lifetime(2)
    client = sandbox.client(token_store=store, cache_ttl=0)
    sandbox.set_token_lifetime(3600)
    first = store.load()
    assert first is not None
    time.sleep(max(0.0, first.expires_at - first.leeway - time.time()) + 0.05)
    sandbox.clear_log()
    client.tenant(sandbox.tenants[0]).get("debtors", cache=False)
    assert [e.status for e in sandbox.requests(path="/connect/token")] == [200]
    second = store.load()
    assert second is not None and second.access_token != first.access_token
    assert second.grant_id == first.grant_id
    client.close()
