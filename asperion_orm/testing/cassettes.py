"""Recorded cassettes for tests: a vcrpy set-up that scrubs secrets, and a pytest fixture.

Record once against the emulator (or a real sandbox), commit the YAML files, and replay them
offline in CI::

    @pytest.mark.asperion_cassette
    def test_debtors(asperion_cassette):
        client = asperion_cassette.client()       # logs in: recorded, or replayed
        tenant = client.administrations()[0].id
        assert client.tenant(tenant).get("debtors")["_data"]

Replay is the default and never touches the network. ``pytest --record-mode=rewrite``
(pytest-recording's option; ``once`` records missing cassettes only) records again against a
fresh emulator. Before anything is written, every value that could grant access is replaced by
a stable placeholder (``REDACTED_ACCESS_TOKEN_1``): a replayed token response hands the client
placeholder tokens, and requests are matched on method, path, sorted query, tenant header and
language, never on ``Authorization``.

pytest-recording's own ``@pytest.mark.vcr`` works the same way through the ``asperion_vcr``
fixture, which records against a fresh emulator and scrubs with the same rules.
"""

from __future__ import annotations

import re
import socket
import threading
from collections import Counter
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from unittest import mock
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import pytest

from asperion_orm import _json
from asperion_orm.exceptions import ConfigurationError

if TYPE_CHECKING:
    from asperion_orm.client import Client
    from asperion_orm.http.tokens import MemoryTokenStore
    from asperion_orm.testing.sandbox import Sandbox

__all__ = [
    "CASSETTE_CODE_VERIFIER",
    "CASSETTE_STATE",
    "DEFAULT_MATCH_ON",
    "EMULATOR_ORIGIN",
    "CassetteNotFoundError",
    "CassetteSession",
    "NetworkBlockedError",
    "Scrubber",
    "asperion_cassette",
    "asperion_cassette_dir",
    "asperion_vcr",
    "cassette_session",
    "emulator_client",
    "is_placeholder",
    "log_in",
    "network_blocked",
    "placeholder_token_store",
    "register_matchers",
    "use_cassette",
    "vcr_config",
]

PLACEHOLDER_PREFIX = "REDACTED"
"""Every placeholder starts with this; the scrubber never touches a value that does."""

EMULATOR_ORIGIN = "https://emulator.asperion.invalid"
"""Where recorded emulator URLs point (the emulator's port changes on every run)."""

EMULATOR_CLIENT_ID = "sandbox-app"
EMULATOR_REDIRECT_URI = "http://127.0.0.1:8765/callback"

CASSETTE_STATE = "asperion-cassette-state"
"""The OAuth ``state`` used while recording and replaying."""

CASSETTE_CODE_VERIFIER = "asperion-cassette-pkce-code-verifier-fixed-for-replay"
"""The PKCE verifier used while recording and replaying (43-128 unreserved characters)."""

RECORDING_EPOCH = 1767225600.0
"""The emulator's frozen clock while recording (2026-01-01T00:00:00Z): dates do not churn."""

DEFAULT_MATCH_ON = (
    "method",
    "asperion_path",
    "asperion_query",
    "asperion_tenant",
    "asperion_language",
)
"""Request matching: never scheme, host, port (the emulator's port varies) or Authorization."""

_SECRET_NAMES = {
    "accesstoken": "ACCESS_TOKEN",
    "refreshtoken": "REFRESH_TOKEN",
    "idtoken": "ID_TOKEN",
    "clientsecret": "CLIENT_SECRET",
    "codeverifier": "CODE_VERIFIER",
    "codechallenge": "CODE_CHALLENGE",
    "clientassertion": "CLIENT_ASSERTION",
    "password": "PASSWORD",
}
_OAUTH_CODE = "code"
_OAUTH_PATH = re.compile(r"/(connect|oauth2?)/|/token$|/authorize$", re.IGNORECASE)
_TOKEN_SHAPED = re.compile(r"[A-Za-z0-9._~+/=-]{16,}")
_PLACEHOLDER_NUMBER = re.compile(rf"^({PLACEHOLDER_PREFIX}[A-Z0-9_]*?)_\d+$")
_DROPPED_REQUEST_HEADERS = frozenset({"accept-encoding"})  # depends on installed codecs
_DROPPED_RESPONSE_HEADERS = frozenset({"date", "server"})
_VERSION = re.compile(r"/\d[\w.+-]*")
_STABLE_HEADERS = {"x-request-id": "REQUEST-ID", "x-correlation-id": "CORRELATION-ID"}
_TENANT_HEADERS = ("X-Tenant-Id", "X-TenantId")
_MIN_RAW_LENGTH = 8


