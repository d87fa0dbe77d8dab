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


def test_authorize_redirects_with_code_and_state(sandbox: Sandbox) -> None:
    params = authorize_params(sandbox)
    query = redirect_query(authorize(sandbox, params))
    assert query["state"] == params["state"]
    assert len(query["code"]) >= 32


def test_authorize_redirect_goes_to_the_redirect_uri(sandbox: Sandbox) -> None:
    response = authorize(sandbox, authorize_params(sandbox))
    assert response.headers["Location"].startswith(sandbox.redirect_uri + "?")


def test_authorize_unknown_client_is_refused_without_redirect(sandbox: Sandbox) -> None:
    response = authorize(sandbox, authorize_params(sandbox, client_id="someone-else"))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"
    assert "Location" not in response.headers


def test_authorize_unregistered_redirect_uri_is_refused(sandbox: Sandbox) -> None:
    params = authorize_params(sandbox, redirect_uri="https://evil.example/callback")
    response = authorize(sandbox, params)
    assert response.status_code == 400
    assert "Location" not in response.headers


@pytest.mark.parametrize(
    "uri", ["http://127.0.0.1:53682/cb", "http://localhost:8080/oauth/callback"]
)
def test_authorize_accepts_loopback_redirect_uris(sandbox: Sandbox, uri: str) -> None:
    response = authorize(sandbox, authorize_params(sandbox, redirect_uri=uri))
    assert response.headers["Location"].startswith(uri + "?code=")


def test_authorize_wrong_response_type_redirects_with_error(sandbox: Sandbox) -> None:
    query = redirect_query(authorize(sandbox, authorize_params(sandbox, response_type="token")))
    assert query["error"] == "unsupported_response_type"
    assert "code" not in query


def test_authorize_unknown_scope_redirects_with_invalid_scope(sandbox: Sandbox) -> None:
    query = redirect_query(authorize(sandbox, authorize_params(sandbox, scope="admin")))
    assert query["error"] == "invalid_scope"


def test_authorize_refuses_plain_pkce(sandbox: Sandbox) -> None:
    params = authorize_params(sandbox, code_challenge="a" * 43, code_challenge_method="plain")
    assert redirect_query(authorize(sandbox, params))["error"] == "invalid_request"


def test_authorize_refuses_pkce_without_method(sandbox: Sandbox) -> None:
    params = authorize_params(sandbox, code_challenge="a" * 43)
    assert redirect_query(authorize(sandbox, params))["error"] == "invalid_request"


# --- interactive login form --------------------------------------------------------------------


def test_interactive_authorize_serves_a_login_form(sandbox: Sandbox) -> None:
    sandbox.state.interactive = True
    response = authorize(sandbox, authorize_params(sandbox))
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


def test_login_form_with_good_password_redirects_with_code(sandbox: Sandbox) -> None:
    sandbox.state.interactive = True
    assert "code" in redirect_query(login(sandbox, sandbox.username, sandbox.password))


def test_login_form_with_bad_password_shows_the_form_again(sandbox: Sandbox) -> None:
    sandbox.state.interactive = True
    response = login(sandbox, sandbox.username, "wrong")
    assert response.status_code == 200
    assert "Invalid username or password" in response.text
    assert 'name="password"' in response.text


def test_second_user_logs_in_and_sees_only_their_administrations(sandbox: Sandbox) -> None:
    sandbox.state.interactive = True
    state = sandbox.state
    code = redirect_query(login(sandbox, state.second_username, state.second_password))["code"]
    tokens = token_call(sandbox, code_form(sandbox, code)).json()
    api = Api(sandbox, tokens["access_token"])
    ids = [row["id"] for row in api.rows("administrations")]
    assert ids and set(ids) != set(sandbox.tenants)
    assert set(ids) & set(sandbox.tenants)  # shares some, not all
    assert api.get("debtor", headers={"X-Tenant-Id": str(sandbox.tenants[0])}).status_code == 403


# --- /connect/token: authorization_code --------------------------------------------------------


def test_token_response_has_the_documented_fields(sandbox: Sandbox) -> None:
    tokens = token_call(sandbox, code_form(sandbox, authorization_code(sandbox))).json()
    assert set(tokens) >= {"access_token", "refresh_token", "expires_in", "token_type", "scope"}
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["scope"] == "asperion-api offline_access"


def test_token_response_is_not_cacheable(sandbox: Sandbox) -> None:
    response = token_call(sandbox, code_form(sandbox, authorization_code(sandbox)))
    assert response.headers["Cache-Control"] == "no-store"


def test_token_accepts_http_basic_client_authentication(sandbox: Sandbox) -> None:
    form = code_form(sandbox, authorization_code(sandbox))
    del form["client_secret"]
    del form["client_id"]
    credentials = f"{quote(sandbox.client_id)}:{quote(sandbox.client_secret)}"
    header = "Basic " + base64.b64encode(credentials.encode()).decode()
    response = token_call(sandbox, form, headers={"Authorization": header})
    assert response.status_code == 200, response.text


