"""Replayed cassettes: create, read, replace, change and delete; errors in two languages."""

from __future__ import annotations

import pytest

from asperion_orm import Session
from asperion_orm.exceptions import APIError, NotFound, ValidationError
from asperion_orm.testing.cassettes import DEFAULT_MATCH_ON, CassetteSession

from .conftest import tenants

# Writes are matched on their JSON body too: a changed payload fails on replay.
pytestmark = pytest.mark.asperion_cassette(match_on=[*DEFAULT_MATCH_ON, "asperion_json_body"])


def test_create_read_replace_change_delete(recorded_session: Session) -> None:
    created = recorded_session.post("debtors", {"name": "Cassette B.V.", "city": "Utrecht"})
    path = recorded_session.path("debtors", created["id"])
    assert recorded_session.get(path, cache=False)["name"] == "Cassette B.V."
    replaced = recorded_session.put(path, {"name": "Cassette Holding B.V.", "city": "Utrecht"})
    assert replaced["name"] == "Cassette Holding B.V."
    changed = recorded_session.patch(path, {"city": "Zwolle"})
    assert (changed["name"], changed["city"]) == ("Cassette Holding B.V.", "Zwolle")
    recorded_session.delete(path)
    with pytest.raises(NotFound):
        recorded_session.get(path, cache=False)


def test_created_amounts_stay_exact(recorded_session: Session) -> None:
    from decimal import Decimal

    article = {"code": "GELD", "description": "Geld", "salesTypeId": 1, "price": Decimal("1234.50")}
    created = recorded_session.post("articles", article)
    assert created["price"] == Decimal("1234.50")
    assert created["createdDate"].startswith("2026-01-01T00:00:00")
    debtor = recorded_session.post("debtors", {"name": "Geld B.V."})
    assert debtor["dateAdded"].startswith("2026-01-01T00:00:00")


def test_validation_error_in_english(recorded_session: Session) -> None:
    with pytest.raises(ValidationError) as caught:
        recorded_session.post("debtors", {"city": "Utrecht"})
    assert caught.value.errors == {"name": ["The Name field is required."]}


def test_validation_error_in_dutch(asperion_cassette: CassetteSession) -> None:
    client = asperion_cassette.client(language="nl-NL")
    session = client.tenant(tenants(client)[0])
    with pytest.raises(ValidationError) as caught:
        session.post("debtors", {"city": "Utrecht"})
    assert caught.value.errors == {"name": ["Het veld Name is verplicht."]}


def test_not_found(recorded_session: Session) -> None:
    with pytest.raises(NotFound) as caught:
        recorded_session.get(recorded_session.path("debtors", 999999))
    assert caught.value.status_code == 404


def test_method_not_allowed_on_read_only_resources(recorded_session: Session) -> None:
    with pytest.raises(APIError) as caught:
        recorded_session.post("administrations", {"name": "Nieuw"})
    assert caught.value.status_code == 405
    with pytest.raises(APIError) as caught:
        recorded_session.delete(recorded_session.path("ledgergrouped", 1))
    assert caught.value.status_code in (404, 405)
