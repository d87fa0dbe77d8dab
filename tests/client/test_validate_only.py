"""`save(validate_only=True)` and `full_clean(remote=True)`: the server checks, nothing is made."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

import pytest

from asperion_orm import Client
from asperion_orm.exceptions import ConfigurationError, ValidationError
from asperion_orm.resources import Country

from .conftest import FakeServer, Reply

MakeClient = Callable[..., Client]
PROBLEM = {
    "title": "One or more validation errors occurred.",
    "status": 400,
    "traceId": "00-abc-01",
    "errors": {"Code": ["The field Code must be a string with a maximum length of 3."]},
}


def test_validate_only_posts_with_the_flag_and_creates_nothing(
    make_client: MakeClient, fake: FakeServer
) -> None:
    session = make_client().tenant(5)
    country = Country(name="Nederland", code="NL")
    fake.then(Reply(200, {"name": "Nederland", "code": "NL", "_meta": {"administrationId": 5}}))
    country.save(validate_only=True, using=session)
    sent = fake.api_requests()[-1]
    assert sent.method == "POST" and urlsplit(str(sent.url)).path == "/v1/countries"
    assert ("validateOnly", "true") in parse_qsl(urlsplit(str(sent.url)).query)
    assert json.loads(sent.body or b"{}") == {"name": "Nederland", "code": "NL"}
    assert country._state.adding and country.pk is None  # still new: nothing was created


def test_the_servers_errors_come_back_as_on_a_real_save(
    make_client: MakeClient, fake: FakeServer
) -> None:
    session = make_client().tenant(5)
    fake.then(Reply(400, PROBLEM))
    with pytest.raises(ValidationError) as info:
        Country(name="Nederland", code="NLD").full_clean(remote=True, using=session)
    assert info.value.errors == {"code": PROBLEM["errors"]["Code"]}  # keyed by attribute


def test_local_errors_stop_it_before_any_request(make_client: MakeClient, fake: FakeServer) -> None:
    session = make_client().tenant(5)
    before = len(fake.api_requests())
    with pytest.raises(ValidationError) as info:
        Country(code="NL").save(validate_only=True, using=session)
    assert "name" in info.value.errors
    assert len(fake.api_requests()) == before


def test_an_existing_object_is_refused_with_what_to_do(make_client: MakeClient) -> None:
    session = make_client().tenant(5)
    existing = Country.from_api({"id": 3, "name": "Nederland", "code": "NL"}, session)
    with pytest.raises(ConfigurationError, match="validates new objects only"):
        existing.full_clean(remote=True)
