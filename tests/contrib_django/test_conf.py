"""The shared clients: built once per process and grant, from threads too; per-user grants."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import RequestFactory, override_settings

from asperion_orm import ConfigurationError
from asperion_orm.contrib.django import DatabaseTokenStore, client_for, get_client
from asperion_orm.contrib.django.conf import grant_for


def test_threads_share_one_client_built_once(configured: dict[str, Any]) -> None:
    with ThreadPoolExecutor(8) as pool:
        clients = list(pool.map(lambda _: get_client(), range(32)))
    assert all(client is clients[0] for client in clients)
    store = clients[0].token_store
    assert isinstance(store, DatabaseTokenStore)
    assert (store.grant, store.using) == ("default", "asperion")


def test_each_grant_has_its_own_client(configured: dict[str, Any]) -> None:
    first, second = client_for("user:1"), client_for("user:2")
    assert first is not second and client_for("user:1") is first


def test_the_site_grant_unless_per_user(configured: dict[str, Any]) -> None:
    request = RequestFactory().get("/")
    request.user = SimpleNamespace(is_authenticated=True, pk=42)
    assert grant_for(request) == "default"
    with override_settings(ASPERION={**configured, "PER_USER_TOKENS": True}):
        assert grant_for(request) == "user:42"
        request.user = SimpleNamespace(is_authenticated=False, pk=None)
        assert grant_for(request) is None
        del request.user
        with pytest.raises(ConfigurationError, match="AuthenticationMiddleware"):
            grant_for(request)


def test_client_options_reach_the_client(configured: dict[str, Any]) -> None:
    options = {"language": "nl-NL", "cache_ttl": 0}
    with override_settings(ASPERION={**configured, "CLIENT_OPTIONS": options}):
        assert get_client().language == "nl-NL"
