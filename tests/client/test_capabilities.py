"""Capabilities: safe defaults, the file `asperion probe` writes, clear errors for bad ones."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from asperion_orm import Client
from asperion_orm.capabilities import Capabilities
from asperion_orm.exceptions import ConfigurationError

from .conftest import FakeServer, Reply

MakeClient = Callable[..., Client]


def test_the_defaults_assume_nothing_about_case() -> None:
    caps = Capabilities()
    assert caps.text_default == "contains" and caps.text_case_sensitive is None
    assert not caps.text_exact
    assert Capabilities(text_comparison=True, text_case_sensitive=True).text_exact


def test_a_file_round_trips_with_its_evidence(tmp_path: Path) -> None:
    path = tmp_path / "caps.json"
    caps = Capabilities(
        text_case_sensitive=False,
        max_page_size=50,
        base_url="https://api-sandbox.asperion.nl/v1",
        evidence={"max_page_size": "GET /v1/debtors?pageSize=1000 -> 50 rows"},
    )
    caps.save(path)
    loaded = Capabilities.load(path)
    assert loaded == caps and loaded.evidence == caps.evidence
    assert json.loads(path.read_text())["format"] == 1


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"max_page_size": "100"}', "key 'max_page_size' takes int"),
        ('{"text_case_sensitive": "yes"}', "key 'text_case_sensitive' takes bool or null"),
        ('{"text_default": "like"}', "key 'text_default' is 'like'"),
        ('{"max_pagesize": 100}', "unknown key 'max_pagesize'"),
        ('{"format": 7}', "key 'format' is 7"),
        ('{"tenant_header": "X Tenant"}', "key 'tenant_header'"),
    ],
)
def test_a_bad_file_is_refused_naming_the_file_and_the_key(
    tmp_path: Path, content: str, named: str
) -> None:
    path = tmp_path / "caps.json"
    path.write_text(content)
    with pytest.raises(ConfigurationError, match=named) as info:
        Client("app", "s", "https://app/cb", capabilities=path)
    assert str(path) in str(info.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read the capabilities file"):
        Client("app", "s", "https://app/cb", capabilities=str(tmp_path / "nope.json"))


def test_a_file_for_another_environment_is_refused_before_any_request(
    tmp_path: Path, fake: FakeServer
) -> None:
    path = tmp_path / "caps.json"
    Capabilities(base_url="https://api-sandbox.asperion.nl/v1").save(path)
    with pytest.raises(ConfigurationError, match="key 'base_url'") as info:
        Client("app", "s", "https://app/cb", capabilities=path, transport=fake)
    assert str(path) in str(info.value)
    assert fake.requests == []
    sandbox = Client("app", "s", "https://app/cb", environment="sandbox", capabilities=path)
    assert sandbox.capabilities.base_url == "https://api-sandbox.asperion.nl/v1"


def test_the_tenant_header_comes_from_the_capabilities_unless_given(
    make_client: MakeClient, fake: FakeServer
) -> None:
    page: dict[str, Any] = {"_data": [], "_meta": {"administrationId": 3}}
    client = make_client(capabilities=Capabilities(tenant_header="X-TenantId"))
    fake.then(Reply(200, page))
    client.tenant(3).get("debtor", cache=False)
    assert fake.api_requests()[-1].headers["X-TenantId"] == "3"
    explicit = make_client(
        capabilities=Capabilities(tenant_header="X-TenantId"), tenant_header="X-Tenant-Id"
    )
    fake.then(Reply(200, page))
    explicit.tenant(3).get("debtor", cache=False)
    assert fake.api_requests()[-1].headers["X-Tenant-Id"] == "3"


def test_the_session_hands_the_capabilities_to_the_planner(make_client: MakeClient) -> None:
    caps = Capabilities(max_page_size=40)
    session = make_client(capabilities=caps).tenant(3)
    assert session.capabilities is caps
