"""connect/ and callback/: the OAuth dance through Django's test client and the sandbox."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.test import Client as Browser
from django.test import override_settings

from asperion_orm.contrib.django.conf import get_client
from asperion_orm.contrib.django.models import StoredToken
from asperion_orm.http.tokens import Token
from asperion_orm.testing import Sandbox

from .conftest import connect


def _stored() -> Token | None:
    value = StoredToken.objects.using("asperion").values_list("value", flat=True).first()
    return Token.from_json(value) if value else None


def test_connect_redirects_to_asperion_with_state_and_pkce_and_sends_nothing(
    configured: dict[str, Any], sandbox: Sandbox
) -> None:
    sandbox.clear_log()
    answer = Browser().get("/asperion/connect/")
    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(sandbox.identity_url)
    assert query["client_id"] == [sandbox.client_id]
    assert query["code_challenge_method"] == ["S256"] and len(query["state"][0]) >= 32
    assert sandbox.request_log == []


def test_callback_stores_the_token_in_the_database_with_one_token_request(
    configured: dict[str, Any], sandbox: Sandbox
) -> None:
    browser = Browser()
    callback = connect(browser, sandbox)
    sandbox.clear_log()
    answer = browser.get(callback)
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert [e.status for e in sandbox.requests("POST", "/connect/token")] == [200]
    assert len(sandbox.request_log) == 1
    stored = _stored()
    assert stored is not None and stored.refresh_token
    assert get_client().token.access_token == stored.access_token


def test_callback_on_another_process_works_from_the_session_alone(
    configured: dict[str, Any], sandbox: Sandbox
) -> None:
    """The verifier is in the session: a client that never issued the login can finish it."""
    browser = Browser()
    callback = connect(browser, sandbox)
    first = get_client()
    with override_settings(ASPERION=dict(configured)):  # the clients are built again
        assert get_client() is not first
        assert browser.get(callback).status_code == 302
    assert _stored() is not None


def test_callback_goes_to_the_next_page_given_to_connect(
    configured: dict[str, Any], sandbox: Sandbox
) -> None:
    browser = Browser()
    answer = browser.get(connect(browser, sandbox, next_url="/t/1/debtors/"))
    assert answer.headers["Location"] == "/t/1/debtors/"


def test_connect_ignores_a_next_page_on_another_site(
    configured: dict[str, Any], sandbox: Sandbox
) -> None:
    browser = Browser()
    answer = browser.get(connect(browser, sandbox, next_url="https://evil.example/"))
    assert answer.headers["Location"] == "/"


def test_callback_with_a_forged_state_is_refused_and_stores_nothing(
    configured: dict[str, Any], sandbox: Sandbox
) -> None:
    browser = Browser()
    forged = connect(browser, sandbox).split("&state=")[0] + "&state=forged"
    sandbox.clear_log()
    answer = browser.get(forged)
    assert answer.status_code == 400 and b"state does not match" in answer.content
    assert sandbox.request_log == [] and _stored() is None


def test_callback_without_a_connection_is_refused(configured: dict[str, Any]) -> None:
    answer = Browser().get("/asperion/callback/?code=x&state=y")
    assert answer.status_code == 400 and b"start at connect/" in answer.content


def test_a_refused_login_answers_403(configured: dict[str, Any], sandbox: Sandbox) -> None:
    browser = Browser()
    state = connect(browser, sandbox).split("&state=")[1]
    browser.get("/asperion/connect/")  # a new connection, so the session holds a pending one
    pending = browser.session["asperion_oauth"]["state"]
    assert pending != state
    answer = browser.get(f"/asperion/callback/?error=access_denied&state={pending}")
    assert answer.status_code == 403 and b"access_denied" in answer.content


def test_the_views_take_get_only(configured: dict[str, Any]) -> None:
    assert Browser().post("/asperion/connect/").status_code == 405


PER_USER_MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "contrib_django.users.header_user",
    "asperion_orm.contrib.django.TenantMiddleware",
]


def test_per_user_tokens_go_to_the_users_own_row(
    configured: dict[str, Any], sandbox: Sandbox
) -> None:
    setting = {**configured, "PER_USER_TOKENS": True}
    with override_settings(ASPERION=setting, MIDDLEWARE=PER_USER_MIDDLEWARE):
        browser = Browser(headers={"X-Test-User": "7"})
        assert browser.get(connect(browser, sandbox)).status_code == 302
        tenant = sandbox.tenants[0]
        assert browser.get(f"/t/{tenant}/debtors/").json()["tenant"] == tenant
        anonymous = Browser().get("/active/")
        login = Browser().get("/asperion/connect/")
    assert list(StoredToken.objects.using("asperion").values_list("grant", flat=True)) == ["user:7"]
    assert anonymous.json() == {"tenant": None}  # no session: login_required decides
    assert login.status_code == 302
    assert login.headers["Location"] == "/accounts/login/?next=/asperion/connect/"


def test_a_callback_finished_by_another_user_is_refused(
    configured: dict[str, Any], sandbox: Sandbox
) -> None:
    setting = {**configured, "PER_USER_TOKENS": True}
    with override_settings(ASPERION=setting, MIDDLEWARE=PER_USER_MIDDLEWARE):
        browser = Browser(headers={"X-Test-User": "7"})
        callback = connect(browser, sandbox)
        answer = browser.get(callback, headers={"X-Test-User": "8"})
    assert answer.status_code == 400 and b"Another user" in answer.content
    assert _stored() is None
