"""Replayed cassettes: the OAuth code flow, refresh, and refresh after a refused token."""

from __future__ import annotations

import pytest

from asperion_orm import Client, Session
from asperion_orm.testing.cassettes import CassetteSession

from .conftest import tenants

pytestmark = pytest.mark.asperion_cassette


def test_login_and_list_administrations(
    asperion_cassette: CassetteSession, recorded_client: Client
) -> None:
    rows = recorded_client.administrations()
    assert len(rows) >= 3
    assert [row["isDefault"] for row in rows].count(True) == 1
    if not asperion_cassette.recording:  # replay hands out the cassette's placeholders
        assert recorded_client.token.access_token == "REDACTED_ACCESS_TOKEN_1"
        assert recorded_client.token.refresh_token == "REDACTED_REFRESH_TOKEN_1"


def test_forced_refresh_rotates_tokens(recorded_client: Client, recorded_session: Session) -> None:
    first = recorded_client.token
    recorded_client.auth.refresh(first, force=True)
    second = recorded_client.token
    assert second.access_token != first.access_token
    assert second.refresh_token != first.refresh_token
    assert second.grant_id == first.grant_id
    assert recorded_session.get("debtors", [("pageSize", "1")])["_data"]


def test_refused_token_is_refreshed_and_the_request_replayed(
    asperion_cassette: CassetteSession, recorded_client: Client
) -> None:
    session = recorded_client.tenant(tenants(recorded_client)[0])
    before = recorded_client.token.access_token
    if asperion_cassette.sandbox is not None:  # recording: the server forgets every token
        asperion_cassette.sandbox.state.tokens.access.clear()
    page = session.get("countries", [("pageSize", "2")], cache=False)
    assert len(page["_data"]) == 2
    assert recorded_client.token.access_token != before


def test_two_refreshes_in_a_row(recorded_client: Client) -> None:
    seen = {recorded_client.token.access_token}
    for _ in range(2):
        recorded_client.auth.refresh(recorded_client.token, force=True)
        seen.add(recorded_client.token.access_token)
    assert len(seen) == 3
    assert recorded_client.administrations()