def is_placeholder(value: str) -> bool:
    """Tell whether ``value`` is a placeholder written by the scrubber."""
    return value.startswith(PLACEHOLDER_PREFIX)


def _name_key(name: str) -> str:
    return name.lower().replace("_", "").replace("-", "")


# -- scrubbing ------------------------------------------------------------------------------


class Scrubber:
    """Replace secrets in recorded interactions with stable, numbered placeholders.

    Secrets are found by name (headers, query strings, form and JSON bodies, in requests and
    responses) and then replaced by value everywhere they appear, so the token a response
    hands out and the ``Bearer`` header that later carries it get the same placeholder.
    ``replace`` adds values to rewrite that are not found by name (a host, a password).
    """

    def __init__(self, replacements: Mapping[str, str] | None = None) -> None:
        """Start empty, with optional ``{real: stand_in}`` rewrites."""
        self._known: dict[str, str] = {}
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        for real, stand_in in (replacements or {}).items():
            self.replace(real, stand_in)

    def __repr__(self) -> str:
        """Show how many values are known, never the values."""
        return f"<Scrubber {len(self._known)} values>"

    def __deepcopy__(self, memo: dict[int, Any]) -> Scrubber:
        """Stay one object: configs holding its hooks get copied (pytest-recording does)."""
        return self

    def secret(self, value: str, kind: str = "SECRET") -> str:
        """Register a secret to replace wherever it appears; return its placeholder.

        The same value gets the same placeholder on every call. A value shorter than 8
        characters raises ``ConfigurationError``: replaced by value it would also hit
        ordinary data, and silently leaving it in place would leak it.
        """
        if not is_placeholder(value):
            _check_scrubbable(value)
        return self._placeholder(value, kind)

    def _placeholder(self, value: str, kind: str) -> str:
        """Return the placeholder of a value found by name (any length), registering it."""
        if not value or is_placeholder(value):
            return value
        with self._lock:
            if value not in self._known:
                self._counts[kind] += 1
                self._known[value] = f"{PLACEHOLDER_PREFIX}_{kind}_{self._counts[kind]}"
            return self._known[value]

    def replace(self, real: str, stand_in: str) -> None:
        """Write ``stand_in`` wherever ``real`` appears, also percent-encoded.

        Like :meth:`secret`, a ``real`` shorter than 8 characters raises ``ConfigurationError``.
        """
        _check_scrubbable(real)
        with self._lock:
            self._known[real] = stand_in
            self._known.setdefault(quote(real, safe=""), quote(stand_in, safe=""))

    def text(self, text: str) -> str:
        """Return ``text`` with every known value replaced, longest first."""
        with self._lock:
            known = sorted(self._known.items(), key=lambda item: len(item[0]), reverse=True)
        for real, stand_in in known:
            if len(real) >= _MIN_RAW_LENGTH and real in text:
                text = text.replace(real, stand_in)
        return text

    # -- vcrpy hooks ------------------------------------------------------------------------

    def request(self, request: Any) -> Any:
        """Scrub a vcrpy request (``before_record_request``; vcrpy passes a copy)."""
        oauth = bool(_OAUTH_PATH.search(request.path or ""))
        request.uri = self.text(self.url(request.uri, oauth=oauth))
        request.headers = self._request_headers(request.headers)
        content_type = request.headers.get("Content-Type")
        body = self._body(request.body, content_type, oauth=oauth, canonical=True)
        if body != request.body:
            request.body = body
            request.headers = {
                name: str(len(request.body)) if name.lower() == "content-length" else value
                for name, value in request.headers.items()
            }
        return request

    def response(self, response: dict[str, Any]) -> dict[str, Any]:
        """Scrub a vcrpy response dict (``before_record_response``; vcrpy passes a copy)."""
        headers: Mapping[str, Sequence[Any]] = response.get("headers") or {}
        content_type = next(
            (str(v[0]) for k, v in headers.items() if k.lower() == "content-type" and v), None
        )
        response["headers"] = self._response_headers(headers)
        body = response.get("body") or {}
        if body.get("string"):
            scrubbed = self._body(body["string"], content_type, oauth=False)
            if scrubbed != body["string"]:
                body["string"] = scrubbed
                _set_content_length(response["headers"], scrubbed)
        return response

    # -- pieces -----------------------------------------------------------------------------

    def url(self, url: str, *, oauth: bool = False) -> str:
        """Return ``url`` with secret query parameters replaced."""
        parts = urlsplit(url)
        if not parts.query:
            return url
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        oauth = oauth or any(name == "state" for name, _ in pairs)
        scrubbed = self._pairs(pairs, oauth=oauth)
        if scrubbed == pairs:
            return url
        return urlunsplit(parts._replace(query=urlencode(scrubbed)))

    def _is_secret(self, name: str, value: str, *, oauth: bool) -> bool:
        if not value or is_placeholder(value):
            return False
        key = _name_key(name)
        if key in _SECRET_NAMES:
            return True
        return key == _OAUTH_CODE and (oauth or bool(_TOKEN_SHAPED.fullmatch(value)))

    def _kind(self, name: str) -> str:
        return _SECRET_NAMES.get(_name_key(name), name.upper().replace("-", "_"))

    def _pairs(self, pairs: list[tuple[str, str]], *, oauth: bool) -> list[tuple[str, str]]:
        return [
            (name, self._placeholder(value, self._kind(name)))
            if self._is_secret(name, value, oauth=oauth)
            else (name, value)
            for name, value in pairs
        ]

    def _request_headers(self, headers: Mapping[str, Any]) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, raw in headers.items():
            value, lower = _text(raw), name.lower()
            if lower in _DROPPED_REQUEST_HEADERS:
                continue
            if lower in ("authorization", "proxy-authorization"):
                value = self._authorization(value)
            elif lower == "cookie":
                value = self._cookies(value, "; ")
            elif lower == "user-agent":
                value = _VERSION.sub("", value)
            elif lower in _STABLE_HEADERS:
                value = _STABLE_HEADERS[lower]
            out[name] = self.text(value)
        return out

    def _response_headers(self, headers: Mapping[str, Sequence[Any]]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name, values in headers.items():
            lower = name.lower()
            if lower not in _DROPPED_RESPONSE_HEADERS:
                out[name] = [self._response_header(lower, _text(v)) for v in values]
        return out

    def _response_header(self, lower: str, value: str) -> str:
        if lower == "location":
            value = self.url(value)
        elif lower == "set-cookie":
            cookie, _, attributes = value.partition(";")
            value = self._cookies(cookie, "") + (f";{attributes}" if attributes else "")
        elif lower in _STABLE_HEADERS:
            value = _STABLE_HEADERS[lower]
        return self.text(value)

    def _authorization(self, value: str) -> str:
        scheme, _, credentials = value.strip().partition(" ")
        if not credentials.strip():
            return self._placeholder(value, "AUTHORIZATION")
        kind = "ACCESS_TOKEN" if scheme.lower() == "bearer" else "CREDENTIALS"
        return f"{scheme} {self._placeholder(credentials.strip(), kind)}"

    def _cookies(self, value: str, separator: str) -> str:
        cookies = []
        for part in value.split(";") if separator else [value]:
            name, equals, content = part.strip().partition("=")
            cookies.append(f"{name}={self._placeholder(content, 'COOKIE')}" if equals else part)
        return separator.join(cookies)

    def _body(
        self, body: Any, content_type: str | None, *, oauth: bool, canonical: bool = False
    ) -> Any:
        """Scrub a body; ``canonical`` also sorts JSON keys (request bodies: no churn)."""
        if not isinstance(body, str | bytes) or not body:
            return body
        try:
            text = body.decode("utf-8") if isinstance(body, bytes) else body
        except UnicodeDecodeError:
            return body  # binary: left alone, and the scanner refuses it
        kind = (content_type or "").lower()
        if "json" in kind or (not kind and text.lstrip()[:1] in ("{", "[")):
            text = self._json(text, oauth=oauth, canonical=canonical)
        elif "x-www-form-urlencoded" in kind:
            text = self._form(text, oauth=oauth)
        text = self.text(text)
        return text.encode("utf-8") if isinstance(body, bytes) else text

    def _form(self, text: str, *, oauth: bool) -> str:
        pairs = parse_qsl(text, keep_blank_values=True)
        scrubbed = self._pairs(pairs, oauth=True if pairs else oauth)
        return text if scrubbed == pairs else urlencode(scrubbed)

    def _json(self, text: str, *, oauth: bool, canonical: bool) -> str:
        try:
            data = _json.loads(text)
        except ValueError:
            return text
        if canonical:
            self._walk(data, oauth=oauth)
            return _json.dumps(_sorted_keys(data))
        return _json.dumps(data) if self._walk(data, oauth=oauth) else text

    def _walk(self, node: Any, *, oauth: bool) -> bool:
        """Replace secrets in parsed JSON in place; tell whether anything changed."""
        changed = False
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str) and self._is_secret(key, value, oauth=oauth):
                    node[key] = self._placeholder(value, self._kind(key))
                    changed = True
                else:
                    changed = self._walk(value, oauth=oauth) or changed
        elif isinstance(node, list):
            for item in node:
                changed = self._walk(item, oauth=oauth) or changed
        return changed


