"""The ``asperion_orm`` logger and the redaction that keeps secrets out of logs and errors."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

__all__ = [
    "REDACTED",
    "RequestInfo",
    "ResponseInfo",
    "log_attempt",
    "log_retry",
    "logger",
    "redact_headers",
    "redact_text",
    "redact_url",
]

logger = logging.getLogger("asperion_orm")

REDACTED = "REDACTED"

# Headers are copied from an allowlist; anything else (Authorization, Cookie, ...) is redacted.
_SAFE_HEADERS = frozenset(
    {
        "accept",
        "accept-encoding",
        "accept-language",
        "connection",
        "content-type",
        "content-length",
        "date",
        "location",
        "retry-after",
        "server",
        "user-agent",
        "x-request-id",
        "x-tenant-id",
        "x-tenantid",
        "www-authenticate",
    }
)

# Query parameters that must never be shown, even though the API itself never needs them.
_SECRET_PARAMS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "code",
        "code_verifier",
        "client_secret",
        "client_assertion",
        "password",
        "state",
    }
)


# Credentials a message may quote: "Bearer <token>" and secret form or query pairs.
_CREDENTIAL = re.compile(r"(?i)\b(bearer|basic)(\s+)[^\s'\",;]+")
_SECRET_PAIR = re.compile(
    r"(?i)\b(access_token|refresh_token|id_token|client_secret|code_verifier|code|password)"
    r"=[^&\s'\",;]+"
)


def redact_text(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Return ``text`` with every credential it may quote redacted.

    ``secrets`` are removed as they are, stripped, escaped as ``repr`` shows them and
    percent-encoded, whatever they look like; besides, anything after ``Bearer``/``Basic``
    and the value of a secret parameter (``refresh_token=...``) is redacted.
    """
    forms = {
        form
        for value in secrets
        if value
        for form in (value, value.strip(), repr(value)[1:-1], quote(value, safe=""))
        if form
    }
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, REDACTED)
    text = _CREDENTIAL.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return _SECRET_PAIR.sub(lambda m: f"{m.group(1)}={REDACTED}", text)


def redact_headers(
    headers: Mapping[str, str], allowed: frozenset[str] = frozenset()
) -> dict[str, str]:
    """Return a copy of ``headers`` with every header outside the allowlist redacted."""
    safe = _SAFE_HEADERS | {name.lower() for name in allowed}
    return {key: value if key.lower() in safe else REDACTED for key, value in headers.items()}


def redact_url(url: str) -> str:
    """Return ``url`` with secret-looking query parameters redacted."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = urlencode([(k, REDACTED if k.lower() in _SECRET_PARAMS else v) for k, v in pairs])
    return urlunsplit(parts._replace(query=query))


@dataclass(frozen=True)
class RequestInfo:
    """A redacted record of a request, safe to show in errors and logs."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_request(cls, request: Any, allowed: frozenset[str] = frozenset()) -> RequestInfo:
        """Copy a ``requests.PreparedRequest`` with secrets removed."""
        return cls(
            method=str(request.method),
            url=redact_url(str(request.url)),
            headers=redact_headers(request.headers, allowed),
        )


@dataclass(frozen=True)
class ResponseInfo:
    """A redacted record of a response: status, safe headers and the body text."""

    status_code: int
    reason: str
    headers: dict[str, str] = field(default_factory=dict)
    text: str = ""

    @classmethod
    def from_response(cls, response: Any, allowed: frozenset[str] = frozenset()) -> ResponseInfo:
        """Copy a ``requests.Response``; the body is kept because API bodies hold no secrets."""
        return cls(
            status_code=int(response.status_code),
            reason=str(response.reason or ""),
            headers=redact_headers(response.headers, allowed),
            text=_head(response),
        )


def _head(response: Any, limit: int = 4000) -> str:
    """Return the start of a response's body as text (without decoding all of a huge one)."""
    head = (response.content or b"")[:limit]
    try:
        return head.decode(response.encoding or "utf-8", "replace")[:limit]
    except LookupError:  # a charset Python does not know
        return head.decode("utf-8", "replace")


def log_attempt(
    method: str, path: str, status: int | str, duration: float, attempt: int, label: str = "-"
) -> None:
    """Log one HTTP attempt at DEBUG: method, path (no query), status, duration, attempt, label.

    ``label`` says whom the request is for (``tenant 42``), or ``-``.
    """
    logger.debug(
        "%s %s -> %s in %.3fs (attempt %d, %s)", method, path, status, duration, attempt, label
    )


def log_retry(method: str, path: str, reason: str, delay: float, attempt: int) -> None:
    """Log a decision to retry at INFO (a self-healing retry is not a warning)."""
    logger.info(
        "%s %s: %s; retrying in %.2fs (attempt %d failed)", method, path, reason, delay, attempt
    )
