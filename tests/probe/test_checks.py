"""The probe's judgements, against small scripted servers the sandbox cannot be made into."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from asperion_orm import Client, MemoryTokenStore, Token
from asperion_orm.capabilities import Capabilities
from asperion_orm.probe import (
    Api,
    check_order_by,
    check_pkce,
    check_text,
    judge_authorize,
    padded_query,
)

COUNTRIES = [
    {"id": 1, "name": "Nederland"},
    {"id": 2, "name": "België"},
    {"id": 3, "name": "Duitsland"},
    {"id": 4, "name": "Frankrijk"},
]
TESTS: dict[str, Callable[[str, str], bool]] = {
    "Contains": lambda value, needle: needle in value,
    "Equals": lambda value, needle: value == needle,
}

Answer = tuple[int, dict[str, str], Any]  # status, headers, JSON body


class ScriptedServer(BaseAdapter):
    """Answers ``/v1/countries`` with given text and ordering rules, and ``/connect/authorize``.

    ``orderby`` is ``"any"`` (sorts by the first key, which decides for these names),
    ``"single"`` (ignores a comma list) or ``"none"`` (ignores orderby).
    """

    def __init__(
        self,
        *,
        comparison: bool = True,
        default: str = "Contains",
        fold: bool = True,
        orderby: str = "any",
        authorize: Callable[[dict[str, str]], Answer] | None = None,
    ) -> None:
        super().__init__()
        self.comparison, self.default, self.fold = comparison, default, fold
        self.orderby = orderby
        self.authorize = authorize
        self.paths: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Answer one request."""
        parts = urlsplit(str(request.url))
        self.paths.append(parts.path)
        query = parse_qsl(parts.query)
        if parts.path == "/connect/authorize" and self.authorize is not None:
            status, headers, body = self.authorize(dict(query))
        else:
            status, headers, body = self._countries(query)
        return _response(request, status, headers, body)

    def close(self) -> None:
        """Nothing to close."""

    def _countries(self, query: list[tuple[str, str]]) -> Answer:
        params = dict(query)
        if "name_comparison" in params and not self.comparison:
            return 400, {}, {"errors": {"name_comparison": ["not supported"]}}
        rows = [row for row in COUNTRIES if self._matches(row["name"], params)]
        order = params.get("orderby", "")
        if order and (self.orderby == "any" or (self.orderby == "single" and "," not in order)):
            rows.sort(key=lambda row: row["name"], reverse=order.startswith("-"))
        meta = {"administrationId": 7, "totalCount": len(rows)}
        return 200, {}, {"_data": rows, "_meta": meta}

    def _matches(self, name: str, params: dict[str, str]) -> bool:
        if "name" not in params:
            return True
        needle = params["name"]
        if self.fold:
            name, needle = name.casefold(), needle.casefold()
        return TESTS[params.get("name_comparison", self.default)](name, needle)


def _response(
    request: requests.PreparedRequest, status: int, headers: dict[str, str], body: Any
) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers = CaseInsensitiveDict(
        {"Content-Type": "application/json", **headers} if body is not None else headers
    )
    response._content = json.dumps(body).encode() if body is not None else b""
    response.request = request
    response.url = str(request.url)
    response.encoding = "utf-8"
    return response


@pytest.fixture
def connect() -> Iterator[Callable[[ScriptedServer], Client]]:
    """Return a factory of clients that talk to a scripted server (closed after the test)."""
    clients: list[Client] = []

    def make(server: ScriptedServer) -> Client:
        client = Client(
            "probe-app",
            "not-a-real-secret",
            "http://127.0.0.1:8765/callback",
            base_url="https://api.example/v1",
            identity_url="https://identity.example",
            transport=server,
            token_store=MemoryTokenStore(),
        )
        lifetime = 3600.0
        token = Token("access", "refresh", expires_at=time.time() + lifetime, lifetime=lifetime)
        client.token_store.save(token)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


# -- text filters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ({"comparison": True, "default": "Contains", "fold": True}, (True, "contains", False)),
        ({"comparison": True, "default": "Equals", "fold": False}, (True, "equals", True)),
        ({"comparison": False, "default": "Contains", "fold": True}, (False, "contains", False)),
        ({"comparison": False, "default": "Contains", "fold": False}, (False, "contains", True)),
        ({"comparison": False, "default": "Equals", "fold": True}, (False, "equals", False)),
    ],
    ids=["contains-ci", "exact-cs", "no-comparison-ci", "no-comparison-cs", "equals-ci"],
)
def test_text_checks_tell_the_modes_apart(
    connect: Callable[[ScriptedServer], Client],
    server: dict[str, Any],
    expected: tuple[bool, str, bool],
) -> None:
    scripted = ScriptedServer(**server)
    findings = check_text(Api(connect(scripted), 7, "X-Tenant-Id"), COUNTRIES)
    assert tuple(finding.value for finding in findings) == expected
    assert all(finding.measured for finding in findings)
    assert len(scripted.paths) == 3