def _check_scrubbable(value: str) -> None:
    """Refuse a value too short to be replaced by value (never quoting it)."""
    if len(value) < _MIN_RAW_LENGTH:
        raise ConfigurationError(
            f"A value to scrub by value must have at least {_MIN_RAW_LENGTH} characters (this "
            f"one has {len(value)}): a shorter one would also replace ordinary data. Scrub it "
            "by name instead (a header, parameter or JSON key the scrubber knows), or give "
            "the account a longer secret."
        )


def _sorted_keys(node: Any) -> Any:
    """Return parsed JSON with every object's keys sorted."""
    if isinstance(node, dict):
        return {key: _sorted_keys(node[key]) for key in sorted(node)}
    if isinstance(node, list):
        return [_sorted_keys(item) for item in node]
    return node


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _set_content_length(headers: dict[str, list[str]], body: str | bytes) -> None:
    size = len(body.encode("utf-8") if isinstance(body, str) else body)
    for name in headers:
        if name.lower() == "content-length":
            headers[name] = [str(size)]


# -- matching -------------------------------------------------------------------------------


def _fold(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Drop placeholder numbers: ``REDACTED_CODE_CHALLENGE_2`` matches ``..._1``."""
    return sorted((name, _PLACEHOLDER_NUMBER.sub(r"\1", value)) for name, value in pairs)


def _header(request: Any, names: Sequence[str]) -> str | None:
    for name in names:
        value = request.headers.get(name)
        if value is not None:
            return _text(value)
    return None


def match_path(sent: Any, recorded: Any) -> None:
    """Match the URL path (never scheme, host or port)."""
    if (sent.path or "/") != (recorded.path or "/"):
        raise AssertionError(f"path: sent {sent.path}, recorded {recorded.path}")


def match_query(sent: Any, recorded: Any) -> None:
    """Match the sorted query parameters, whatever their order on the wire."""
    mine, theirs = _fold(sent.query), _fold(recorded.query)
    if mine != theirs:
        extra = [p for p in mine if p not in theirs]
        missing = [p for p in theirs if p not in mine]
        raise AssertionError(f"query: sent {_pairs(extra)} that the recording lacks; recorded "
                             f"{_pairs(missing)} that was not sent")  # fmt: skip


def _pairs(pairs: Sequence[tuple[str, str]]) -> str:
    return "&".join(f"{name}={value}" for name, value in pairs) or "nothing"


def match_tenant(sent: Any, recorded: Any) -> None:
    """Match the tenant header (``X-Tenant-Id``, or the ``X-TenantId`` spelling)."""
    mine, theirs = _header(sent, _TENANT_HEADERS), _header(recorded, _TENANT_HEADERS)
    if mine != theirs:
        raise AssertionError(f"tenant header: sent {mine!r}, recorded {theirs!r}")


def match_language(sent: Any, recorded: Any) -> None:
    """Match ``Accept-Language`` (error messages differ per language)."""
    mine, theirs = _header(sent, ["Accept-Language"]), _header(recorded, ["Accept-Language"])
    if mine != theirs:
        raise AssertionError(f"Accept-Language: sent {mine!r}, recorded {theirs!r}")


def match_json_body(sent: Any, recorded: Any) -> None:
    """Match JSON request bodies as data (key order free); other bodies are not compared."""
    mine, theirs = _parsed(sent.body), _parsed(recorded.body)
    if mine is not None and theirs is not None and mine != theirs:
        raise AssertionError(f"JSON body: sent {_json.dumps(mine)}, recorded {_json.dumps(theirs)}")


def _parsed(body: Any) -> Any:
    if not isinstance(body, str | bytes) or not body:
        return None
    try:
        return _json.loads(body)
    except ValueError:
        return None


MATCHERS: dict[str, Callable[[Any, Any], None]] = {
    "asperion_path": match_path,
    "asperion_query": match_query,
    "asperion_tenant": match_tenant,
    "asperion_language": match_language,
    "asperion_json_body": match_json_body,
}


def register_matchers(recorder: Any) -> None:
    """Register the ``asperion_*`` matchers on a ``vcr.VCR`` (for pytest-recording users too)."""
    for name, matcher in MATCHERS.items():
        recorder.register_matcher(name, matcher)


@pytest.hookimpl(optionalhook=True)
def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    """Make the matchers usable in pytest-recording's ``vcr_config`` too."""
    register_matchers(vcr)


# -- vcrpy ----------------------------------------------------------------------------------


def vcr_config(
    scrubber: Scrubber | None = None, *, match_on: Sequence[str] = DEFAULT_MATCH_ON
) -> dict[str, Any]:
    """Return ``vcr.VCR`` keyword arguments that scrub and match the Asperion way.

    Usable as pytest-recording's ``vcr_config`` fixture value as well.
    """
    scrubber = scrubber or Scrubber()
    return {
        "before_record_request": scrubber.request,
        "before_record_response": scrubber.response,
        "decode_compressed_response": True,
        "match_on": tuple(match_on),
        "serializer": "yaml",
    }


class CassetteNotFoundError(FileNotFoundError):
    """Replay was asked for a cassette that was never recorded."""


@contextmanager
def use_cassette(
    path: str | Path,
    *,
    record: bool = False,
    scrubber: Scrubber | None = None,
    match_on: Sequence[str] = DEFAULT_MATCH_ON,
    allow_playback_repeats: bool = False,
) -> Iterator[Any]:
    """Replay ``path`` (the default), or record it from scratch with ``record=True``.

    A replayed request without a recorded match raises vcrpy's
    ``CannotOverwriteExistingCassetteException``, showing what was sent and the closest
    recorded requests with what differs. A recording replaces the file when the block ends.
    """
    vcr = _vcr()
    path = Path(path)
    if not record and not path.exists():
        raise CassetteNotFoundError(f"no cassette at {path}: record it first")
    recorder = vcr.VCR(**vcr_config(scrubber, match_on=match_on))
    register_matchers(recorder)
    with recorder.use_cassette(
        str(path),
        record_mode="all" if record else "none",
        drop_unused_requests=record,
        allow_playback_repeats=allow_playback_repeats,
    ) as cassette:
        yield cassette


def _vcr() -> Any:
    """Import vcrpy, or say which extra installs it."""
    try:
        import vcr
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            "Cassettes need vcrpy and pytest-recording: pip install 'asperion_orm[cassettes]'.",
            name=exc.name,
        ) from exc
    return vcr


