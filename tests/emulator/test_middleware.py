"""The middleware's knobs: faults, latency, rate limit and the request log."""

from __future__ import annotations

import logging
import socket
import ssl
import time

import pytest
import requests
from werkzeug.test import Client as WSGIClient

from asperion_orm.testing.emulator.middleware import SandboxMiddleware
from asperion_orm.testing.emulator.server import AbortConnection, HTTPSServer

from .conftest import TinyApp


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _get(http: requests.Session, server: HTTPSServer, path: str = "/v1/x") -> requests.Response:
    return http.get(f"{server.url}{path}", verify=server.ca_bundle, timeout=5)


def _post(http: requests.Session, server: HTTPSServer, body: str) -> requests.Response:
    return http.post(f"{server.url}/v1/x", data=body, verify=server.ca_bundle, timeout=5)


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_status_fault_answers_problem_details(
    status: int, server: HTTPSServer, middleware: SandboxMiddleware, http: requests.Session
) -> None:
    middleware.inject("GET", "/v1/x", status)
    response = _get(http, server)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == status
    assert _get(http, server).status_code == 200  # times=1: the next request is normal


def test_fault_fires_on_the_nth_request_for_times_requests(
    server: HTTPSServer, middleware: SandboxMiddleware, http: requests.Session
) -> None:
    middleware.inject("GET", "/v1/x", 503, nth=2, times=2, retry_after=3)
    statuses = [_get(http, server).status_code for _ in range(5)]
    assert statuses == [200, 503, 503, 200, 200]


def test_fault_matches_method_and_path_glob(
    server: HTTPSServer, middleware: SandboxMiddleware, http: requests.Session
) -> None:
    middleware.inject("GET", "/v1/other/*", 500, times=None)
    assert _get(http, server, "/v1/x").status_code == 200
    assert _post(http, server, "a").status_code == 201
    assert _get(http, server, "/V1/Other/7").status_code == 500
    assert _get(http, server, "/v1/other/8").status_code == 500


def test_retry_after_on_injected_503(
    server: HTTPSServer, middleware: SandboxMiddleware, http: requests.Session
) -> None:
    middleware.inject("GET", "/v1/x", 503, retry_after=2)
    assert _get(http, server).headers["Retry-After"] == "2"


def test_reset_before_commits_nothing(
    server: HTTPSServer, middleware: SandboxMiddleware, tiny_app: TinyApp, http: requests.Session
) -> None:
    middleware.inject("POST", "/v1/x", "reset_before")
    with pytest.raises(requests.ConnectionError):
        _post(http, server, "lost")
    assert tiny_app.rows == []
    assert _post(http, server, "kept").status_code == 201
    assert tiny_app.rows == ["kept"]


def test_reset_after_commit_commits_but_sends_nothing(
    server: HTTPSServer, middleware: SandboxMiddleware, tiny_app: TinyApp, http: requests.Session
) -> None:
    middleware.inject("POST", "/v1/x", "reset_after_commit")
    with pytest.raises(requests.ConnectionError):
        _post(http, server, "committed")
    assert tiny_app.rows == ["committed"]
    [entry] = middleware.requests("POST")
    assert (entry.status, entry.fault) == (201, "reset_after_commit")


def test_server_survives_resets(
    server: HTTPSServer, middleware: SandboxMiddleware, http: requests.Session
) -> None:
    middleware.inject(None, None, "reset_before", times=5)
    for _ in range(5):
        with pytest.raises(requests.ConnectionError):
            _get(http, server)
    assert _get(http, server).status_code == 200