def test_text_checks_keep_the_defaults_without_a_usable_name(
    connect: Callable[[ScriptedServer], Client],
) -> None:
    scripted = ScriptedServer()
    findings = check_text(Api(connect(scripted), 7, "X-Tenant-Id"), [{"id": 1, "name": "123"}])
    defaults = Capabilities()
    keys = ["text_comparison", "text_default", "text_case_sensitive"]
    assert [(f.name, f.value, f.measured) for f in findings] == [
        (key, getattr(defaults, key), False) for key in keys
    ]
    assert scripted.paths == []


# -- orderby -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("orderby", "value", "measured", "note"),
    [
        ("any", True, True, "sorted as the one-field order does"),
        ("single", False, True, "accepted but ignored"),
        ("none", False, False, "did not show"),
    ],
)
def test_orderby_tells_applied_from_ignored(
    connect: Callable[[ScriptedServer], Client],
    orderby: str,
    value: bool,
    measured: bool,
    note: str,
) -> None:
    finding = check_order_by(Api(connect(ScriptedServer(orderby=orderby)), 7, "X-Tenant-Id"))
    assert (finding.value, finding.measured) == (value, measured)
    assert note in finding.note


# -- PKCE ----------------------------------------------------------------------------------


def error_page_without(challenge_needed: bool) -> Callable[[dict[str, str]], Answer]:
    """Answer like IdentityServer: an error page, or the sign-in page when the request is good."""

    def answer(query: dict[str, str]) -> Answer:
        if challenge_needed and "code_challenge" not in query:
            return 302, {"Location": "https://identity.example/home/error?errorId=x1"}, None
        login = "https://identity.example/account/login?" + urlencode({"ReturnUrl": "/x"})
        return 302, {"Location": login}, None

    return answer


def test_pkce_is_required_when_only_the_challenge_makes_the_difference(
    connect: Callable[[ScriptedServer], Client],
) -> None:
    scripted = ScriptedServer(authorize=error_page_without(challenge_needed=True))
    finding = check_pkce(connect(scripted))
    assert (finding.value, finding.measured) == (True, True)
    assert [e.summary for e in finding.exchanges] == [
        "redirected to an error page (/home/error)",
        "redirected to /account/login to sign in",
    ]
    assert scripted.paths == ["/connect/authorize", "/connect/authorize"]


def test_pkce_is_not_required_when_the_sign_in_page_comes_at_once(
    connect: Callable[[ScriptedServer], Client],
) -> None:
    scripted = ScriptedServer(authorize=error_page_without(challenge_needed=False))
    finding = check_pkce(connect(scripted))
    assert (finding.value, len(finding.exchanges)) == (False, 1)


def test_pkce_stays_unknown_when_both_requests_are_refused(
    connect: Callable[[ScriptedServer], Client],
) -> None:
    def refuse(query: dict[str, str]) -> Answer:
        return 302, {"Location": "https://identity.example/home/error?errorId=x2"}, None

    finding = check_pkce(connect(ScriptedServer(authorize=refuse)))
    assert (finding.value, finding.measured, len(finding.exchanges)) == (None, False, 2)


@pytest.mark.parametrize(
    ("status", "location", "content_type", "text", "verdict"),
    [
        (302, "http://127.0.0.1/cb?code=SECRET&state=S", "", "", "accepted"),
        (302, "http://127.0.0.1/cb?error=invalid_request&error_description=code+challenge+required",
         "", "", "refused-pkce"),
        (302, "http://127.0.0.1/cb?error=invalid_request&error_description=PKCE+needed", "", "",
         "refused-pkce"),
        (302, "http://127.0.0.1/cb?error=invalid_scope", "", "", "refused"),
        (302, "https://identity.example/home/error?errorId=1", "", "", "unclear"),
        (302, "https://identity.example/Account/Login?ReturnUrl=x", "", "", "accepted"),
        (200, None, "text/html; charset=utf-8", "<form>", "accepted"),
        (400, None, "application/json",
         '{"error": "invalid_request", "error_description": "code_challenge required"}',
         "refused-pkce"),
        (400, None, "application/json", '{"error": "invalid_client"}', "refused"),
        (400, None, "application/json", "not json", "refused"),
        (500, None, "text/plain", "boom", "unclear"),
    ],
)  # fmt: skip
def test_judge_authorize(
    status: int, location: str | None, content_type: str, text: str, verdict: str
) -> None:
    found, summary = judge_authorize(status, location, content_type, text)
    assert found == verdict
    assert "SECRET" not in summary and "state" not in summary


# -- the padded query of the URL-length search ---------------------------------------------


@pytest.mark.parametrize("length", [*range(34, 200), 1024, 2047, 2048, 4095, 8192])
def test_a_padded_query_has_exactly_the_length_asked_for(length: int) -> None:
    assert len(urlencode(padded_query(length))) == length


def test_a_padded_query_cannot_be_shorter_than_its_parts() -> None:
    with pytest.raises(ValueError, match="at least 34 bytes"):
        padded_query(29)