# -- the network guard ----------------------------------------------------------------------


class NetworkBlockedError(RuntimeError):
    """A replayed test tried to open a real connection."""


@contextmanager
def network_blocked() -> Iterator[list[str]]:
    """Refuse every socket connection and name lookup; yield the list of attempts."""
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> NoReturn:
        target = repr(args[1] if len(args) > 1 and isinstance(args[0], socket.socket) else args)
        attempts.append(target)
        raise NetworkBlockedError(
            f"A replayed test tried to reach the network ({target}). Replay must be served "
            "entirely from the cassette: record it again (--record-mode=rewrite) if the test "
            "changed, or make the request match a recorded one."
        )

    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(socket.socket, "connect", refuse))
        stack.enter_context(mock.patch.object(socket.socket, "connect_ex", refuse))
        stack.enter_context(mock.patch.object(socket, "getaddrinfo", refuse))
        yield attempts


# -- logging in -----------------------------------------------------------------------------


def log_in(client: Client, *, ca_bundle: str | None = None) -> None:
    """Authorize ``client`` through the code flow with the fixed cassette state and PKCE.

    The "browser" step is one GET of the authorization URL (an auto-approving emulator, or
    its replay) whose redirect carries the code.
    """
    import requests

    url = client.auth.authorization_url(state=CASSETTE_STATE, code_verifier=CASSETTE_CODE_VERIFIER)
    with requests.Session() as browser:
        browser.trust_env = False  # no proxies, no REQUESTS_CA_BUNDLE
        response = browser.get(
            url,
            verify=ca_bundle or True,
            allow_redirects=False,
            timeout=10,
            headers={"User-Agent": "asperion-cassette-browser"},
        )
    location = response.headers.get("Location", "")
    query = dict(parse_qsl(urlsplit(location).query))
    if response.status_code not in (302, 303) or "code" not in query:
        raise RuntimeError(
            f"The authorization URL answered HTTP {response.status_code} without a code; "
            "cassettes need an auto-approving emulator (interactive=False)."
        )
    if query.get("state") != CASSETTE_STATE:
        raise RuntimeError("The authorization redirect carried another state.")
    client.fetch_token(code=query["code"], state=CASSETTE_STATE)


