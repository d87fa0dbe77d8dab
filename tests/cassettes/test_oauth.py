"""Replayed cassettes: the OAuth code flow, refresh, and refresh after a refused token."""

from __future__ import annotations

import pytest

from asperion_orm import Client, Session
from asperion_orm.testing.cassettes import CassetteSession

from .conftest import tenants

pytestmark = pytest.mark.asperion_cassette


def test_login_and_list_administrations(asperion_cassette: CassetteSession, client: Client) -> None:
    rows = client.administrations()
    assert len(rows) >= 3
    assert [row["isDefault"] for row in rows].count(True) == 1
    if not asperion_cassette.recording:  # replay hands out the cassette's placeholders
        assert client.token.access_token == "REDACTED_ACCESS_TOKEN_1"
        assert client.token.refresh_token == "REDACTED_REFRESH_TOKEN_1"


def test_forced_refresh_rotates_tokens(client: Client, session: Session) -> None:
    first = client.token
    client.auth.refresh(first, force=True)
    second = client.token
    assert second.access_token != first.access_token
    assert second.refresh_token != first.refresh_token
    assert second.grant_id == first.grant_id
    assert session.get("debtor", [("pageSize", "1")])["_data"]


def test_refused_token_is_refreshed_and_the_request_replayed(
    asperion_cassette: CassetteSession, client: Client
) -> None:
    session = client.tenant(tenants(client)[0])
    before = client.token.access_token
    if asperion_cassette.sandbox is not None:  # recording: the server forgets every token
        asperion_cassette.sandbox.state.tokens.access.clear()
    page = session.get("countries", [("pageSize", "2")], cache=False)
    assert len(page["_data"]) == 2
    assert client.token.access_token != before


def test_two_refreshes_in_a_row(client: Client) -> None:
    seen = {client.token.access_token}
    for _ in range(2):
        client.auth.refresh(client.token, force=True)
        seen.add(client.token.access_token)
    assert len(seen) == 3
    assert client.administrations()
