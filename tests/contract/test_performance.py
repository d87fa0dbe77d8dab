"""Paging through large tables reuses cached views instead of rescanning per page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.test import Client

from asperion_orm import _json
from asperion_orm.testing import Sandbox
from asperion_orm.testing.emulator.app import EmulatorState, create_app
from asperion_orm.testing.emulator.store import Query, Table

from support.oauth import code_flow


@pytest.fixture(scope="module")
def big() -> Iterator[tuple[EmulatorState, Client, dict[str, str]]]:
    """Serve 100,000 debtors: log in over HTTPS, then page in-process on the same state."""
    with Sandbox(records={"debtors": 100_000}) as sandbox:
        state = sandbox.state
        assert state.count(state.tenants[0], "debtors") == 100_000  # generate before spying
        token = code_flow(sandbox, scope="asperion-api")
        yield state, Client(create_app(state)), {"Authorization": f"Bearer {token['access_token']}"}


@pytest.fixture
def computed(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Query]]:
    calls: list[Query] = []
    original = Table._compute

    def spy(self: Table, query: Query) -> list[int]:
        calls.append(query)
        return original(self, query)

    monkeypatch.setattr(Table, "_compute", spy)
    yield calls


def walk(client: Client, headers: dict[str, str], query: str) -> Iterator[dict[str, Any]]:
    url: str | None = f"/v1/debtors?{query}&pageSize=100"
    while url:
        page = _json.loads(client.get(url, headers=headers).data)
        yield from page["_data"]
        next_page = page["_meta"]["nextPage"]
        url = next_page and next_page.split("localhost", 1)[1]


@pytest.mark.slow
def test_thousand_pages_sorted_compute_the_view_once(
    big: tuple[EmulatorState, Client, dict[str, str]], computed: list[Query]
) -> None:
    _, client, headers = big
    rows = list(walk(client, headers, "orderby=-name"))
    assert len(rows) == 100_000
    assert len(computed) == 1
    names = [row["name"] for row in rows]
    assert names == sorted(names, reverse=True)


@pytest.mark.slow
def test_unfiltered_pages_are_slices(
    big: tuple[EmulatorState, Client, dict[str, str]], computed: list[Query]
) -> None:
    _, client, headers = big
    for page in (1, 500, 1000):
        response = client.get(f"/v1/debtors?pageSize=100&page={page}", headers=headers)
        assert len(_json.loads(response.data)["_data"]) == 100
    assert len(computed) <= 1


def test_a_write_invalidates_cached_views(
    big: tuple[EmulatorState, Client, dict[str, str]], computed: list[Query]
) -> None:
    _, client, headers = big
    first = client.get("/v1/debtors?orderby=name&pageSize=1", headers=headers)
    assert client.post("/v1/debtors", json={"name": "  eerst"}, headers=headers).status_code == 201
    second = client.get("/v1/debtors?orderby=name&pageSize=1", headers=headers)
    assert _json.loads(second.data)["_data"][0]["name"] == "  eerst"
    assert first.data != second.data
    assert len(computed) == 2