def emulator_client(sandbox: Sandbox | None = None, **client_kwargs: Any) -> Client:
    """Return a client (not logged in) for ``sandbox`` while recording, or for its replay.

    With ``sandbox=None`` the client points at ``EMULATOR_ORIGIN`` with the emulator's client
    id and redirect URI and a placeholder secret: what a cassette recorded against the emulator
    expects. ``max_concurrency`` defaults to 1 so recordings keep their order.
    """
    from asperion_orm.client import Client

    where: dict[str, Any] = {
        "client_id": EMULATOR_CLIENT_ID,
        "client_secret": f"{PLACEHOLDER_PREFIX}_CLIENT_SECRET",
        "redirect_uri": EMULATOR_REDIRECT_URI,
        "base_url": f"{EMULATOR_ORIGIN}/v1",
        "identity_url": EMULATOR_ORIGIN,
    }
    if sandbox is not None:
        where = {
            "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret,
            "redirect_uri": sandbox.redirect_uri,
            "base_url": sandbox.base_url,
            "identity_url": sandbox.identity_url,
            "ca_bundle": sandbox.ca_bundle,
        }
    return Client(**{"max_concurrency": 1, **where, **client_kwargs})


def placeholder_token_store() -> MemoryTokenStore:
    """Return a token store holding placeholder tokens, for replaying without a login."""
    from asperion_orm.http.tokens import MemoryTokenStore, Token, now

    token = Token(
        access_token=f"{PLACEHOLDER_PREFIX}_ACCESS_TOKEN",
        refresh_token=f"{PLACEHOLDER_PREFIX}_REFRESH_TOKEN",
        expires_at=now() + 3600,
        lifetime=3600,
    )
    return MemoryTokenStore(token)


