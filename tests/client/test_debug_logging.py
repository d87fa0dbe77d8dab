"""Logs at DEBUG: what they say (method, path, status, duration, attempt), never a secret.

Every test in this directory runs at DEBUG with a leak check (see ``conftest.py``); this one
walks through every path that touches a secret in one go and checks the log lines too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest

from asperion_orm import Client
from asperion_orm.exceptions import AmbiguousWriteError, NotFound, ReauthorizationRequired

from .conftest import SecretRegistry


def test_a_whole_session_at_debug_logs_what_happened_and_no_secret(
    asperion_sandbox: Any,
    asperion_tenant: int,
    sandbox_client: Callable[..., Client],
    secrets_seen: SecretRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    asperion_sandbox.set_token_lifetime(2)
    client = sandbox_client()
    session = client.tenant(asperion_tenant)
    session.get("debtors")
    time.sleep(1.1)  # past the leeway: the next request refreshes
    created = session.post("debtors", {"name": "Logged"})
    with pytest.raises(NotFound):
        session.get("debtors/999999")
    asperion_sandbox.inject("POST", "/v1/debtors", "reset_after_commit")
    with pytest.raises(AmbiguousWriteError):
        session.post("debtors", {"name": "Lost answer"})
    asperion_sandbox.inject("GET", "/v1/debtors", 503)
    session.get("debtors", cache=False)
    asperion_sandbox.state.tokens.refresh.clear()
    time.sleep(1.1)
    with pytest.raises(ReauthorizationRequired) as info:
        session.get("debtors", cache=False)
    secrets_seen.add_token(client.token_store.load())

    messages = [r.getMessage() for r in caplog.records if r.name == "asperion_orm"]
    assert "GET /v1/debtors -> 200" in "\n".join(messages)
    assert any("attempt 2" in m and "-> 200" in m for m in messages)
    assert any("retrying in" in m for m in messages)
    assert any("refreshed" in m for m in messages)
    assert created["name"] == "Logged"
    for secret in secrets_seen.values:
        assert secret not in str(info.value)
    assert len(secrets_seen.values) >= 6  # secret, password, code, and two token pairs
    assert all(r.levelno < logging.WARNING for r in caplog.records if r.name == "asperion_orm")
