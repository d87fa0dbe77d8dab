"""The Flask example on the package's extension: a ``g``-scoped session per request."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from flask import Flask

import asperion_orm as asp
from asperion_orm.exceptions import NoSessionError
from asperion_orm.testing import Sandbox

Example = Callable[[str], ModuleType]


@pytest.fixture
def app(example: Example, private_sandbox: Sandbox, client: asp.Client) -> Flask:
    sandbox = private_sandbox
    config = {
        "CLIENT_ID": sandbox.client_id,
        "CLIENT_SECRET": sandbox.client_secret,
        "REDIRECT_URI": sandbox.redirect_uri,
        "BASE_URL": sandbox.base_url,
        "IDENTITY_URL": sandbox.identity_url,
        "CA_BUNDLE": sandbox.ca_bundle,
    }
    app: Flask = example("flask_app").create_app(config, client)
    return app


@pytest.fixture
def two_tenants(private_sandbox: Sandbox) -> tuple[int, int]:
    return (
        private_sandbox.add_administration(records={"debtors": 5}),
        private_sandbox.add_administration(records={"debtors": 9}),
    )


def _debtors(sandbox: Sandbox, tenant: int) -> list[dict[str, Any]]:
    rows = sorted(sandbox.state.rows(tenant, "debtors"), key=lambda row: row["id"])
    return [{"id": row["id"], "name": row["name"]} for row in rows]


def test_each_request_gets_the_session_its_url_names(
    app: Flask, private_sandbox: Sandbox, two_tenants: tuple[int, int]
) -> None:
    first, second = two_tenants
    browser = app.test_client()
    private_sandbox.clear_log()
    assert browser.get(f"/tenants/{first}/debtors?limit=2").json == {
        "tenant": first,
        "debtors": _debtors(private_sandbox, first)[:2],
    }
    assert browser.get(f"/tenants/{second}/debtors/count").json == {"tenant": second, "count": 9}
    assert [entry.tenant for entry in private_sandbox.requests("GET", "/v1/debtors")] == [
        first,
        second,
    ]
    assert browser.get("/health").json == {"ok": True}
    assert browser.get("/tenants/0/debtors").status_code == 400  # not an administration id
    with pytest.raises(NoSessionError):
        asp.Session.current()  # ended in teardown: nothing leaks into the caller


def test_parallel_requests_for_two_tenants(
    app: Flask, private_sandbox: Sandbox, two_tenants: tuple[int, int]
) -> None:
    first, second = two_tenants
    answers: list[Any] = []
    lock = threading.Lock()

    def ask(tenant: int) -> None:
        answer = app.test_client().get(f"/tenants/{tenant}/debtors/count").json
        with lock:
            answers.append((tenant, answer))

    private_sandbox.set_latency(0.2)
    try:
        threads = [threading.Thread(target=ask, args=(t,)) for t in (first, second) * 4]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        private_sandbox.reset_knobs()
    counts = {first: 5, second: 9}
    assert len(answers) == 8
    assert all(answer == {"tenant": t, "count": counts[t]} for t, answer in answers)