# -- the pytest fixture ---------------------------------------------------------------------


@dataclass
class CassetteSession:
    """What the ``asperion_cassette`` fixture yields: the cassette, its mode and clients."""

    path: Path
    recording: bool
    cassette: Any
    scrubber: Scrubber
    sandbox: Sandbox | None = None
    blocked: list[str] = field(default_factory=list)
    _clients: list[Client] = field(default_factory=list, repr=False)

    def client(self, **client_kwargs: Any) -> Client:
        """Return a client logged in through the code flow (recorded, or replayed).

        While recording it talks to the emulator; in replay it points at
        ``EMULATOR_ORIGIN`` and gets its placeholder tokens from the cassette. One request at
        a time by default (``max_concurrency=1``), so recordings keep their order.
        """
        client = emulator_client(self.sandbox, **client_kwargs)
        self._clients.append(client)
        log_in(client, ca_bundle=self.sandbox.ca_bundle if self.sandbox else None)
        return client

    def close(self) -> None:
        """Close every client this session made."""
        for client in self._clients:
            client.close()
        self._clients.clear()


@dataclass(frozen=True)
class _Options:
    """The ``asperion_cassette`` marker's arguments."""

    name: str
    sandbox: Mapping[str, Any]
    match_on: tuple[str, ...]
    allow_playback_repeats: bool
    emulator: bool

    @classmethod
    def of(cls, node: pytest.Item) -> _Options:
        marker = node.get_closest_marker("asperion_cassette")
        args, kwargs = (marker.args, marker.kwargs) if marker else ((), {})
        unknown = set(kwargs) - {
            "name",
            "sandbox",
            "match_on",
            "allow_playback_repeats",
            "emulator",
        }
        if unknown or len(args) > 1:
            raise pytest.UsageError(f"asperion_cassette: unknown arguments {sorted(unknown)}")
        name = args[0] if args else kwargs.get("name") or node.name
        return cls(
            name=re.sub(r"[^A-Za-z0-9._-]+", "_", str(name)).strip("_"),
            sandbox=dict(kwargs.get("sandbox") or {}),
            match_on=tuple(kwargs.get("match_on") or DEFAULT_MATCH_ON),
            allow_playback_repeats=bool(kwargs.get("allow_playback_repeats", False)),
            emulator=bool(kwargs.get("emulator", True)),
        )


