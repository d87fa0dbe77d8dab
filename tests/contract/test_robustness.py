"""Bad input never produces a 500; concurrent writes stay consistent."""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest

from asperion_orm.testing.sandbox import Sandbox

from .helpers import Api, body

BAD_QUERIES: list[Any] = [
    {"page": "0"},
    {"pageSize": "-1"},
    {"page": "1e3"},
    {"page": "٣"},
    {"pageSize": "99999999999999999999999"},
    {"orderby": "-"},
    {"orderby": "--name"},
    {"orderby": "名"},
    {"fields": ","},
    {"fields": ""},
    {"dateAdded_from": "2024-01-01T25:00"},
    {"dateAdded_to": "2024-01-01T10:00+99:00"},
    {"dateAdded": "0000-00-00"},
    {"id": "9" * 400},
    {"paymentConditionId": "1e999999"},
    {"paymentConditionId_from": "-0"},
    {"name": "\x00"},
    {"name": "é" * 300},
    {"name": "x", "name_comparison": "\x00"},
    {"name_comparison": "Equals", "NAME_COMPARISON": "Equals"},
    {"iban": "NL", "iban_comparison": "EndsWith", "name": "ß", "name_comparison": "contains"},
    {"blocked_comparison": "Equals"},
    {"_from": "1"},
    {"id_": "1"},
    {"MetaOnly": ""},
    {"ActiveState": "All"},
    {"page": "1", "PAGE": "2"},
    {"": "x"},
    {"id_from": "1", "id_to": "0"},
]


@pytest.mark.parametrize("params", BAD_QUERIES)
def test_bad_queries_are_answered_without_server_error(seeded_api: Api, params: Any) -> None:
    response = seeded_api.get("debtors", params)
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert body(response)["errors"]


BAD_BODIES: list[bytes] = [
    b"{" * 5000 + b"}" * 5000,
    b'{"name": "' + b"x" * 100_000 + b'"}',
    b'{"name": 1e999}',
    b'{"name": "X", "paymentConditionId": 1e999}',
    b'{"name": "X", "paymentConditionId": -1e-999}',
    b'{"name": "X", "paymentConditionId": 99999999999999999999999}',
    b'{"name": "\\ud800"}',
    b'{"name": "X", "paymentConditionId": Infinity}',
    b'{"name": "X", "lines": []}',
    b"\x00",
    b'{"name": "X", "name": "Y"}',
    b'{"name": "X", "blocked": null}',
    '{"name": "ü"}'.encode("latin-1"),
]


@pytest.mark.parametrize("raw", BAD_BODIES)
def test_bad_bodies_are_answered_without_server_error(tenant_api: Api, raw: bytes) -> None:
    response = tenant_api.call(
        "POST", "debtors", data=raw, headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (201, 400), response.text


@pytest.mark.parametrize(
    "raw",
    [
        b'{"debtorId": 1, "date": "2025-01-01", "lines": {"_data": [1, "x", null, []]}}',
        b'{"debtorId": 1, "date": "2025-01-01", "lines": {"amount": 1}}',
        b'{"debtorId": 1, "date": "2025-01-01", "lines": {"_data": [{"amount": 1e400}]}}',
        b'{"debtorId": 1, "date": "2025-01-01", "lines": {"_data": {"_data": []}}}',
        b'{"debtorId": 1, "date": "2025-01-01", "lines": [{"amount": 1}]}',
    ],
)
def test_bad_nested_lines_are_400(tenant_api: Api, raw: bytes) -> None:
    assert tenant_api.call("POST", "salesinvoiceswithlines", data=raw).status_code == 400


def test_huge_and_odd_ids_everywhere(tenant_api: Api) -> None:
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        for row_id in ("2147483648", "0", "-5", "%20", "1;2", "\uff11"):
            response = tenant_api.call(method, f"debtors/{row_id}", body={"name": "X"})
            assert response.status_code in (404, 405), (method, row_id, response.text)


def test_deep_paths_are_404(tenant_api: Api) -> None:
    assert tenant_api.get("debtors/1/lines").status_code == 404
    assert tenant_api.post("debtors/10001/file").status_code == 404
    assert tenant_api.get("salesinvoiceswithlines/500001/file/x").status_code == 404
    assert tenant_api.get("").status_code == 404


def test_nothing_in_the_log_was_a_server_error(asperion_sandbox: Sandbox, seeded_api: Api) -> None:
    for params in BAD_QUERIES:
        seeded_api.get("salesinvoices", params)
    assert not [entry for entry in asperion_sandbox.request_log if entry.status >= 500]


def test_concurrent_creates_get_unique_ids(asperion_sandbox: Sandbox, tenant_api: Api) -> None:
    created: list[int] = []
    lock = threading.Lock()

    def work(offset: int) -> None:
        api = tenant_api.using(http=__import__("requests").Session())
        for index in range(10):
            row = body(api.post("countries", {"name": f"Land {offset}-{index}", "code": "X"}))
            with lock:
                created.append(row["id"])

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(created) == len(set(created)) == 40


def test_an_unexpected_bug_still_answers_problem_details(monkeypatch: pytest.MonkeyPatch) -> None:
    from werkzeug.test import Client

    from asperion_orm.testing.emulator import app as app_module

    def broken(call: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setitem(app_module.COLLECTION, "GET", broken)
    state = app_module.EmulatorState()
    token = state.tokens.issue(state.username, state.client_id, "asperion-api", 60, state.clock())
    client = Client(app_module.create_app(state))
    response = client.get(
        "/v1/debtors", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert response.status_code == 500
    problem = dict(response.json)
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-00", problem.pop("traceId"))
    assert problem == {
        "type": "https://tools.ietf.org/html/rfc9110#section-15.6.1",
        "title": "An error occurred while processing your request.",
        "status": 500,
        "detail": "An unexpected error occurred.",
    }


def test_json_answers_say_so(seeded_api: Api) -> None:
    assert seeded_api.get("debtors").headers["Content-Type"] == "application/json"
    problem = seeded_api.get("debtors", {"page": "0"}).headers["Content-Type"]
    assert problem == "application/problem+json"
