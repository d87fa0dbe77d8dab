"""The identity server: authorization-code flow, PKCE, refresh rotation, RFC 6749 errors."""

from __future__ import annotations

import base64
import time
from urllib.parse import quote

import pytest
import requests

from asperion_orm.testing.sandbox import Sandbox

from .helpers import Api, browser, redirect_query
from support.oauth import (
    authorization_code,
    authorize_params,
    code_flow,
    code_form,
    pkce_pair,
    token_call,
)


def authorize(sandbox: Sandbox, params: dict[str, str]) -> requests.Response:
    return browser(sandbox).get(
        f"{sandbox.identity_url}/connect/authorize",
        params=params,
        allow_redirects=False,
        verify=sandbox.ca_bundle,
        timeout=10,
    )


def refresh_form(sandbox: Sandbox, refresh_token: str) -> dict[str, str]:
    return {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
    }


# --- /connect/authorize ------------------------------------------------------------------------


def test_authorize_redirects_with_code_and_state(asperion_sandbox: Sandbox) -> None:
    params = authorize_params(asperion_sandbox)
    query = redirect_query(authorize(asperion_sandbox, params))
    assert query["state"] == params["state"]
    assert len(query["code"]) >= 32


def test_authorize_redirect_goes_to_the_redirect_uri(asperion_sandbox: Sandbox) -> None:
    response = authorize(asperion_sandbox, authorize_params(asperion_sandbox))
    assert response.headers["Location"].startswith(asperion_sandbox.redirect_uri + "?")


