"""Error translation: an HTTP error response or a transport exception becomes an ``AsperionError``.

The status → class table lives in ``exceptions.error_for_status``; this module adds the
message (server detail plus a hint that says what to do) and redacted request and response
records. Transport exceptions lose the request they hold (it carries the bearer token).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import requests

from asperion_orm import _json
from asperion_orm._log import RequestInfo, ResponseInfo, redact_text
from asperion_orm.exceptions import (
    AmbiguousWriteError,
    AsperionError,
    InvalidResponse,
    RateLimited,
    ResponseTooLarge,
    TransportError,
    ValidationError,
    error_for_status,
)
from asperion_orm.http.retry import Attempt, parse_retry_after, tls_refused

__all__ = ["ambiguous_write", "api_error", "invalid_response", "too_large", "transport_error"]

HINTS: dict[int, str] = {
    400: "The request was malformed; check the parameters.",
    401: "The access token was refused even after a refresh; authorize the app again.",
    403: "The user may not reach this administration or resource; check the tenant id and "
    "the user's rights in Asperion.",
    404: "No such object or path; check the id, the path and the administration.",
    405: "This resource does not accept this method (it may be read-only).",
    409: "The object was changed by someone else; reload it and try again.",
    429: "Too many requests; slow down or raise the retry deadline.",
}
SERVER_HINT = "The Asperion API failed; try again later."


def api_error(
    response: requests.Response,
    public_headers: frozenset[str] = frozenset(),
    secrets: Sequence[str | None] = (),
) -> AsperionError:
    """Translate an error response through the table; 400 with field errors → ValidationError.

    ``public_headers`` names request headers that may be shown besides the usual safe ones;
    ``secrets`` (the client's tokens) never appear in the message, even if the server quoted
    them.
    """
    body = _body(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    is_write = response.request.method in ("POST", "PUT", "PATCH")
    if response.status_code == 400 and is_write and isinstance(errors, dict) and errors:
        fields = {
            str(k): [redact_text(m, secrets) for m in _messages(v)] for k, v in errors.items()
        }
        return ValidationError(fields)
    cls = error_for_status(response.status_code)
    allowed = public_headers
    info = ResponseInfo.from_response(response, allowed)
    kwargs: dict[str, Any] = {
        "status_code": response.status_code,
        "request": RequestInfo.from_request(response.request, allowed),
        "response": replace(info, text=redact_text(info.text, secrets)),
        "body": body,
    }
    message = redact_text(_error_message(response, body), secrets)
    if cls is RateLimited:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return RateLimited(message, retry_after=retry_after, **kwargs)
    return cls(message, **kwargs)


_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_READ_ADVICE = (
    "it was not cached. Check base_url and any proxy between you and the API; if the API "
    "itself answers this way, report it to Asperion with the X-Request-Id."
)
_WRITE_ADVICE = "the write may have been applied: look the object up before trying again."


def invalid_response(
    reason: str,
    response: requests.Response | None,
    public_headers: frozenset[str] = frozenset(),
) -> InvalidResponse:
    """Return the error for an answer whose body cannot be used, with the redacted request.

    ``response`` is ``None`` for a body that came out of a (shared) cache store.
    """
    if response is None:
        return InvalidResponse(
            f"A cached answer cannot be used ({reason}); clear the cache store.", status_code=0
        )
    return InvalidResponse(
        _unusable(response, f"a body the client cannot use ({reason})"),
        status_code=response.status_code,
        request=RequestInfo.from_request(response.request, public_headers),
        response=ResponseInfo.from_response(response, public_headers),
    )


def too_large(response: requests.Response, limit: int) -> ResponseTooLarge:
    """Return the error for a body that grew past ``limit`` bytes while it was read."""
    encoded = response.headers.get("Content-Encoding", "identity").lower() != "identity"
    what = f"a body larger than max_response_bytes ({limit:,} bytes"
    what += ", decompressed)" if encoded else ")"
    return ResponseTooLarge(
        _unusable(response, what)
        + " Pass Client(max_response_bytes=...) if answers this large are expected.",
        status_code=response.status_code,
        request=RequestInfo.from_request(response.request),
        response=ResponseInfo(response.status_code, str(response.reason or "")),
    )


def _unusable(response: requests.Response, what: str) -> str:
    method = str(response.request.method)
    advice = _WRITE_ADVICE if method in _WRITES else _READ_ADVICE
    return (
        f"{method} {_path(response.url)} answered HTTP {response.status_code} with {what}; {advice}"
    )


def _error_message(response: requests.Response, body: Any) -> str:
    detail = ""
    if isinstance(body, dict):
        detail = str(body.get("detail") or body.get("title") or body.get("message") or "")
        errors = body.get("errors")
        if isinstance(errors, dict) and errors:
            detail = "; ".join(f"{k}: {' '.join(_messages(v))}" for k, v in sorted(errors.items()))
    hint = HINTS.get(response.status_code, SERVER_HINT if response.status_code >= 500 else "")
    if 300 <= response.status_code < 400:
        hint = _redirect_hint(response.headers.get("Location"))
    head = (
        f"{response.request.method} {_path(response.url)} failed with HTTP {response.status_code}"
    )
    return " ".join(part for part in (f"{head}{': ' + detail if detail else '.'}", hint) if part)


def _redirect_hint(location: str | None) -> str:
    """Say where the API redirected to (no query or user info) and what to check."""
    parts = urlsplit(location or "")
    host = parts.netloc.rpartition("@")[2]
    target = f"to {_short(f'{parts.scheme}://{host}{parts.path}', 120)!r}" if host else "elsewhere"
    return (
        f"The API redirected {target}; redirects are not followed (they would carry the "
        "access token): check base_url."
    )


def transport_error(
    method: str, url: str, error: BaseException, secrets: Sequence[str | None] = ()
) -> TransportError:
    """Translate a transport exception into a ``TransportError`` that says what to do.

    The exception's text is quoted only once ``secrets`` and anything that looks like a
    credential are redacted from it (``requests`` quotes a header it refuses, a proxy may
    quote the request).
    """
    host = urlsplit(url).netloc
    text = redact_text(str(error), secrets)
    if isinstance(error, requests.exceptions.SSLError) and tls_refused(error):
        message = _tls_message(host, text)
    elif isinstance(error, requests.Timeout):
        detail = f"{type(error).__name__}: {_short(text)}"
        message = f"{method} {_path(url)}: {host} did not answer in time ({detail})."
    elif isinstance(error, requests.ConnectionError):
        message = f"{method} {_path(url)}: the connection to {host} failed ({_short(text)})."
    else:
        message = f"{method} {_path(url)} failed before an answer arrived ({_short(text)})."
    _scrub_exception(error, secrets)
    transport_error = TransportError(message)
    transport_error.__cause__ = error
    return transport_error


def _tls_message(host: str, text: str) -> str:
    lowered = text.lower()
    if "protocol_version" in lowered or "protocol version" in lowered or "unsupported" in lowered:
        return (
            f"TLS handshake with {host} failed: the server does not offer TLS 1.3, the minimum "
            "the Asperion API requires. Check base_url, or a proxy that downgrades TLS."
        )
    if "certificate" in lowered or "verify" in lowered:
        return (
            f"The TLS certificate of {host} could not be verified ({_short(text)}). Pass "
            "Client(ca_bundle=...) with the CA that signed it (for the local emulator: "
            "sandbox.ca_bundle), or check for an intercepting proxy."
        )
    return f"TLS with {host} failed ({_short(text)})."


def _scrub_exception(error: BaseException, secrets: Sequence[str | None]) -> None:
    """Make the exception safe to chain as a cause: a traceback shows it, and what it wraps.

    The request/response a requests exception holds are dropped (they carry the bearer
    token), and credentials are redacted from the text of it and of every exception inside.
    """
    pending: list[BaseException] = [error]
    seen: set[int] = set()
    while pending and len(seen) < 16:
        item = pending.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        for name in ("request", "response"):
            if hasattr(item, name):
                setattr(item, name, None)
        item.args = tuple(redact_text(a, secrets) if isinstance(a, str) else a for a in item.args)
        inner = (*item.args, getattr(item, "reason", None), item.__cause__, item.__context__)
        pending.extend(e for e in inner if isinstance(e, BaseException))


def ambiguous_write(
    method: str, url: str, request_id: str | None, final: Attempt, cause: AsperionError
) -> AmbiguousWriteError:
    """Return the error for a write whose outcome is unknown, caused by ``cause``."""
    error = AmbiguousWriteError(method, _path(url), request_id, _ambiguity(final))
    error.__cause__ = cause
    return error


def _ambiguity(final: Attempt) -> str:
    if final.response is not None:
        status = final.response.status_code
        return f"the server answered HTTP {status}, which does not tell whether it was applied"
    return f"the connection failed before an answer arrived ({type(final.error).__name__})"


def _body(response: requests.Response) -> Any:
    try:
        return _json.loads(response.content) if response.content else None
    except ValueError:
        return None


def _messages(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _path(url: str) -> str:
    return urlsplit(url).path


def _short(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
