"""Paging against hostile servers: lying envelopes, looping pages, endless slices, redirects.

Each server here is a fake transport serving one list (``/v1/salesinvoices``, or the account's
``/v1/administrations``). It refuses to answer more than ``CAP`` requests, so a client that
would page forever fails fast instead of hanging.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import pytest
import requests

from asperion_orm import Client
from asperion_orm.exceptions import AmbiguousWriteError, APIError, InvalidResponse
from asperion_orm.resources import SalesInvoiceHeader

from .conftest import FakeServer, Reply

MakeClient = Callable[..., Client]

CAP = 60
"""No test here needs more requests; the server answers 500 past it."""


class Table:
    """A list endpoint over ``rows`` rows whose envelope may lie (``meta`` overrides it)."""

    def __init__(
        self, rows: int, *, meta: dict[str, Any] | None = None, ignore_page: bool = False
    ) -> None:
        self.rows = [{"id": n, "description": f"row {n}"} for n in range(1, rows + 1)]
        self.meta = meta or {}
        self.ignore_page = ignore_page
        self.pages: list[int] = []

    def __call__(self, request: requests.PreparedRequest) -> Reply:
        if len(self.pages) >= CAP:
            return Reply(500, {"title": f"more than {CAP} requests"})
        query = {k: v[0] for k, v in parse_qs(urlsplit(str(request.url)).query).items()}
        page, size = int(query.get("page", "1")), int(query.get("pageSize", "100"))
        self.pages.append(page)
        start = 0 if self.ignore_page else (page - 1) * size
        tenant = request.headers.get("X-Tenant-Id")
        meta: dict[str, Any] = {
            "administrationId": int(tenant) if tenant else None,
            "totalCount": len(self.rows),
            "pageCount": -(-len(self.rows) // size),
            **self.meta,
        }
        body = {"_data": self.rows[start : start + size], "_meta": meta}
        return Reply(200, body, text=_dumps(body))


def _dumps(body: dict[str, Any]) -> str:
    """Return JSON in which a ``Decimal`` is written as its digits (``1E+9``), not as a string."""
    text = json.dumps(body, default=lambda number: f"<{number}>")
    return re.sub(r'"<([^>"]*)>"', r"\1", text)


@pytest.fixture
def invoices(fake: FakeServer) -> Callable[..., Table]:
    """Return a factory that serves a ``Table`` as ``/v1/salesinvoices``."""

    def serve(rows: int, **kwargs: Any) -> Table:
        table = Table(rows, **kwargs)
        fake.route("GET", r"/v1/salesinvoices", table)
        return table

    return serve


Serve = Callable[..., Table]


# -- slices never ask past what the rows say ---------------------------------------------------


@pytest.mark.parametrize("stop", [5000, 20_000, 10**12])
def test_a_slice_past_the_end_asks_one_page_of_a_short_table(
    make_client: MakeClient, invoices: Serve, stop: int
) -> None:
    table = invoices(20)
    session = make_client().tenant(1)
    started = time.monotonic()
    found = list(SalesInvoiceHeader.objects.using(session)[5:stop])
    assert [invoice.pk for invoice in found] == list(range(6, 21))
    assert table.pages == [1]
    assert time.monotonic() - started < 10  # it never stopped before


def test_a_slice_asks_no_page_past_the_total_count(
    make_client: MakeClient, invoices: Serve
) -> None:
    table = invoices(250)
    session = make_client().tenant(1)
    found = SalesInvoiceHeader.objects.using(session)[:5000]
    assert [invoice.pk for invoice in found] == list(range(1, 251))
    assert sorted(table.pages) == [1, 2, 3]


def test_a_slice_stops_at_the_first_short_page_whatever_the_envelope_says(
    make_client: MakeClient, invoices: Serve
) -> None:
    table = invoices(150, meta={"totalCount": 10**9, "pageCount": 10**7})
    session = make_client(max_concurrency=1).tenant(1)
    found = SalesInvoiceHeader.objects.using(session)[: 10**6]
    assert [invoice.pk for invoice in found] == list(range(1, 151))
    assert table.pages == [1, 2]


@pytest.mark.parametrize("stop", [10**6, 10**12])
def test_explaining_a_long_slice_lists_a_bounded_number_of_requests(stop: int) -> None:
    queryset = SalesInvoiceHeader.objects.all()[5:stop]
    assert repr(queryset).startswith("<QuerySet SalesInvoiceHeader: GET /salesinvoices?page=1&")
    assert len(queryset.explain().splitlines()) < 20
    assert queryset.explain().endswith("as far as the rows go")


def test_a_server_that_caps_the_page_size_is_paged_by_its_size(
    make_client: MakeClient, fake: FakeServer
) -> None:
    table = Table(130)
    fake.route("GET", r"/v1/salesinvoices", lambda request: table(_capped(request, 30)))
    session = make_client().tenant(1)
    found = list(SalesInvoiceHeader.objects.using(session).all())
    assert [invoice.pk for invoice in found] == list(range(1, 131))
    assert sorted(table.pages) == [1, 2, 3, 4, 5]
    assert [invoice.pk for invoice in SalesInvoiceHeader.objects.using(session)[:70]] == list(
        range(1, 71)
    )


def _capped(request: requests.PreparedRequest, cap: int) -> requests.PreparedRequest:
    """Return the request with ``pageSize`` lowered to ``cap``, as a capping server reads it."""
    capped = request.copy()
    parts = urlsplit(str(request.url))
    query = [
        (k, str(min(int(v), cap)) if k == "pageSize" else v) for k, v in parse_qsl(parts.query)
    ]
    capped.url = parts._replace(query=urlencode(query)).geturl()
    return capped


# -- a lying envelope: pageCount says more than the rows ----------------------------------------


@pytest.mark.parametrize("page_count", [Decimal("1E+9"), 10**9])
def test_a_huge_page_count_with_short_pages_is_one_request(
    make_client: MakeClient, invoices: Serve, page_count: object
) -> None:
    table = invoices(20, meta={"pageCount": page_count, "totalCount": None})
    session = make_client().tenant(1)
    assert len(list(SalesInvoiceHeader.objects.using(session).all())) == 20
    assert table.pages == [1]


def test_a_huge_page_count_stops_at_the_first_empty_page(
    make_client: MakeClient, invoices: Serve
) -> None:
    table = invoices(100, meta={"pageCount": 10**9, "totalCount": None})
    sequential = make_client(max_concurrency=1).tenant(1)
    assert len(list(SalesInvoiceHeader.objects.using(sequential).all())) == 100
    assert table.pages == [1, 2]


def test_concurrent_pages_past_the_first_empty_one_stay_within_the_window(
    make_client: MakeClient, invoices: Serve
) -> None:
    table = invoices(300, meta={"pageCount": 10**9, "totalCount": None})
    client = make_client(max_concurrency=4)
    assert len(list(SalesInvoiceHeader.objects.using(client.tenant(1)).all())) == 300
    assert len(table.pages) <= 4 + 2 * client.max_concurrency


def test_the_smaller_of_page_count_and_total_count_bounds_the_pages(
    make_client: MakeClient, invoices: Serve
) -> None:
    table = invoices(500, meta={"pageCount": 10**9, "totalCount": 200})
    session = make_client().tenant(1)
    assert len(list(SalesInvoiceHeader.objects.using(session).all())) == 200
    assert sorted(table.pages) == [1, 2]


def test_a_server_that_ignores_the_page_is_an_invalid_response(
    make_client: MakeClient, invoices: Serve
) -> None:
    table = invoices(100, meta={"pageCount": 999, "totalCount": 99_900}, ignore_page=True)
    client = make_client()
    with pytest.raises(APIError, match="page 2 repeats") as info:
        list(SalesInvoiceHeader.objects.using(client.tenant(1)).all())
    assert info.value.status_code == 200
    assert "page=2" in info.value.request.url
    assert len(table.pages) <= 1 + 2 * client.max_concurrency


@pytest.mark.parametrize("data", [None, {"id": 1}, [1, 2], "rows"])
def test_a_page_without_a_list_of_objects_is_an_invalid_response(
    make_client: MakeClient, fake: FakeServer, data: object
) -> None:
    body = {"_meta": {"administrationId": 1, "totalCount": 2}, "_data": data}
    fake.then(Reply(200, {k: v for k, v in body.items() if v is not None}))
    with pytest.raises(InvalidResponse, match="not a list of objects"):
        list(SalesInvoiceHeader.objects.using(make_client().tenant(1)).all())


# -- the list of administrations ---------------------------------------------------------------


def _administrations(fake: FakeServer, table: Table) -> None:
    def answer(request: requests.PreparedRequest) -> Reply:
        reply = table(request)
        if reply.status == 200:
            reply.body["_meta"].pop("administrationId")
            reply.body["_meta"]["nextPage"] = str(request.url)  # always "this page again"
            reply.text = None
        return reply

    fake.route("GET", r"/v1/administrations", answer)


def test_administrations_with_a_looping_next_page_are_refused_not_repeated(
    make_client: MakeClient, fake: FakeServer
) -> None:
    table = Table(100, meta={"pageCount": 999, "totalCount": 99_900}, ignore_page=True)
    _administrations(fake, table)
    client = make_client()
    with pytest.raises(APIError, match="repeats"):
        client.administrations()
    assert len(table.pages) <= 1 + 2 * client.max_concurrency


def test_administrations_with_a_looping_next_page_but_one_short_page_are_listed_once(
    make_client: MakeClient, fake: FakeServer
) -> None:
    table = Table(3, meta={"pageCount": 999}, ignore_page=True)
    _administrations(fake, table)
    assert [a.pk for a in make_client().administrations()] == [1, 2, 3]
    assert table.pages == [1]


def test_administrations_answered_with_a_redirect_are_an_error_not_an_empty_list(
    make_client: MakeClient, fake: FakeServer
) -> None:
    client = make_client()
    fake.then(Reply(302, None, headers={"Location": "https://elsewhere.test/v1/administrations"}))
    with pytest.raises(APIError, match="302") as info:
        client.administrations()
    assert info.value.status_code == 302
    assert "elsewhere.test" in str(info.value) and "base_url" in str(info.value)
    assert len(fake.api_requests()) == 1


def test_a_write_answered_with_a_redirect_is_ambiguous_and_not_resent(
    make_client: MakeClient, fake: FakeServer
) -> None:
    session = make_client().tenant(1)
    fake.then(Reply(303, None, headers={"Location": "https://api.test/v1/debtors/7"}))
    with pytest.raises(AmbiguousWriteError, match="HTTP 303") as info:
        session.post("debtors", {"name": "x"})
    assert "debtors/7" in str(info.value.__cause__)
    assert len(fake.api_requests()) == 1