_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
_RECORD_MODES_THAT_RECORD = frozenset({"all", "rewrite", "new_episodes"})


def record_mode(config: pytest.Config) -> str:
    """Return pytest-recording's ``--record-mode`` (``none`` when not given)."""
    return str(config.getoption("--record-mode", default=None) or "none")


def _records(mode: str, path: Path) -> bool:
    return mode in _RECORD_MODES_THAT_RECORD or (mode == "once" and not path.exists())


@pytest.fixture
def asperion_cassette_dir(request: pytest.FixtureRequest) -> Path:
    """Return where this module's cassettes live: ``<rootdir>/cassettes/<module>``."""
    module = Path(str(request.node.path)).stem.removeprefix("test_")
    return Path(request.config.rootpath) / "cassettes" / module


@pytest.fixture
def asperion_cassette(
    request: pytest.FixtureRequest, asperion_cassette_dir: Path
) -> Iterator[CassetteSession]:
    """Replay this test's cassette offline, or record it against a fresh emulator.

    Options come from ``@pytest.mark.asperion_cassette(name, sandbox={...}, match_on=[...],
    allow_playback_repeats=False, emulator=True)``. Recording needs ``--record-mode``.
    """
    options = _Options.of(request.node)
    path = Path(asperion_cassette_dir) / f"{options.name}.yaml"
    recording = _records(record_mode(request.config), path)
    if not recording and not path.exists():
        pytest.fail(_missing(path, request.node.nodeid), pytrace=False)
    with cassette_session(
        path,
        record=recording,
        emulator=options.emulator,
        sandbox=options.sandbox,
        match_on=options.match_on,
        allow_playback_repeats=options.allow_playback_repeats,
    ) as session:
        yield session
        if recording and _failed(request.node):
            session.cassette.dirty = False  # keep the previous recording of a failing test


@contextmanager
def cassette_session(
    path: str | Path,
    *,
    record: bool = False,
    emulator: bool = True,
    sandbox: Mapping[str, Any] | None = None,
    match_on: Sequence[str] = DEFAULT_MATCH_ON,
    allow_playback_repeats: bool = False,
) -> Iterator[CassetteSession]:
    """Replay ``path`` with the network blocked, or record it against a fresh emulator.

    What the ``asperion_cassette`` fixture uses, for code outside pytest. ``sandbox`` holds
    ``Sandbox(...)`` arguments for recording; ``emulator=False`` records without starting one
    (for clients of a real sandbox).
    """
    path = Path(path)
    with ExitStack() as stack:
        scrubber = Scrubber()
        server: Sandbox | None = None
        blocked: list[str] = []
        if record and emulator:
            server = stack.enter_context(_recording_sandbox(sandbox or {}, scrubber))
        elif not record:
            blocked = stack.enter_context(network_blocked())
        cassette = stack.enter_context(
            use_cassette(
                path,
                record=record,
                scrubber=scrubber,
                match_on=match_on,
                allow_playback_repeats=allow_playback_repeats,
            )
        )
        session = CassetteSession(path, record, cassette, scrubber, server, blocked)
        stack.callback(session.close)
        yield session