def test_authorize_unknown_client_is_refused_without_redirect(asperion_sandbox: Sandbox) -> None:
    response = authorize(
        asperion_sandbox, authorize_params(asperion_sandbox, client_id="someone-else")
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"
    assert "Location" not in response.headers


def test_authorize_unregistered_redirect_uri_is_refused(asperion_sandbox: Sandbox) -> None:
    params = authorize_params(asperion_sandbox, redirect_uri="https://evil.example/callback")
    response = authorize(asperion_sandbox, params)
    assert response.status_code == 400
    assert "Location" not in response.headers


@pytest.mark.parametrize(
    "uri", ["http://127.0.0.1:53682/cb", "http://localhost:8080/oauth/callback"]
)
def test_authorize_accepts_loopback_redirect_uris(asperion_sandbox: Sandbox, uri: str) -> None:
    response = authorize(asperion_sandbox, authorize_params(asperion_sandbox, redirect_uri=uri))
    assert response.headers["Location"].startswith(uri + "?code=")


def test_authorize_wrong_response_type_redirects_with_error(asperion_sandbox: Sandbox) -> None:
    query = redirect_query(
        authorize(asperion_sandbox, authorize_params(asperion_sandbox, response_type="token"))
    )
    assert query["error"] == "unsupported_response_type"
    assert "code" not in query


def test_authorize_unknown_scope_redirects_with_invalid_scope(asperion_sandbox: Sandbox) -> None:
    query = redirect_query(
        authorize(asperion_sandbox, authorize_params(asperion_sandbox, scope="admin"))
    )
    assert query["error"] == "invalid_scope"


def test_authorize_refuses_plain_pkce(asperion_sandbox: Sandbox) -> None:
    params = authorize_params(
        asperion_sandbox, code_challenge="a" * 43, code_challenge_method="plain"
    )
    assert redirect_query(authorize(asperion_sandbox, params))["error"] == "invalid_request"


def test_authorize_refuses_pkce_without_method(asperion_sandbox: Sandbox) -> None:
    params = authorize_params(asperion_sandbox, code_challenge="a" * 43)
    assert redirect_query(authorize(asperion_sandbox, params))["error"] == "invalid_request"


# --- interactive login form --------------------------------------------------------------------


def test_interactive_authorize_serves_a_login_form(asperion_sandbox: Sandbox) -> None:
    asperion_sandbox.state.interactive = True
    response = authorize(asperion_sandbox, authorize_params(asperion_sandbox))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert 'name="password"' in response.text
    assert 'type="hidden" name="client_id"' in response.text


def login(sandbox: Sandbox, username: str, password: str) -> requests.Response:
    form = {**authorize_params(sandbox), "username": username, "password": password}
    return browser(sandbox).post(
        f"{sandbox.identity_url}/connect/authorize",
        data=form,
        allow_redirects=False,
        verify=sandbox.ca_bundle,
        timeout=10,
    )


def test_login_form_with_good_password_redirects_with_code(asperion_sandbox: Sandbox) -> None:
    asperion_sandbox.state.interactive = True
    assert "code" in redirect_query(
        login(asperion_sandbox, asperion_sandbox.username, asperion_sandbox.password)
    )


def test_login_form_with_bad_password_shows_the_form_again(asperion_sandbox: Sandbox) -> None:
    asperion_sandbox.state.interactive = True
    response = login(asperion_sandbox, asperion_sandbox.username, "wrong")
    assert response.status_code == 200
    assert "Invalid username or password" in response.text
    assert 'name="password"' in response.text


def test_second_user_logs_in_and_sees_only_their_administrations(asperion_sandbox: Sandbox) -> None:
    asperion_sandbox.state.interactive = True
    state = asperion_sandbox.state
    logged_in = login(asperion_sandbox, state.second_username, state.second_password)
    code = redirect_query(logged_in)["code"]
    tokens = token_call(asperion_sandbox, code_form(asperion_sandbox, code)).json()
    api = Api(asperion_sandbox, tokens["access_token"])
    ids = [row["id"] for row in api.rows("administrations")]
    assert ids and set(ids) != set(asperion_sandbox.tenants)
    assert set(ids) & set(asperion_sandbox.tenants)  # shares some, not all
    elsewhere = api.get("debtors", headers={"X-Tenant-Id": str(asperion_sandbox.tenants[0])})
    assert elsewhere.status_code == 403


# --- /connect/token: authorization_code --------------------------------------------------------


def test_token_response_has_the_documented_fields(asperion_sandbox: Sandbox) -> None:
    tokens = token_call(
        asperion_sandbox, code_form(asperion_sandbox, authorization_code(asperion_sandbox))
    ).json()
    assert set(tokens) >= {"access_token", "refresh_token", "expires_in", "token_type", "scope"}
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["scope"] == "asperion-api offline_access"


def test_token_response_is_not_cacheable(asperion_sandbox: Sandbox) -> None:
    response = token_call(
        asperion_sandbox, code_form(asperion_sandbox, authorization_code(asperion_sandbox))
    )
    assert response.headers["Cache-Control"] == "no-store"


def test_token_accepts_http_basic_client_authentication(asperion_sandbox: Sandbox) -> None:
    form = code_form(asperion_sandbox, authorization_code(asperion_sandbox))
    del form["client_secret"]
    del form["client_id"]
    credentials = f"{quote(asperion_sandbox.client_id)}:{quote(asperion_sandbox.client_secret)}"
    header = "Basic " + base64.b64encode(credentials.encode()).decode()
    response = token_call(asperion_sandbox, form, headers={"Authorization": header})
    assert response.status_code == 200, response.text


def test_token_wrong_client_secret_is_invalid_client(asperion_sandbox: Sandbox) -> None:
    response = token_call(
        asperion_sandbox,
        code_form(asperion_sandbox, authorization_code(asperion_sandbox), client_secret="nope"),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_token_wrong_basic_credentials_ask_for_basic(asperion_sandbox: Sandbox) -> None:
    header = "Basic " + base64.b64encode(b"sandbox-app:nope").decode()
    response = token_call(
        asperion_sandbox,
        {"grant_type": "authorization_code", "code": "x"},
        headers={"Authorization": header},
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_code_is_single_use(asperion_sandbox: Sandbox) -> None:
    form = code_form(asperion_sandbox, authorization_code(asperion_sandbox))
    assert token_call(asperion_sandbox, form).status_code == 200
    second = token_call(asperion_sandbox, form)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"


def test_code_expires_after_sixty_seconds(asperion_sandbox: Sandbox) -> None:
    code = authorization_code(asperion_sandbox)
    asperion_sandbox.state.clock = lambda: time.time() + 61
    response = token_call(asperion_sandbox, code_form(asperion_sandbox, code))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_code_redirect_uri_must_match_the_authorize_request(asperion_sandbox: Sandbox) -> None:
    code = authorization_code(asperion_sandbox)
    response = token_call(
        asperion_sandbox, code_form(asperion_sandbox, code, redirect_uri="http://127.0.0.1:9/x")
    )
    assert response.json()["error"] == "invalid_grant"


def test_unknown_code_is_invalid_grant(asperion_sandbox: Sandbox) -> None:
    response = token_call(asperion_sandbox, code_form(asperion_sandbox, "not-a-code"))
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


def test_pkce_s256_verifier_is_checked(asperion_sandbox: Sandbox) -> None:
    verifier, challenge = pkce_pair()
    code = authorization_code(
        asperion_sandbox, code_challenge=challenge, code_challenge_method="S256"
    )
    good = token_call(asperion_sandbox, code_form(asperion_sandbox, code, code_verifier=verifier))
    assert good.status_code == 200


def test_pkce_wrong_verifier_is_invalid_grant(asperion_sandbox: Sandbox) -> None:
    _, challenge = pkce_pair()
    code = authorization_code(
        asperion_sandbox, code_challenge=challenge, code_challenge_method="S256"
    )
    wrong, _ = pkce_pair()
    response = token_call(asperion_sandbox, code_form(asperion_sandbox, code, code_verifier=wrong))
    assert response.json()["error"] == "invalid_grant"


def test_pkce_missing_verifier_is_invalid_grant(asperion_sandbox: Sandbox) -> None:
    _, challenge = pkce_pair()
    code = authorization_code(
        asperion_sandbox, code_challenge=challenge, code_challenge_method="S256"
    )
    response = token_call(asperion_sandbox, code_form(asperion_sandbox, code))
    assert response.json()["error"] == "invalid_grant"


def test_missing_grant_type_is_invalid_request(asperion_sandbox: Sandbox) -> None:
    form = code_form(asperion_sandbox, "x")
    del form["grant_type"]
    assert token_call(asperion_sandbox, form).json()["error"] == "invalid_request"


def test_unknown_grant_type_is_unsupported(asperion_sandbox: Sandbox) -> None:
    form = code_form(asperion_sandbox, "x", grant_type="password")
    response = token_call(asperion_sandbox, form)
    assert (response.status_code, response.json()["error"]) == (400, "unsupported_grant_type")


def test_token_endpoint_only_accepts_post(asperion_sandbox: Sandbox) -> None:
    response = requests.get(
        f"{asperion_sandbox.identity_url}/connect/token",
        verify=asperion_sandbox.ca_bundle,
        timeout=10,
    )
    assert response.status_code == 405


def test_without_offline_access_no_refresh_token(asperion_sandbox: Sandbox) -> None:
    tokens = code_flow(asperion_sandbox, scope="asperion-api")
    assert "refresh_token" not in tokens


# --- refresh tokens ----------------------------------------------------------------------------


def test_refresh_returns_new_access_and_refresh_tokens(asperion_sandbox: Sandbox) -> None:
    first = code_flow(asperion_sandbox)
    second = token_call(
        asperion_sandbox, refresh_form(asperion_sandbox, first["refresh_token"])
    ).json()
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert Api(asperion_sandbox, second["access_token"]).get("countries").status_code == 200


def test_refresh_token_reuse_is_invalid_grant(asperion_sandbox: Sandbox) -> None:
    first = code_flow(asperion_sandbox)
    form = refresh_form(asperion_sandbox, first["refresh_token"])
    assert token_call(asperion_sandbox, form).status_code == 200
    reused = token_call(asperion_sandbox, form)
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")


def test_refresh_with_wrong_secret_is_invalid_client(asperion_sandbox: Sandbox) -> None:
    form = refresh_form(asperion_sandbox, code_flow(asperion_sandbox)["refresh_token"])
    form["client_secret"] = "nope"
    assert token_call(asperion_sandbox, form).status_code == 401


def test_old_access_token_keeps_working_until_expiry(asperion_sandbox: Sandbox) -> None:
    first = code_flow(asperion_sandbox)
    token_call(asperion_sandbox, refresh_form(asperion_sandbox, first["refresh_token"]))
    assert Api(asperion_sandbox, first["access_token"]).get("countries").status_code == 200


# --- token lifetime ----------------------------------------------------------------------------


def test_token_lifetime_is_configurable_at_runtime(asperion_sandbox: Sandbox) -> None:
    asperion_sandbox.set_token_lifetime(120)
    assert code_flow(asperion_sandbox)["expires_in"] == 120


def test_expired_access_token_gets_401(asperion_sandbox: Sandbox) -> None:
    tokens = code_flow(asperion_sandbox)
    asperion_sandbox.state.clock = lambda: time.time() + 3601
    response = Api(asperion_sandbox, tokens["access_token"]).get("countries")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_zero_lifetime_token_is_expired_at_once(asperion_sandbox: Sandbox) -> None:
    asperion_sandbox.set_token_lifetime(0)
    tokens = code_flow(asperion_sandbox)
    assert Api(asperion_sandbox, tokens["access_token"]).get("countries").status_code == 401
