"""Answers a hostile or broken server may give: every one becomes an error of the library.

A malformed 200 body (not JSON, not the envelope, absurd numbers) raises ``InvalidResponse``,
carrying the redacted request, and is never cached; a broken token-endpoint answer raises
``InvalidResponse`` too.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import pytest
import requests

from asperion_orm import Client, MemoryTokenStore, Token
from asperion_orm.exceptions import (
    AsperionError,
    BadRequest,
    InvalidResponse,
    ReauthorizationRequired,
    TenantMismatchError,
    TransportError,
)
from asperion_orm.resources import Debtor

from .conftest import FakeServer, Reply

MakeClient = Callable[..., Client]

META = b'"_meta": {"administrationId": 5, "totalCount": 1, "pageCount": 1}'
DEEP = 100_000


def _page(data: bytes, meta: bytes = META) -> bytes:
    return b'{"_data": ' + data + b", " + meta + b"}"


def _meta(**counts: str) -> bytes:
    pairs = "".join(f', "{name}": {value}' for name, value in counts.items())
    return ('"_meta": {"administrationId": 5' + pairs + "}").encode()


# A list page (GET /debtors?page=1&pageSize=100) the ORM cannot use, one per way to break it.
MALFORMED_PAGES: dict[str, bytes] = {
    "not JSON": b"<html>Service Unavailable</html>",
    "truncated": b'{"_data": [{"id": 1}',
    "an array": b"[]",
    "a string": b'"debtors"',
    "null": b"null",
    "invalid UTF-8": _page(b'[{"id": 1, "name": "\xff\xfe"}]'),
    "nested 100,000 deep": _page(b"[" + b"[" * DEEP + b"]" * DEEP + b"]"),
    "a 5,000-digit integer": _page(b'[{"id": 1' + b"0" * 5000 + b"}]"),
    "NaN": _page(b'[{"id": 1, "name": NaN}]'),
    "Infinity": _page(b'[{"id": Infinity}]'),
    "no _data": b"{" + META + b"}",
    "_data null": _page(b"null"),
    "_data a string": _page(b'"abc"'),
    "_data an object": _page(b'{"id": 1}'),
    "rows that are numbers": _page(b"[1, 2]"),
    "a row that is null": _page(b"[null]"),
    "pageCount a word": _page(b"[]", _meta(pageCount='"many"')),
    "pageCount negative": _page(b"[]", _meta(pageCount="-1")),
    "pageCount a fraction": _page(b"[]", _meta(pageCount="1.5")),
    "pageCount 1e999999999": _page(b"[]", _meta(pageCount="1e999999999")),
    "totalCount a word": _page(b"[]", _meta(totalCount='"x"')),
    "totalCount true": _page(b"[]", _meta(totalCount="true")),
}

# A count (GET /debtors?MetaOnly=true) the ORM cannot use.
MALFORMED_COUNTS: dict[str, bytes] = {
    "no totalCount": b"{" + _meta() + b"}",
    "totalCount null": b"{" + _meta(totalCount="null") + b"}",
    "totalCount a word": b"{" + _meta(totalCount='"x"') + b"}",
    "totalCount an object": b"{" + _meta(totalCount="{}") + b"}",
    "totalCount negative": b"{" + _meta(totalCount="-3") + b"}",
}


def _serve(fake: FakeServer, content: bytes) -> None:
    fake.route("GET", r"/v1/debtors", lambda request: Reply(200, content=content))


@pytest.mark.parametrize("content", MALFORMED_PAGES.values(), ids=MALFORMED_PAGES.keys())
def test_a_malformed_page_is_an_invalid_response_that_is_never_cached(
    make_client: MakeClient, fake: FakeServer, content: bytes
) -> None:
    session = make_client().tenant(5)
    _serve(fake, content)
    for _ in range(2):
        with pytest.raises(InvalidResponse) as info:
            list(Debtor.objects.using(session))
        assert info.value.status_code == 200
        assert info.value.request.method == "GET"
        assert "/v1/debtors" in info.value.request.url
        assert info.value.request.headers["Authorization"] == "REDACTED"
        assert "was not cached" in str(info.value)
    assert len(fake.api_requests()) == 2


@pytest.mark.parametrize("content", MALFORMED_COUNTS.values(), ids=MALFORMED_COUNTS.keys())
def test_a_malformed_count_is_an_invalid_response(
    make_client: MakeClient, fake: FakeServer, content: bytes
) -> None:
    session = make_client().tenant(5)
    _serve(fake, content)
    with pytest.raises(InvalidResponse):
        Debtor.objects.using(session).count()


def test_a_malformed_body_of_the_right_tenant_is_not_cached(
    make_client: MakeClient, fake: FakeServer
) -> None:
    session = make_client().tenant(5)
    _serve(fake, _page(b'"abc"'))
    for _ in range(3):
        with pytest.raises(InvalidResponse):
            session.get("debtors", [("page", "1"), ("pageSize", "100")])
    assert len(fake.api_requests()) == 3


def test_another_tenants_malformed_page_is_still_a_tenant_mismatch(
    make_client: MakeClient, fake: FakeServer
) -> None:
    session = make_client().tenant(5)
    _serve(fake, b'{"_data": "abc", "_meta": {"administrationId": 6}}')
    with pytest.raises(TenantMismatchError):
        list(Debtor.objects.using(session))


@pytest.mark.parametrize(
    "content", [b"{", b'{"_data": "x", "_meta": {}}', b'{"_data": [1], "_meta": {}}', b"[]"]
)
def test_a_malformed_list_of_administrations_is_an_invalid_response(
    make_client: MakeClient, fake: FakeServer, content: bytes
) -> None:
    client = make_client()
    fake.then(Reply(200, content=content))
    with pytest.raises(InvalidResponse):
        client.administrations()


@pytest.mark.parametrize(
    "content", [b"nope", b"[1]", b'{"id": 1, "_meta": {"administrationId": 5}']
)
def test_a_malformed_answer_to_a_write_is_an_invalid_response_that_says_it_may_be_applied(
    make_client: MakeClient, fake: FakeServer, content: bytes
) -> None:
    session = make_client().tenant(5)
    fake.then(Reply(201, content=content))
    with pytest.raises(InvalidResponse, match="may have been applied") as info:
        session.post("debtors", {"name": "x"})
    assert info.value.status_code == 201


def test_every_malformed_answer_stays_in_the_error_tree(
    make_client: MakeClient, fake: FakeServer
) -> None:
    debtors = Debtor.objects.using(make_client().tenant(5)).cache(False)
    escaped: list[tuple[str, str]] = []
    calls: dict[str, Callable[[], Any]] = {
        "list": lambda: list(debtors),
        "count": lambda: debtors.count(),
        "exists": lambda: debtors.exists(),
        "first": lambda: debtors.order_by("id").first(),
        "slice": lambda: list(debtors[3:7]),
    }
    for name, content in {**MALFORMED_PAGES, **MALFORMED_COUNTS}.items():
        _serve(fake, content)
        for what, call in calls.items():
            try:
                call()
            except AsperionError:
                pass
            except Exception as exc:  # what escapes the tree is the point
                escaped.append((f"{what} of {name}", type(exc).__name__))
    assert escaped == []


# -- the token endpoint -----------------------------------------------------------------

TOKEN_ANSWERS: dict[str, str] = {
    "an empty object": "{}",
    "no access_token": '{"token_type": "Bearer", "expires_in": 3600}',
    "access_token null": '{"access_token": null}',
    "access_token a number": '{"access_token": 42}',
    "access_token a list": '{"access_token": ["odd-access-secret"]}',
    "access_token empty": '{"access_token": ""}',
    "access_token with a space": '{"access_token": "odd access secret"}',
    "access_token with a newline": '{"access_token": "odd-access-secret\\n"}',
    "access_token with a NUL": '{"access_token": "odd-access-secret\\u0000"}',
    "expires_in 1e400": '{"access_token": "odd-access-secret", "expires_in": 1e400}',
    "expires_in a word": '{"access_token": "odd-access-secret", "expires_in": "soon"}',
    "expires_in negative": '{"access_token": "odd-access-secret", "expires_in": -5}',
    "expires_in a list": '{"access_token": "odd-access-secret", "expires_in": [1]}',
    "token_type mac": '{"access_token": "odd-access-secret", "token_type": "mac"}',
    "refresh_token a number": '{"access_token": "odd-access-secret", "refresh_token": 7}',
    "refresh_token with a newline": '{"access_token": "odd-access-secret", '
    '"refresh_token": "odd-refresh-secret\\r\\n"}',
    "scope a list": '{"access_token": "odd-access-secret", "scope": ["a"]}',
    "an array": "[]",
    "a string": '"odd-access-secret"',
    "null": "null",
    "not JSON": "<html>sign in</html>",
    "nested 100,000 deep": "[" * DEEP + "]" * DEEP,
}


def _token_answer(fake: FakeServer, text: str) -> None:
    fake.route("POST", r"/connect/token", lambda request: Reply(200, text=text))


@pytest.mark.parametrize("text", TOKEN_ANSWERS.values(), ids=TOKEN_ANSWERS.keys())
def test_a_broken_token_answer_is_an_invalid_response_without_the_token(
    make_client: MakeClient, fake: FakeServer, secrets_seen: Any, text: str
) -> None:
    secrets_seen.add("odd-access-secret", "odd-refresh-secret")
    client = make_client(authorize=False)
    client.authorization_url(state="s1")
    _token_answer(fake, text)
    with pytest.raises(InvalidResponse, match="token endpoint") as info:
        client.fetch_token(code="code-value-123", state="s1")
    assert "odd-access-secret" not in str(info.value)
    assert "odd-refresh-secret" not in str(info.value)
    assert client.token_store.load() is None


@pytest.mark.parametrize("text", TOKEN_ANSWERS.values(), ids=TOKEN_ANSWERS.keys())
def test_a_broken_refresh_answer_is_an_invalid_response_and_nothing_is_sent(
    make_client: MakeClient, fake: FakeServer, secrets_seen: Any, text: str
) -> None:
    secrets_seen.add("odd-access-secret", "odd-refresh-secret")
    client = make_client()
    client.auth.refresh(client.token)  # not expired: keeps it; the next one is forced
    _token_answer(fake, text)
    with pytest.raises(InvalidResponse, match="token endpoint") as info:
        client.auth.refresh(client.token, force=True)
    assert "odd-access-secret" not in str(info.value)
    assert fake.api_requests() == []


def test_a_huge_lifetime_is_accepted_but_the_token_is_refreshed_within_a_day(
    make_client: MakeClient, fake: FakeServer
) -> None:
    client = make_client(authorize=False)
    client.authorization_url(state="s1")
    _token_answer(fake, '{"access_token": "long-lived-secret", "expires_in": 1e12}')
    client.fetch_token(code="code-value-123", state="s1")
    assert client.token.lifetime == 86_400


# -- secrets in messages ------------------------------------------------------------------


def test_a_token_with_a_trailing_newline_is_refused_and_never_quoted(
    make_client: MakeClient, fake: FakeServer, secrets_seen: Any
) -> None:
    secrets_seen.add("newline-access-secret")
    client = make_client(authorize=False)
    client.authorization_url(state="s1")
    _token_answer(fake, '{"access_token": "newline-access-secret\\n", "expires_in": 3600}')
    with pytest.raises(AsperionError) as info:
        client.fetch_token(code="code-value-123", state="s1")
        client.tenant(5).get("debtors")
    assert "newline-access-secret" not in str(info.value)
    assert isinstance(info.value, InvalidResponse)


def test_a_stored_token_that_cannot_travel_in_a_header_is_refreshed_not_sent(
    make_client: MakeClient, fake: FakeServer, secrets_seen: Any
) -> None:
    secrets_seen.add("stored-access-secret", "stored-refresh-secret")
    fake.live_refresh.add("stored-refresh-secret")
    broken = Token("stored-access-secret\n", "stored-refresh-secret", 4e9, 3600)
    client = make_client(authorize=False, token_store=MemoryTokenStore(broken))
    client.tenant(5).get("debtors")
    [sent] = fake.api_requests()
    assert sent.headers["Authorization"] == "Bearer access-1-secret"


def _echo_authorization(request: requests.PreparedRequest) -> requests.ConnectionError:
    """Fail the way a chatty proxy does: quoting the request's headers."""
    authorization = request.headers["Authorization"]
    return requests.ConnectionError(f"proxy refused {{'Authorization': {authorization!r}}}")


