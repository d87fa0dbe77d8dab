"""Helpers for the replayed cassette tests under ``cassettes/``.

Every test here replays offline by default; ``pytest tests/cassettes --record-mode=rewrite``
records all of them again against fresh emulators.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from asperion_orm import Client, Session
from asperion_orm.testing.cassettes import CassetteSession


def tenants(client: Client) -> list[int]:
    """Return the user's administration ids, default first (one recorded request)."""
    rows = client.administrations()
    return [row["id"] for row in sorted(rows, key=lambda row: not row["isDefault"])]


@pytest.fixture
def recorded_client(asperion_cassette: CassetteSession) -> Client:
    """Return a client logged in through the recorded code flow (not the sandbox's client)."""
    return asperion_cassette.client()


@pytest.fixture
def recorded_session(recorded_client: Client) -> Iterator[Session]:
    """Activate the session of the user's default administration, as recorded, for the test."""
    with recorded_client.tenant(tenants(recorded_client)[0]) as active:
        yield active


def ids(page: dict[str, Any]) -> list[int]:
    """Return the ids of a list page."""
    return [row["id"] for row in page["_data"]]
