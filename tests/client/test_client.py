"""The client against a fake transport: OAuth flow, refresh, retries and the error table."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from asperion_orm import Client, MemoryTokenStore
from asperion_orm.exceptions import (
    AmbiguousWriteError,
    AuthenticationError,
    BadRequest,
    ConfigurationError,
    NotFound,
    PermissionDenied,
    RateLimited,
    ReauthorizationRequired,
    ServerError,
    TransportError,
    ValidationError,
)

from .conftest import (
    CLIENT_SECRET,
    FakeClock,
    FakeServer,
    RecordingTokenStore,
    Reply,
    refused,
    reset,
)

MakeClient = Callable[..., Client]


def _bearer(request: requests.PreparedRequest) -> str:
    return str(request.headers["Authorization"]).removeprefix("Bearer ")


def _expired_client(make_client: MakeClient, store: MemoryTokenStore | None = None) -> Client:
    """Return a client started from a stored token that has just expired."""
    first = make_client()
    token = first.token_store.load()
    assert token is not None
    store = store or MemoryTokenStore()
    store.save(dataclasses.replace(token, expires_at=time.time() - 1))
    return make_client(authorize=False, token_store=store)


# -- authorization ----------------------------------------------------------------------


def test_authorization_url_uses_pkce_s256_and_never_the_secret(make_client: MakeClient) -> None:
    client = make_client(authorize=False)
    url = client.authorization_url(state="abc")
    query = parse_qs(urlsplit(url).query)
    assert url.startswith("https://id.test/connect/authorize?")
    assert query["state"] == ["abc"] and query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["client_id"] == ["fake-app"]
    assert "offline_access" in query["scope"][0]
    assert CLIENT_SECRET not in url


def test_fetch_token_sends_the_verifier_and_saves_before_use(
    make_client: MakeClient, fake: FakeServer
) -> None:
    client = make_client()
    form = parse_qs(str(fake.token_requests()[0].body))
    assert form["grant_type"] == ["authorization_code"]
    assert len(form["code_verifier"][0]) >= 43
    assert form["client_secret"] == [CLIENT_SECRET]
    assert isinstance(client.token_store, RecordingTokenStore) and client.token_store.saves == 1


def test_fetch_token_refuses_a_state_it_never_issued(make_client: MakeClient) -> None:
    client = make_client(authorize=False)
    client.authorization_url(state="mine")
    with pytest.raises(ConfigurationError, match="never issued"):
        client.fetch_token(code="x", state="forged")


def test_no_token_yet_says_how_to_authorize(make_client: MakeClient) -> None:
    client = make_client(authorize=False)
    with pytest.raises(ReauthorizationRequired, match="authorization_url"):
        client.tenant(1).get("debtors")


def test_client_repr_and_errors_hold_no_secret(make_client: MakeClient) -> None:
    client = make_client()
    assert CLIENT_SECRET not in repr(client) and CLIENT_SECRET not in repr(client.auth)
    assert "secret" not in repr(client.token)


# -- refresh ----------------------------------------------------------------------------


def test_an_expired_token_is_refreshed_once_saved_and_then_used(
    make_client: MakeClient, fake: FakeServer
) -> None:
    client = _expired_client(make_client)
    before = len(fake.token_requests())
    client.tenant(1).get("debtors")
    client.tenant(1).get("debtors", cache=False)
    assert len(fake.token_requests()) == before + 1
    stored = client.token_store.load()
    assert stored is not None
    assert {_bearer(r) for r in fake.api_requests()} == {stored.access_token}


def test_threads_crossing_expiry_refresh_once(make_client: MakeClient, fake: FakeServer) -> None:
    client = _expired_client(make_client)
    before = len(fake.token_requests())
    errors: list[BaseException] = []

    def work() -> None:
        try:
            client.tenant(1).get("debtors", cache=False)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert len(fake.token_requests()) == before + 1


def test_a_401_refreshes_once_and_replays_once(make_client: MakeClient, fake: FakeServer) -> None:
    client = make_client()
    fake.then(Reply(401, {"title": "Unauthorized"}))
    client.tenant(1).get("debtors")
    first, second = fake.api_requests()
    assert _bearer(first) != _bearer(second)
    assert len(fake.token_requests()) == 2


def test_a_second_401_is_an_authentication_error(make_client: MakeClient, fake: FakeServer) -> None:
    client = make_client()
    fake.then(Reply(401), Reply(401))
    with pytest.raises(AuthenticationError, match="authorize the app again"):
        client.tenant(1).get("debtors")
    assert len(fake.api_requests()) == 2 and len(fake.token_requests()) == 2


def test_invalid_grant_requires_reauthorization_without_a_loop(
    make_client: MakeClient, fake: FakeServer
) -> None:
    client = _expired_client(make_client)
    fake.live_refresh.clear()  # the refresh token was revoked
    before = len(fake.token_requests())
    with pytest.raises(ReauthorizationRequired, match="invalid_grant"):
        client.tenant(1).get("debtors")
    with pytest.raises(ReauthorizationRequired):
        client.tenant(1).get("debtors")
    assert len(fake.token_requests()) == before + 1
    assert fake.api_requests() == []
    stored = client.token_store.load()
    assert stored is not None and stored.refresh_token is None


def test_a_lost_refresh_answer_is_tried_once_more_then_needs_login(
    make_client: MakeClient, fake: FakeServer
) -> None:
    client = _expired_client(make_client)
    real = fake.routes[-1][2]
    calls: list[int] = []

    def lose_answer(request: requests.PreparedRequest) -> Reply | BaseException:
        calls.append(1)
        reply = real(request)  # the first time the server rotates, and the answer is lost
        return requests.ReadTimeout("read timed out") if len(calls) == 1 else reply

    fake.route("POST", r"/connect/token", lose_answer)
    with pytest.raises(ReauthorizationRequired):
        client.tenant(1).get("debtors")
    assert len(calls) == 2


# -- retries ----------------------------------------------------------------------------


def test_429_with_retry_after_waits_then_succeeds(
    make_client: MakeClient, fake: FakeServer, clock: FakeClock
) -> None:
    client = make_client()
    fake.then(Reply(429, {"title": "Too Many"}, {"Retry-After": "3"}))
    assert client.tenant(1).get("debtors")["_meta"]["administrationId"] == 1
    assert clock.sleeps == [3.0]


@pytest.mark.parametrize("header", ["99999", "abc", "-5"])
def test_a_garbage_or_huge_retry_after_is_capped(
    make_client: MakeClient, fake: FakeServer, clock: FakeClock, header: str
) -> None:
    client = make_client()
    fake.then(Reply(429, {}, {"Retry-After": header}))
    client.tenant(1).get("debtors")
    assert len(clock.sleeps) == 1 and 0 < clock.sleeps[0] <= client.retry.retry_after_cap
    assert clock.sleeps[0] <= client.retry.backoff_max


def test_429_until_the_end_is_rate_limited_with_the_hint(
    make_client: MakeClient, fake: FakeServer, clock: FakeClock
) -> None:
    client = make_client()
    fake.then(*[Reply(429, {}, {"Retry-After": "2"})] * 3)
    with pytest.raises(RateLimited) as info:
        client.tenant(1).get("debtors")
    assert info.value.retry_after == 2 and clock.sleeps == [2, 2]


def test_get_retries_502_503_504_and_connection_errors(
    make_client: MakeClient, fake: FakeServer, clock: FakeClock
) -> None:
    client = make_client(retry=None)
    client.retry = dataclasses.replace(client.retry, attempts=6, sleep=clock.sleep, clock=clock)
    fake.then(Reply(502), Reply(503), Reply(504), reset(), requests.ReadTimeout("slow"))
    client.tenant(1).get("debtors")
    assert len(fake.api_requests()) == 6 and len(clock.sleeps) == 5


def test_get_500_is_a_server_error_without_retry(make_client: MakeClient, fake: FakeServer) -> None:
    client = make_client()
    fake.then(Reply(500, {"title": "Internal Server Error"}))
    with pytest.raises(ServerError, match="try again later"):
        client.tenant(1).get("debtors")
    assert len(fake.api_requests()) == 1


def test_exhausted_retries_raise_the_last_error(
    make_client: MakeClient, fake: FakeServer, clock: FakeClock
) -> None:
    client = make_client()
    fake.then(Reply(503), Reply(503), Reply(503), Reply(200))
    with pytest.raises(ServerError):
        client.tenant(1).get("debtors")
    assert len(fake.api_requests()) == 3 and len(clock.sleeps) == 2


@pytest.mark.parametrize("method", ["post", "patch"])
@pytest.mark.parametrize(
    "failure",
    [lambda: requests.ReadTimeout("read timed out"), reset, lambda: Reply(500),
     lambda: Reply(502), lambda: Reply(504)],
    ids=["read_timeout", "reset", "500", "502", "504"],
)  # fmt: skip
def test_a_write_with_unknown_outcome_is_ambiguous_and_never_resent(
    make_client: MakeClient, fake: FakeServer, method: str, failure: Callable[[], object]
) -> None:
    client = make_client()
    fake.then(failure())  # type: ignore[arg-type]
    session = client.tenant(1)
    with pytest.raises(AmbiguousWriteError, match="may have applied it") as info:
        getattr(session, method)("debtors/1" if method == "patch" else "debtors", {"name": "x"})
    assert len(fake.api_requests()) == 1
    assert info.value.request_id and info.value.__cause__ is not None


def test_a_post_that_never_left_is_retried(
    make_client: MakeClient, fake: FakeServer, clock: FakeClock
) -> None:
    client = make_client()
    fake.then(refused(), requests.ConnectTimeout("connect timed out"))
    client.tenant(1).post("debtors", {"name": "x"})
    assert len(fake.api_requests()) == 3
    ids = {r.headers["X-Request-Id"] for r in fake.api_requests()}
    assert len(ids) == 1  # one logical call, one request id on every attempt


def test_a_post_refused_with_429_is_retried_and_503_is_final(
    make_client: MakeClient, fake: FakeServer
) -> None:
    client = make_client()
    fake.then(Reply(429, {}, {"Retry-After": "1"}))
    client.tenant(1).post("debtors", {"name": "x"})
    fake.then(Reply(503))
    with pytest.raises(ServerError):
        client.tenant(1).post("debtors", {"name": "y"})
    assert len(fake.api_requests()) == 3


def test_a_delete_retried_after_an_unknown_outcome_accepts_404(
    make_client: MakeClient, fake: FakeServer
) -> None:
    client = make_client()
    fake.then(reset(), Reply(404, {"title": "Not Found"}))
    client.tenant(1).delete("debtors/5")
    fake.then(Reply(404, {"title": "Not Found"}))
    with pytest.raises(NotFound):
        client.tenant(1).delete("debtors/5")
    fake.then(Reply(503), Reply(404, {"title": "Not Found"}))  # 503: surely not deleted then
    with pytest.raises(NotFound):
        client.tenant(1).delete("debtors/5")


def test_transport_failures_become_transport_errors_without_secrets(
    make_client: MakeClient, fake: FakeServer
) -> None:
    client = make_client()
    fake.then(*[refused()] * 3)
    with pytest.raises(TransportError, match=r"connection to api\.test failed") as info:
        client.tenant(1).get("debtors")
    cause = info.value.__cause__
    assert cause is not None and getattr(cause, "request", None) is None


# -- the error table --------------------------------------------------------------------


def test_a_problem_details_400_is_a_validation_error_keyed_by_api_field(
    make_client: MakeClient, fake: FakeServer
) -> None:
    client = make_client()
    body = {
        "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        "title": "One or more validation errors occurred.",
        "status": 400,
        "errors": {"name": ["The Name field is required."], "email": "Not an e-mail."},
    }
    fake.then(Reply(400, body))
    with pytest.raises(ValidationError) as info:
        client.tenant(1).post("debtors", {})
    assert info.value.errors == {
        "name": ["The Name field is required."],
        "email": ["Not an e-mail."],
    }


@pytest.mark.parametrize(
    ("status", "error", "hint"),
    [
        (400, BadRequest, "check the parameters"),
        (403, PermissionDenied, "tenant id"),
        (404, NotFound, "check the id"),
    ],
)
def test_error_statuses_map_to_the_table_with_redacted_request(
    make_client: MakeClient, fake: FakeServer, status: int, error: type[Exception], hint: str
) -> None:
    client = make_client()
    fake.then(Reply(status, {"title": "Nope"}))
    with pytest.raises(error, match=hint) as info:
        client.tenant(9).get("debtors/77")
    exc = info.value
    assert "GET /v1/debtors/77" in str(exc)
    assert exc.request.headers["Authorization"] == "REDACTED"  # type: ignore[attr-defined]
    assert exc.request.headers["X-Tenant-Id"] == "9"  # type: ignore[attr-defined]
    assert exc.response.status_code == status  # type: ignore[attr-defined]
    assert exc.body == {"title": "Nope"}  # type: ignore[attr-defined]


def test_every_tenant_request_carries_tenant_and_language(
    make_client: MakeClient, fake: FakeServer
) -> None:
    client = make_client(language="nl-NL", tenant_header="X-TenantId")
    session = client.tenant(12)
    session.get("debtors")
    session.post("debtors", {"name": "x"})
    for request in fake.api_requests():
        assert request.headers["X-TenantId"] == "12"
        assert request.headers["Accept-Language"] == "nl-NL"


def test_administrations_are_listed_without_a_tenant_header_across_pages(
    make_client: MakeClient, fake: FakeServer
) -> None:
    client = make_client()
    meta = {"pageCount": 2, "totalCount": 2}  # a server that pages by one row
    fake.then(
        Reply(200, {"_data": [{"id": 1}], "_meta": {**meta, "nextPage": "x"}}),
        Reply(200, {"_data": [{"id": 2}], "_meta": {**meta, "nextPage": None}}),
    )
    assert [a["id"] for a in client.administrations()] == [1, 2]
    sent = fake.api_requests()
    assert [parse_qs(urlsplit(r.url).query)["page"] for r in sent] == [["1"], ["2"]]
    assert all("X-Tenant-Id" not in r.headers for r in sent)


@pytest.mark.parametrize("path", ["", "/", "debtor?x=1", "debtors/../x", "a\r\nb"])
def test_bad_paths_are_refused_before_sending(make_client: MakeClient, path: str) -> None:
    client = make_client()
    with pytest.raises(ConfigurationError):
        client.tenant(1).get(path)


@pytest.mark.parametrize(
    "path",
    ["debtors/%2e%2e/admin", "debtors/%2E%2E", "debtors/.%2e/x", "debtors/%2e", "%2e%2e",
     "debtors/%252e%252e/x", "debtors/1%2F..%2Fadmin", "debtors\\..\\x",
     "debtors/%ef%bc%8e%ef%bc%8e", "debtors/%0d%0aX-Evil:%201", "debtors/%00", "debtors//5"],
)  # fmt: skip
def test_encoded_dot_segments_are_refused_before_sending(
    make_client: MakeClient, fake: FakeServer, path: str
) -> None:
    client = make_client()
    with pytest.raises(ConfigurationError, match="not a resource path"):
        client.tenant(1).get(path)
    assert fake.api_requests() == []


@pytest.mark.parametrize(
    "kwargs",
    [{"max_concurrency": 0}, {"timeout": (0, 1)}, {"tenant_header": "X Bad"},
     {"environment": "mars"}],
)  # fmt: skip
def test_bad_arguments_are_configuration_errors(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError):
        Client("app", "s", "http://127.0.0.1/cb", **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [{"language": "en-US\r\nX-Evil: 1"}, {"language": "nl\x00"}, {"language": "en\n"},
     {"language": ""}, {"tenant_header": "Authorization"}, {"tenant_header": "host"},
     {"tenant_header": "Content-Length"}, {"tenant_header": "X-Tenant\x00Id"},
     {"tenant_header": "X-Tenant\r\nId"}, {"tenant_header": "X-Tenant(Id)"},
     {"tenant_header": "Accept-Language"}, {"tenant_header": "Cookie"},
     {"base_url": "https://api.test/v1\r\nX-Evil: 1", "identity_url": "https://id.test"},
     {"base_url": "https://api.test/v1", "identity_url": "https://id.test/\x00"}],
)  # fmt: skip
def test_arguments_that_would_reach_a_header_unchecked_are_refused(
    kwargs: dict[str, object],
) -> None:
    with pytest.raises(ConfigurationError) as info:
        Client("app", "s", "http://127.0.0.1/cb", **kwargs)  # type: ignore[arg-type]
    assert "\n" not in str(info.value) and "\x00" not in str(info.value)


@pytest.mark.parametrize("language", ["nl", "nl-NL", "en-US", "zh-Hant-TW", "nl-NL, en;q=0.5"])
def test_language_tags_and_lists_are_accepted(
    make_client: MakeClient, fake: FakeServer, language: str
) -> None:
    make_client(language=language).tenant(1).get("debtors")
    assert fake.api_requests()[0].headers["Accept-Language"] == language


def test_environments_pick_the_documented_hosts() -> None:
    sandbox = Client("app", "s", "http://127.0.0.1/cb", environment="sandbox")
    production = Client("app", "s", "http://127.0.0.1/cb")
    assert sandbox.base_url == "https://api-sandbox.asperion.nl/v1"
    assert sandbox.identity_url == "https://identity-sandbox.asperion.nl"
    assert production.base_url == "https://api.asperion.nl/v1"
    assert production.auth.token_endpoint == "https://identity.asperion.nl/connect/token"


def test_a_loopback_emulator_may_use_plain_http_when_allowed(fake: FakeServer) -> None:
    client = Client(
        "app", CLIENT_SECRET, "http://127.0.0.1/cb", base_url="http://127.0.0.1:9/v1",
        identity_url="http://127.0.0.1:9", allow_http=True, transport=fake,
    )  # fmt: skip
    client.authorization_url(state="s")
    client.fetch_token(code="code-value-123", state="s")
    assert client.tenant(2).get("debtors")["_meta"]["administrationId"] == 2


def test_time_zone_defaults_to_amsterdam_and_reaches_every_session(
    make_client: MakeClient,
) -> None:
    from zoneinfo import ZoneInfo

    client = make_client()
    assert client.time_zone == ZoneInfo("Europe/Amsterdam")
    assert client.tenant(7).time_zone is client.time_zone
    utc = make_client(time_zone="UTC")
    assert utc.tenant(7).time_zone == ZoneInfo("UTC")


@pytest.mark.parametrize("zone", ["Mars/Olympus", "", 5])
def test_an_unknown_time_zone_is_refused_with_the_form_expected(
    make_client: MakeClient, zone: object
) -> None:
    with pytest.raises(ConfigurationError, match="IANA zone name such as 'Europe/Amsterdam'"):
        make_client(time_zone=zone)
