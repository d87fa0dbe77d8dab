"""Answers a hostile or broken server may give: every one becomes an error of the library.

A malformed 200 body (not JSON, not the envelope, absurd numbers) raises ``InvalidResponse``,
carrying the redacted request, and is never cached; a broken token-endpoint answer raises
``InvalidResponse`` too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from asperion_orm import Client
from asperion_orm.exceptions import AsperionError, InvalidResponse, TenantMismatchError
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
