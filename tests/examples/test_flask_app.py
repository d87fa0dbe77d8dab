"""The Flask example: the whole login flow with Flask's test client against the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

import asperion_orm as asp
from asperion_orm.testing import Sandbox

Example = Callable[[str], ModuleType]


@pytest.fixture
def app(example: Example, private_sandbox: Sandbox) -> Flask:
    module = example("flask_oauth_app")
    settings = module.Settings(
        private_sandbox.client_id, private_sandbox.client_secret, private_sandbox.redirect_uri,
        private_sandbox.base_url, private_sandbox.identity_url, private_sandbox.ca_bundle,
    )  # fmt: skip
    app: Flask = module.create_app(settings, secret_key="test")
    return app


def _log_in(browser: FlaskClient, sandbox: Sandbox) -> str:
    """Follow /login to the identity server and back; return the callback URL used."""
    start = browser.get("/login")
    assert start.status_code == 302
    authorize = start.headers["Location"]
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    code = sandbox.authorize(authorize, state)
    return f"/callback?code={code}&state={state}"


def test_login_flow_shows_the_administrations(
    app: Flask, private_sandbox: Sandbox, client: asp.Client
) -> None:
    browser = app.test_client()
    assert "Log in with Asperion" in browser.get("/").text
    back = browser.get(_log_in(browser, private_sandbox))
    assert back.status_code == 302 and back.headers["Location"] == "/"
    page = browser.get("/").text
    assert "Your administrations" in page
    assert page.count("<li>") == len(client.administrations())
    assert browser.get("/logout").status_code == 302
    assert "Log in with Asperion" in browser.get("/").text


def test_callback_with_a_forged_state_is_refused(app: Flask, private_sandbox: Sandbox) -> None:
    browser = app.test_client()
    callback = _log_in(browser, private_sandbox)
    forged = callback.split("&state=")[0] + "&state=forged"
    assert browser.get(forged).status_code == 400
    assert "Log in with Asperion" in browser.get("/").text


def test_callback_without_a_login_is_refused(app: Flask) -> None:
    assert app.test_client().get("/callback?code=x&state=y").status_code == 400


def test_two_browsers_log_in_separately(app: Flask, private_sandbox: Sandbox) -> None:
    first, second = app.test_client(), app.test_client()
    first_callback = _log_in(first, private_sandbox)
    second_callback = _log_in(second, private_sandbox)
    assert second.get(second_callback).status_code == 302
    assert first.get(first_callback).status_code == 302
    assert "Your administrations" in first.get("/").text
    assert "Your administrations" in second.get("/").text