def test_token_wrong_client_secret_is_invalid_client(sandbox: Sandbox) -> None:
    response = token_call(
        sandbox, code_form(sandbox, authorization_code(sandbox), client_secret="nope")
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_token_wrong_basic_credentials_ask_for_basic(sandbox: Sandbox) -> None:
    header = "Basic " + base64.b64encode(b"sandbox-app:nope").decode()
    response = token_call(
        sandbox,
        {"grant_type": "authorization_code", "code": "x"},
        headers={"Authorization": header},
    )
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_code_is_single_use(sandbox: Sandbox) -> None:
    form = code_form(sandbox, authorization_code(sandbox))
    assert token_call(sandbox, form).status_code == 200
    second = token_call(sandbox, form)
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"


def test_code_expires_after_sixty_seconds(sandbox: Sandbox) -> None:
    code = authorization_code(sandbox)
    sandbox.state.clock = lambda: time.time() + 61
    response = token_call(sandbox, code_form(sandbox, code))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_code_redirect_uri_must_match_the_authorize_request(sandbox: Sandbox) -> None:
    code = authorization_code(sandbox)
    response = token_call(sandbox, code_form(sandbox, code, redirect_uri="http://127.0.0.1:9/x"))
    assert response.json()["error"] == "invalid_grant"


def test_unknown_code_is_invalid_grant(sandbox: Sandbox) -> None:
    response = token_call(sandbox, code_form(sandbox, "not-a-code"))
    assert (response.status_code, response.json()["error"]) == (400, "invalid_grant")


def test_pkce_s256_verifier_is_checked(sandbox: Sandbox) -> None:
    verifier, challenge = pkce_pair()
    code = authorization_code(sandbox, code_challenge=challenge, code_challenge_method="S256")
    good = token_call(sandbox, code_form(sandbox, code, code_verifier=verifier))
    assert good.status_code == 200


def test_pkce_wrong_verifier_is_invalid_grant(sandbox: Sandbox) -> None:
    _, challenge = pkce_pair()
    code = authorization_code(sandbox, code_challenge=challenge, code_challenge_method="S256")
    wrong, _ = pkce_pair()
    response = token_call(sandbox, code_form(sandbox, code, code_verifier=wrong))
    assert response.json()["error"] == "invalid_grant"


def test_pkce_missing_verifier_is_invalid_grant(sandbox: Sandbox) -> None:
    _, challenge = pkce_pair()
    code = authorization_code(sandbox, code_challenge=challenge, code_challenge_method="S256")
    assert token_call(sandbox, code_form(sandbox, code)).json()["error"] == "invalid_grant"


def test_missing_grant_type_is_invalid_request(sandbox: Sandbox) -> None:
    form = code_form(sandbox, "x")
    del form["grant_type"]
    assert token_call(sandbox, form).json()["error"] == "invalid_request"


def test_unknown_grant_type_is_unsupported(sandbox: Sandbox) -> None:
    form = code_form(sandbox, "x", grant_type="password")
    response = token_call(sandbox, form)
    assert (response.status_code, response.json()["error"]) == (400, "unsupported_grant_type")


def test_token_endpoint_only_accepts_post(sandbox: Sandbox) -> None:
    response = requests.get(
        f"{sandbox.identity_url}/connect/token", verify=sandbox.ca_bundle, timeout=10
    )
    assert response.status_code == 405


def test_without_offline_access_no_refresh_token(sandbox: Sandbox) -> None:
    tokens = code_flow(sandbox, scope="asperion-api")
    assert "refresh_token" not in tokens


# --- refresh tokens ----------------------------------------------------------------------------


def test_refresh_returns_new_access_and_refresh_tokens(sandbox: Sandbox) -> None:
    first = code_flow(sandbox)
    second = token_call(sandbox, refresh_form(sandbox, first["refresh_token"])).json()
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert Api(sandbox, second["access_token"]).get("countries").status_code == 200


def test_refresh_token_reuse_is_invalid_grant(sandbox: Sandbox) -> None:
    first = code_flow(sandbox)
    form = refresh_form(sandbox, first["refresh_token"])
    assert token_call(sandbox, form).status_code == 200
    reused = token_call(sandbox, form)
    assert (reused.status_code, reused.json()["error"]) == (400, "invalid_grant")


def test_refresh_with_wrong_secret_is_invalid_client(sandbox: Sandbox) -> None:
    form = refresh_form(sandbox, code_flow(sandbox)["refresh_token"])
    form["client_secret"] = "nope"
    assert token_call(sandbox, form).status_code == 401


def test_old_access_token_keeps_working_until_expiry(sandbox: Sandbox) -> None:
    first = code_flow(sandbox)
    token_call(sandbox, refresh_form(sandbox, first["refresh_token"]))
    assert Api(sandbox, first["access_token"]).get("countries").status_code == 200


# --- token lifetime ----------------------------------------------------------------------------


def test_token_lifetime_is_configurable_at_runtime(sandbox: Sandbox) -> None:
    sandbox.set_token_lifetime(120)
    assert code_flow(sandbox)["expires_in"] == 120


def test_expired_access_token_gets_401(sandbox: Sandbox) -> None:
    tokens = code_flow(sandbox)
    sandbox.state.clock = lambda: time.time() + 3601
    response = Api(sandbox, tokens["access_token"]).get("countries")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


def test_zero_lifetime_token_is_expired_at_once(sandbox: Sandbox) -> None:
    sandbox.set_token_lifetime(0)
    tokens = code_flow(sandbox)
    assert Api(sandbox, tokens["access_token"]).get("countries").status_code == 401