def test_slow_fault_triggers_a_read_timeout(
    server: HTTPSServer, middleware: SandboxMiddleware, http: requests.Session
) -> None:
    middleware.inject("GET", "/v1/x", "slow", delay=2.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(f"{server.url}/v1/x", verify=server.ca_bundle, timeout=(5, 0.2))


def test_slow_fault_still_answers(
    server: HTTPSServer, middleware: SandboxMiddleware, http: requests.Session
) -> None:
    middleware.inject("GET", "/v1/x", "slow", delay=0.1)
    started = time.monotonic()
    assert _get(http, server).status_code == 200
    assert time.monotonic() - started >= 0.1


def test_latency_delays_every_answer(
    server: HTTPSServer, middleware: SandboxMiddleware, http: requests.Session
) -> None:
    middleware.set_latency(0.1)
    started = time.monotonic()
    for _ in range(2):
        assert _get(http, server).status_code == 200
    assert time.monotonic() - started >= 0.2
    middleware.set_latency(0)
    assert middleware.latency == 0


def test_rate_limit_answers_429_with_retry_after(
    server: HTTPSServer, middleware: SandboxMiddleware, http: requests.Session
) -> None:
    middleware.set_rate_limit(0.1)  # one token, refilled after ten seconds
    assert _get(http, server).status_code == 200
    refused = _get(http, server)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 10
    assert refused.json()["status"] == 429
    assert _get(http, server, "/connect/token").status_code == 200  # only the API is limited
    middleware.set_rate_limit(None)
    assert _get(http, server).status_code == 200


def test_token_bucket_refills_over_time(tiny_app: TinyApp) -> None:
    clock = FakeClock()
    client = WSGIClient(SandboxMiddleware(tiny_app, rate_limit=2, clock=clock))
    assert [client.get("/v1/x").status_code for _ in range(3)] == [200, 200, 429]
    clock.now += 0.5
    assert client.get("/v1/x").status_code == 200
    response = client.get("/v1/x")
    assert (response.status_code, response.headers["Retry-After"]) == (429, "1")


def test_request_log_entries(
    server: HTTPSServer, middleware: SandboxMiddleware, http: requests.Session
) -> None:
    http.get(
        f"{server.url}/v1/x",
        params=[("page", "2"), ("Id", "1"), ("Id", "2"), ("access_token", "tok-SECRET")],
        headers={"Authorization": "Bearer tok-SECRET"},
        verify=server.ca_bundle,
        timeout=5,
    )
    [entry] = middleware.request_log
    assert (entry.method, entry.path, entry.status, entry.tenant) == ("GET", "/v1/x", 200, 42)
    assert entry.params == [("page", "2"), ("Id", "1"), ("Id", "2"), ("access_token", "[redacted]")]
    assert entry.url.startswith(f"https://127.0.0.1:{server.port}/v1/x?page=2&Id=1&Id=2")
    assert "tok-SECRET" not in repr(middleware.request_log)
    assert "tok-SECRET" not in repr(vars(entry))  # not even in the text it parses lazily


def test_a_secret_spelled_in_percent_escapes_is_redacted(tiny_app: TinyApp) -> None:
    middleware = SandboxMiddleware(tiny_app)
    WSGIClient(middleware).get("/v1/x?Api%4Bey=k3y-SECRET&code=NL&state=open")
    [entry] = middleware.request_log
    assert entry.params == [("ApiKey", "[redacted]"), ("code", "NL"), ("state", "open")]
    assert "k3y-SECRET" not in repr(vars(entry)) + entry.url


def test_request_log_tenant_falls_back_to_the_header() -> None:
    def app(environ: dict[str, object], start_response: object) -> list[bytes]:
        start_response("204 No Content", [])  # type: ignore[operator]
        return []

    middleware = SandboxMiddleware(app)
    WSGIClient(middleware).get("/v1/x", headers={"X-TenantId": "17"})
    WSGIClient(middleware).get("/v1/x")
    assert [e.tenant for e in middleware.request_log] == ["17", None]


def test_requests_filter_and_clear_log(tiny_app: TinyApp) -> None:
    middleware = SandboxMiddleware(tiny_app)
    client = WSGIClient(middleware)
    client.get("/v1/debtors")
    client.get("/v1/debtors/3")
    client.post("/v1/debtors", data="x")
    assert len(middleware.requests("GET")) == 2
    assert len(middleware.requests(path="/v1/debtors")) == 2
    assert len(middleware.requests("get", "/v1/debtors/*")) == 1
    middleware.clear_log()
    assert middleware.request_log == []


def test_form_bodies_are_never_logged(tiny_app: TinyApp) -> None:
    middleware = SandboxMiddleware(tiny_app)
    WSGIClient(middleware).post("/connect/token", data={"client_secret": "s3cr3t", "code": "c0de"})
    assert "s3cr3t" not in repr(middleware.request_log)
    assert "c0de" not in repr(middleware.request_log)


def test_reset_is_an_exception_outside_the_https_server(tiny_app: TinyApp) -> None:
    middleware = SandboxMiddleware(tiny_app)
    middleware.inject("GET", "/v1/x", "reset_before")
    with pytest.raises(AbortConnection):
        WSGIClient(middleware).get("/v1/x")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"fault": 200},
        {"fault": "explode"},
        {"fault": 500, "nth": 0},
        {"fault": "slow", "delay": -1},
    ],
)
def test_bad_fault_specifications_are_refused(kwargs: dict[str, object], tiny_app: TinyApp) -> None:
    with pytest.raises(ValueError):
        SandboxMiddleware(tiny_app).inject("GET", "/v1/x", **kwargs)  # type: ignore[arg-type]


def test_clear_faults(tiny_app: TinyApp) -> None:
    middleware = SandboxMiddleware(tiny_app)
    middleware.inject("GET", None, 500, times=None)
    middleware.clear_faults()
    assert middleware.faults == []
    assert WSGIClient(middleware).get("/v1/x").status_code == 200


def test_an_app_crash_is_a_logged_problem_500(caplog: pytest.LogCaptureFixture) -> None:
    def broken(environ: dict[str, object], start_response: object) -> list[bytes]:
        raise RuntimeError("bug in the emulator")

    middleware = SandboxMiddleware(broken)
    response = WSGIClient(middleware).get("/v1/x")
    assert response.status_code == 500
    assert response.json["status"] == 500
    assert [e.status for e in middleware.request_log] == [500]
    assert "bug in the emulator" in caplog.text


def test_refused_handshakes_are_logged_quietly(
    server: HTTPSServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="asperion_orm.testing.emulator.server")
    context = ssl.create_default_context(cafile=server.ca_bundle)
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    for _ in range(3):
        with (
            socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw,
            pytest.raises(ssl.SSLError),
        ):
            context.wrap_socket(raw, server_hostname="127.0.0.1")
    deadline = time.monotonic() + 5
    while "handshake" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.01)
    assert "handshake" in caplog.text
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_redaction_keeps_data_and_hides_credentials(tiny_app: TinyApp) -> None:
    middleware = SandboxMiddleware(tiny_app)
    client = WSGIClient(middleware)
    client.get("/v1/countries?code=NL&postalCode=1234AB&refresh_token=r1&client_secret=s1")
    client.get("/connect/authorize?client_id=app&state=st&code_challenge=ch&code=c0")
    first, second = middleware.request_log
    assert first.params == [
        ("code", "NL"),
        ("postalCode", "1234AB"),
        ("refresh_token", "[redacted]"),
        ("client_secret", "[redacted]"),
    ]
    assert second.params == [
        ("client_id", "app"),
        ("state", "[redacted]"),
        ("code_challenge", "[redacted]"),
        ("code", "[redacted]"),
    ]
