"""connect/ and callback/: the OAuth round trip through Flask's test client and the sandbox."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from asperion_orm.testing import Sandbox

from .conftest import make_app, settings


@pytest.fixture
def fresh_app(asperion_sandbox: Sandbox) -> Flask:
    """Return an app whose shared client has no token yet."""
    return make_app(settings(asperion_sandbox))


def connect(browser: FlaskClient, sandbox: Sandbox, user: str, next_url: str = "") -> str:
    """Start at connect/, log in at the sandbox as ``user``; return the callback URL to visit."""
    answer = browser.get(
        "/asperion/connect/" + (f"?{urlencode({'next': next_url})}" if next_url else "")
    )
    assert answer.status_code == 302
    location = answer.headers["Location"]
    state = parse_qs(urlsplit(location).query)["state"][0]
    code = sandbox.authorize(location, state, user=user)
    return f"/asperion/callback/?{urlencode({'code': code, 'state': state})}"


def test_the_round_trip_stores_the_token_on_the_shared_client(
    fresh_app: Flask, asperion_sandbox: Sandbox, asperion_user: str, asperion_tenant: int
) -> None:
    browser = fresh_app.test_client()
    asperion_sandbox.clear_log()
    answer = browser.get("/asperion/connect/")
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert answer.headers["Location"].startswith(asperion_sandbox.identity_url)
    assert query["client_id"] == [asperion_sandbox.client_id]
    assert query["code_challenge_method"] == ["S256"] and len(query["state"][0]) >= 32
    assert asperion_sandbox.request_log == []  # connect/ sends nothing
    callback = connect(browser, asperion_sandbox, asperion_user, next_url="/after")
    asperion_sandbox.clear_log()
    answer = browser.get(callback)
    assert (answer.status_code, answer.headers["Location"]) == (302, "/after")
    assert [e.status for e in asperion_sandbox.request_log] == [200]  # one token request
    counted = browser.get(f"/tenants/{asperion_tenant}/debtors/count").json
    assert counted == {"tenant": asperion_tenant, "count": 20}


def test_callback_refuses_a_forged_state(
    fresh_app: Flask, asperion_sandbox: Sandbox, asperion_user: str
) -> None:
    browser = fresh_app.test_client()
    callback = connect(browser, asperion_sandbox, asperion_user)
    asperion_sandbox.clear_log()
    forged = callback.replace("state=", "state=forged")
    assert browser.get(forged).status_code == 400
    assert browser.get(callback).status_code == 400  # the pending connection was spent
    assert asperion_sandbox.request_log == []


def test_callback_without_a_connection_or_with_a_refusal(
    fresh_app: Flask, asperion_sandbox: Sandbox, asperion_user: str
) -> None:
    browser = fresh_app.test_client()
    assert browser.get("/asperion/callback/?code=x&state=y").status_code == 400
    callback = connect(browser, asperion_sandbox, asperion_user)
    state = parse_qs(urlsplit(callback).query)["state"][0]
    refused = browser.get(
        f"/asperion/callback/?{urlencode({'state': state, 'error': 'access_denied'})}"
    )
    assert refused.status_code == 403


def test_connect_ignores_a_next_page_on_another_site(
    fresh_app: Flask, asperion_sandbox: Sandbox, asperion_user: str
) -> None:
    browser = fresh_app.test_client()
    for elsewhere in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        answer = browser.get(connect(browser, asperion_sandbox, asperion_user, elsewhere))
        assert answer.headers["Location"] == "/"
