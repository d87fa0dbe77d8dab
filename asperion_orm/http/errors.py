"""Error translation: an HTTP error response or a transport exception becomes an ``AsperionError``.

The status → class table lives in ``exceptions.error_for_status``; this module adds the
message (server detail plus a hint that says what to do) and redacted request and response
records. Transport exceptions lose the request they hold (it carries the bearer token).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests

from asperion_orm import _json
from asperion_orm._log import RequestInfo, ResponseInfo
from asperion_orm.exceptions import (
    AmbiguousWriteError,
    AsperionError,
    RateLimited,
    TransportError,
    ValidationError,
    error_for_status,
)
from asperion_orm.http.retry import Attempt, parse_retry_after, tls_refused

__all__ = ["ambiguous_write", "api_error", "transport_error"]

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
    response: requests.Response, public_headers: frozenset[str] = frozenset()
) -> AsperionError:
    """Translate an error response through the table; 400 with field errors → ValidationError.

    ``public_headers`` names request headers that may be shown besides the usual safe ones.
    """
    body = _body(response)
    errors = body.get("errors") if isinstance(body, dict) else None
    is_write = response.request.method in ("POST", "PUT", "PATCH")
    if response.status_code == 400 and is_write and isinstance(errors, dict) and errors:
        return ValidationError({str(k): _messages(v) for k, v in errors.items()})
    cls = error_for_status(response.status_code)
    allowed = public_headers
    kwargs: dict[str, Any] = {
        "status_code": response.status_code,
        "request": RequestInfo.from_request(response.request, allowed),
        "response": ResponseInfo.from_response(response, allowed),
        "body": body,
    }
    message = _error_message(response, body)
    if cls is RateLimited:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        return RateLimited(message, retry_after=retry_after, **kwargs)
    return cls(message, **kwargs)


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


def transport_error(method: str, url: str, error: BaseException) -> TransportError:
    """Translate a transport exception into a ``TransportError`` that says what to do."""
    host = urlsplit(url).netloc
    text = str(error)
    if isinstance(error, requests.exceptions.SSLError) and tls_refused(error):
        message = _tls_message(host, text)
    elif isinstance(error, requests.Timeout):
        message = f"{method} {_path(url)}: {host} did not answer in time ({type(error).__name__})."
    elif isinstance(error, requests.ConnectionError):
        message = f"{method} {_path(url)}: the connection to {host} failed ({_short(text)})."
    else:
        message = f"{method} {_path(url)} failed before an answer arrived ({_short(text)})."
    _scrub_exception(error)
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


def _scrub_exception(error: BaseException) -> None:
    """Drop the request/response a requests exception holds: they carry the bearer token."""
    for name in ("request", "response"):
        if hasattr(error, name):
            setattr(error, name, None)


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
