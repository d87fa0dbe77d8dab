"""Transport: TLS 1.3 only, our CA only (whatever the environment says), URL rules, timeouts."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests
import trustme

from asperion_orm import Client, MemoryTokenStore, Token
from asperion_orm.exceptions import ConfigurationError, TransportError
from asperion_orm.http.transport import TLSAdapter, Transport, check_url

from .conftest import FakeServer, Reply


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"_data": [], "_meta": {"administrationId": 7}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Stay quiet."""


@contextmanager
def tls_server(ca: trustme.CA, maximum: ssl.TLSVersion | None = None) -> Iterator[str]:
    """Serve a tiny JSON API over TLS on loopback; yield its base URL."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    if maximum is not None:
        context.maximum_version = maximum
    ca.issue_cert("127.0.0.1").configure_cert(context)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def client_for(ca_file: str) -> Callable[..., Client]:
    def factory(base_url: str, ca_bundle: str | None = None) -> Client:
        token = Token("tls-access-secret", "tls-refresh-secret", expires_at=4e9, lifetime=3600)
        return Client(
            "app",
            "secret",
            "http://127.0.0.1/cb",
            base_url=base_url,
            identity_url=base_url.removesuffix("/v1"),
            ca_bundle=ca_bundle or ca_file,
            token_store=MemoryTokenStore(token),
            timeout=(2.0, 5.0),
        )

    return factory


def test_a_tls13_server_signed_by_our_ca_is_trusted_despite_the_environment(
    ca: trustme.CA, client_for: Callable[..., Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ssl.get_default_verify_paths().openssl_cafile)
    monkeypatch.setenv("CURL_CA_BUNDLE", ssl.get_default_verify_paths().openssl_cafile)
    with tls_server(ca) as url, client_for(url) as client:
        assert client.tenant(7).get("debtors", cache=False)["_meta"]["administrationId"] == 7


def test_a_tls12_only_server_is_refused_with_a_clear_message(
    ca: trustme.CA, client_for: Callable[..., Client]
) -> None:
    with (
        tls_server(ca, maximum=ssl.TLSVersion.TLSv1_2) as url,
        client_for(url) as client,
        pytest.raises(TransportError, match=r"does not offer TLS 1\.3") as info,
    ):
        client.tenant(7).get("debtors", cache=False)
    assert "ca_bundle" not in str(info.value)


def test_a_wrong_ca_gives_a_clear_certificate_error_even_if_the_environment_trusts_it(
    ca: trustme.CA, ca_file: str, client_for: Callable[..., Client], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    other = tmp_path / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", ca_file)  # the right CA, but only in the env
    with (
        tls_server(ca) as url,
        client_for(url, ca_bundle=str(other)) as client,
        pytest.raises(TransportError, match="could not be verified") as info,
    ):
        client.tenant(7).get("debtors", cache=False)
    assert "Client(ca_bundle=...)" in str(info.value)
    assert info.value.__cause__ is not None


def test_the_client_context_requires_tls13_and_verification() -> None:
    client = Client("app", "s", "http://127.0.0.1/cb")
    adapter = client.transport.session.get_adapter("https://api.asperion.nl/v1")
    assert isinstance(adapter, TLSAdapter)
    context = adapter._ssl_context
    assert context.minimum_version is ssl.TLSVersion.TLSv1_3
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname


@pytest.mark.parametrize(
    ("url", "allow_http", "ok"),
    [
        ("https://api.asperion.nl/v1/", False, True),
        ("http://api.asperion.nl/v1", True, False),
        ("http://127.0.0.1:8000/v1", False, False),
        ("http://127.0.0.1:8000/v1", True, True),
        ("http://localhost:8000/v1", True, True),
        ("http://[::1]:8000/v1", True, True),
        ("ftp://example.com", True, False),
        ("api.asperion.nl/v1", False, False),
    ],
)
def test_plain_http_only_for_loopback_when_allowed(url: str, allow_http: bool, ok: bool) -> None:
    if ok:
        assert not check_url(url, allow_http=allow_http).endswith("/")
    else:
        with pytest.raises(ConfigurationError):
            check_url(url, allow_http=allow_http)


def test_client_refuses_http_base_url_with_a_how_to() -> None:
    with pytest.raises(ConfigurationError, match="allow_http=True"):
        Client("app", "s", "http://127.0.0.1/cb", base_url="http://10.0.0.1/v1",
               identity_url="https://id.test")  # fmt: skip


def test_every_request_has_timeouts_and_no_redirects(
    make_client: Callable[..., Client], fake: FakeServer
) -> None:
    client = make_client(timeout=(1.5, 7.0))
    client.tenant(3).get("debtors")
    assert fake.kwargs, "nothing was sent"
    for kwargs in fake.kwargs:
        timeout = kwargs["timeout"]
        assert timeout.connect_timeout == 1.5 and 0 < timeout.read_timeout <= 7.0
        assert 0 < timeout.total <= 60  # the whole request, body included, within the deadline
    assert all(not r.url.startswith("http://") for r in fake.requests)  # type: ignore[union-attr]


def test_an_api_request_is_prepared_as_requests_prepares_it_without_cookies(
    make_client: Callable[..., Client], fake: FakeServer
) -> None:
    client = make_client()
    # A cookie the login pages set (a jar cookie for every host) stays off API requests.
    client.transport.session.cookies.set("login", "cookie-from-the-login-pages")
    session = client.tenant(3)
    session.get("debtors", [("name", "Bakker & Zn"), ("city", "Den Haag")], cache=False)
    session.post("debtors", {"name": "Nieuw"})
    get, post = fake.api_requests()
    assert get.url == "https://api.test/v1/debtors?name=Bakker+%26+Zn&city=Den+Haag"
    assert "Cookie" not in get.headers and "Cookie" not in post.headers
    # The session's defaults (compressed answers, kept-alive connections) under our own.
    defaults = requests.utils.default_headers()
    assert get.headers["Accept-Encoding"] == defaults["Accept-Encoding"]
    assert get.headers["Connection"] == "keep-alive"
    assert get.headers["Accept"] == "application/json"
    assert get.headers["User-Agent"] == "asperion-orm"
    assert get.headers["X-Tenant-Id"] == "3"
    assert post.body == b'{"name":"Nieuw"}'
    assert post.headers["Content-Length"] == str(len(post.body))
    assert post.headers["Content-Type"] == "application/json"
    for kwargs in fake.kwargs[-2:]:
        assert kwargs["stream"] is False and kwargs["verify"] is True
        assert kwargs["proxies"] == {} and kwargs["cert"] is None


def test_pool_is_at_least_max_concurrency() -> None:
    client = Client("app", "s", "http://127.0.0.1/cb", max_concurrency=32)
    adapter = client.transport.session.get_adapter("https://api.asperion.nl/v1")
    assert adapter._pool_maxsize >= 32  # type: ignore[attr-defined]
    assert adapter.max_retries.total == 0  # type: ignore[attr-defined]


def test_an_adapter_given_as_transport_serves_every_request(fake: FakeServer) -> None:
    tokens = MemoryTokenStore()
    tokens.save(Token("a", "r", expires_at=10**10, lifetime=3600))
    client = Client("app", "s", "https://app/cb", token_store=tokens, transport=fake)
    for url in ("https://api.asperion.nl/v1", "http://127.0.0.1/v1"):
        assert client.transport.session.get_adapter(url) is fake
    fake.then(Reply(200, {"_data": [], "_meta": {"administrationId": 7}}))
    assert client.tenant(7).get("debtors", cache=False)["_data"] == []
    assert [request.url for request in fake.requests] == ["https://api.asperion.nl/v1/debtors"]


def test_a_transport_given_as_is_is_used_as_is() -> None:
    transport = Transport(timeout=(1.0, 2.0))
    client = Client("app", "s", "https://app/cb", transport=transport)
    assert client.transport is transport
    assert client.transport.timeout == (1.0, 2.0)