@pytest.mark.parametrize(
    "token", ["plain-access-secret", "eyJhbGciOi.eyJzdWIiOi.c2lnbmF0dXJl", "a+/b~c==", "x" * 300]
)
def test_a_transport_error_never_quotes_the_token_whatever_it_looks_like(
    make_client: MakeClient, fake: FakeServer, secrets_seen: Any, token: str
) -> None:
    secrets_seen.add(token)
    store = MemoryTokenStore(Token(token, None, 4e9, 3600))
    client = make_client(authorize=False, token_store=store)
    fake.route("GET", r"/v1/debtors", _echo_authorization)
    with pytest.raises(TransportError) as info:
        client.tenant(5).get("debtors")
    assert token not in str(info.value) and "Bearer REDACTED" in str(info.value)
    assert token not in "".join(traceback.format_exception(info.value))  # causes included


@pytest.mark.parametrize("token", ["stored-access-secret\n", "with space secret", "x'y"])
def test_a_stored_token_that_cannot_travel_is_never_quoted_when_it_cannot_be_refreshed(
    make_client: MakeClient, fake: FakeServer, secrets_seen: Any, token: str
) -> None:
    secrets_seen.add(token, token.strip())
    store = MemoryTokenStore(Token(token, None, 4e9, 3600))
    client = make_client(authorize=False, token_store=store)
    with pytest.raises(ReauthorizationRequired) as info:
        client.tenant(5).get("debtors")
    assert token.strip() not in str(info.value)
    assert fake.api_requests() == []


def test_a_server_error_that_echoes_the_token_does_not_quote_it(
    make_client: MakeClient, fake: FakeServer
) -> None:
    client = make_client()
    access = client.token.access_token
    fake.then(Reply(400, {"title": f"Bad header Authorization: Bearer {access}"}))
    with pytest.raises(BadRequest) as info:
        client.tenant(5).get("debtors")
    assert access not in str(info.value)