_VCR_SCRUBBER = pytest.StashKey[Scrubber]()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Give a test that takes ``asperion_vcr`` a scrubber, and pytest-recording its settings.

    The settings go on a ``vcr`` marker of the test, which pytest-recording prefers to the
    ``vcr_config`` fixture and to class or module markers (keyword arguments of the test's own
    ``@pytest.mark.vcr(...)`` still win). They must be in place before its ``vcr`` fixture
    starts the cassette, which is before any fixture of ours runs.
    """
    if "asperion_vcr" not in getattr(item, "fixturenames", ()):
        return
    if not item.config.pluginmanager.hasplugin("recording"):
        return  # the fixture says which extra installs pytest-recording
    scrubber = item.stash[_VCR_SCRUBBER] = Scrubber()
    item.add_marker(pytest.mark.vcr(**vcr_config(scrubber)))


@pytest.fixture
def asperion_vcr(request: pytest.FixtureRequest) -> Iterator[CassetteSession]:
    """Run a ``@pytest.mark.vcr`` test against a fresh emulator, or replay its cassette.

    pytest-recording's ``--record-mode`` decides: a cassette it will write is recorded against
    a fresh emulator whose secrets and origin the scrubber knows before the first request; one
    it only reads is replayed with the network blocked. Yields a :class:`CassetteSession`.
    """
    _vcr()
    if not request.config.pluginmanager.hasplugin("recording"):
        raise ModuleNotFoundError(
            "asperion_vcr needs pytest-recording: pip install 'asperion_orm[cassettes]'."
        )
    cassette = request.getfixturevalue("vcr")
    name = request.getfixturevalue("default_cassette_name")
    path = Path(request.getfixturevalue("vcr_cassette_dir")) / f"{name}.yaml"
    recording = not cassette.write_protected
    if recording and cassette.rewound:
        pytest.fail(_not_from_scratch(path, request.node.nodeid), pytrace=False)
    if not recording and not path.exists():
        pytest.fail(_missing(path, request.node.nodeid), pytrace=False)
    scrubber = request.node.stash[_VCR_SCRUBBER]
    with ExitStack() as stack:
        server: Sandbox | None = None
        blocked: list[str] = []
        if recording:
            server = stack.enter_context(_recording_sandbox({}, scrubber))
        else:
            blocked = stack.enter_context(network_blocked())
        session = CassetteSession(path, recording, cassette, scrubber, server, blocked)
        stack.callback(session.close)
        yield session


def _not_from_scratch(path: Path, nodeid: str) -> str:
    return (
        f"Cassette {path} already holds interactions, and a recording's tokens are "
        "placeholders that a live emulator cannot continue. Record it again from scratch:\n"
        f'    pytest "{nodeid}" --record-mode=rewrite'
    )


@contextmanager
def _recording_sandbox(options: Mapping[str, Any], scrubber: Scrubber) -> Iterator[Sandbox]:
    """Start a fresh emulator with a frozen clock; teach the scrubber its secrets and host."""
    from asperion_orm.testing.sandbox import Sandbox

    with Sandbox(**options) as sandbox:
        sandbox.state.clock = lambda: RECORDING_EPOCH
        scrubber.replace(sandbox.identity_url, EMULATOR_ORIGIN)
        scrubber.secret(sandbox.client_secret, "CLIENT_SECRET")
        scrubber.secret(sandbox.password, "PASSWORD")
        scrubber.secret(sandbox.state.second_password, "PASSWORD")
        yield sandbox


def _missing(path: Path, nodeid: str) -> str:
    return (
        f"Cassette {path} does not exist, and replay is the default. Record it against the "
        f'emulator with:\n    pytest "{nodeid}" --record-mode=once'
    )


def _failed(node: pytest.Item) -> bool:
    report = node.stash.get(_REPORTS, {}).get("call")
    return report is None or report.failed


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``asperion_cassette`` marker."""
    config.addinivalue_line(
        "markers",
        "asperion_cassette(name=None, *, sandbox=None, match_on=None, "
        "allow_playback_repeats=False, emulator=True): options of the asperion_cassette "
        "fixture (replay by default; --record-mode=rewrite records against the emulator).",
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember each phase's report; explain how to re-record after a cassette mismatch."""
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    fixtures = getattr(item, "fixturenames", ())
    uses_cassette = "asperion_cassette" in fixtures or "asperion_vcr" in fixtures
    if report.failed and uses_cassette and _is_mismatch(call):
        report.sections.append(
            (
                "asperion cassette",
                "No recorded interaction matched a request (see the error above). If the test "
                "changed on purpose, record its cassette again against the emulator:\n"
                f'    pytest "{item.nodeid}" --record-mode=rewrite',
            )
        )
    return report


def _is_mismatch(call: pytest.CallInfo[None]) -> bool:
    error = call.excinfo.value if call.excinfo is not None else None
    return type(error).__name__ == "CannotOverwriteExistingCassetteException"
