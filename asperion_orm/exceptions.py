"""The exceptions asperion_orm raises, all in one table.

    AsperionError
    ├── ConfigurationError          bad arguments to Client/Session/Model (fix the code)
    ├── NoSessionError              a query ran with no tenant session active
    ├── QueryError                  a query the planner cannot honour (e.g. strict mode)
    │   └── FieldError              an unknown field or lookup
    ├── ValidationError             a write the client or server rejected, per field
    ├── DoesNotExist                get() found nothing (each model has its own subclass)
    ├── MultipleObjectsReturned     get() found more than one (each model has its own subclass)
    ├── ReauthorizationRequired     the refresh token is dead: send the user through login again
    ├── TokenStoreUnavailable       the shared token store (Redis) cannot be reached or locked
    ├── TenantMismatchError         a response came from another administration than asked for
    ├── AmbiguousWriteError         a POST/PATCH was sent but its outcome is unknown
    ├── TransportError              the network or TLS failed before an HTTP answer arrived
    └── APIError                    the server answered with an error status
        ├── BadRequest              400 (not a validation body)
        ├── AuthenticationError     401
        ├── PermissionDenied        403
        ├── NotFound                404
        ├── MethodNotAllowed        405
        ├── RateLimited             429
        ├── ServerError             5xx
        └── InvalidResponse         an answer whose body cannot be used (malformed, no envelope)
            └── ResponseTooLarge    a body larger than max_response_bytes (decompressed)

Every exception chains its cause (``raise ... from exc``) and never carries a token, secret or
authorization code in its message or attributes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "APIError",
    "AmbiguousWriteError",
    "AsperionError",
    "AuthenticationError",
    "BadRequest",
    "ConfigurationError",
    "DoesNotExist",
    "FieldError",
    "InvalidResponse",
    "MethodNotAllowed",
    "MultipleObjectsReturned",
    "NoSessionError",
    "NotFound",
    "NotSupportedError",
    "PermissionDenied",
    "QueryError",
    "RateLimited",
    "ReauthorizationRequired",
    "ResponseTooLarge",
    "ServerError",
    "TenantMismatchError",
    "TokenStoreUnavailable",
    "TransportError",
    "ValidationError",
    "error_for_status",
]


class AsperionError(Exception):
    """Base class of every error asperion_orm raises."""


class ConfigurationError(AsperionError):
    """The library was set up or called with arguments that cannot work."""


class NoSessionError(AsperionError):
    """A query needed a tenant session and none was active."""


class QueryError(AsperionError):
    """A query cannot be run as asked."""


class FieldError(QueryError):
    """A query named a field or lookup the model does not have."""


class NotSupportedError(QueryError):
    """A query asked for something the API cannot answer; the message names the alternative."""


class ValidationError(AsperionError):
    """A write was rejected; ``errors`` maps Python attribute names to messages."""

    def __init__(self, errors: Mapping[str, list[str]], message: str | None = None) -> None:
        self.errors: dict[str, list[str]] = {key: list(value) for key, value in errors.items()}
        if message is None:
            parts = (f"{key}: {' '.join(msgs)}" for key, msgs in sorted(self.errors.items()))
            message = "; ".join(parts) or "The object is not valid."
        super().__init__(message)


class DoesNotExist(AsperionError):
    """``get()`` matched no object."""


class MultipleObjectsReturned(AsperionError):
    """``get()`` matched more than one object."""


class ReauthorizationRequired(AsperionError):
    """The stored refresh token was refused; the user must authorize the app again."""


class TokenStoreUnavailable(AsperionError):
    """The shared token store cannot be read, written or locked; no token was refreshed."""


class TenantMismatchError(AsperionError):
    """The server answered for another administration than the session's tenant."""

    def __init__(self, expected: int, actual: object) -> None:
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"Asked administration {expected} but the response is for administration "
            f"{actual!r}; the response was discarded. Check the tenant header name "
            "(Client(tenant_header=...)) and any proxy between you and the API."
        )


class AmbiguousWriteError(AsperionError):
    """A write was sent but no answer came back, so it may or may not have been applied."""

    def __init__(
        self,
        method: str,
        url: str,
        request_id: str | None = None,
        reason: str = "the connection failed before an answer arrived",
    ) -> None:
        self.method = method
        self.url = url
        self.request_id = request_id
        super().__init__(
            f"{method} {url} was sent but {reason}; "
            "the server may have applied it. It was not resent: look the object up before "
            "trying again."
        )


class TransportError(AsperionError):
    """The request failed below HTTP: DNS, connection, TLS or timeout."""


class APIError(AsperionError):
    """The API answered with an error status; ``request``/``response`` are redacted copies."""

    status_code: int = 0

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        request: Any = None,
        response: Any = None,
        body: Any = None,
    ) -> None:
        if status_code is not None:
            self.status_code = status_code
        self.request = request
        self.response = response
        self.body = body
        super().__init__(message)


class BadRequest(APIError):
    """400 without a per-field validation body."""

    status_code = 400


class AuthenticationError(APIError):
    """401 even after refreshing the access token once."""

    status_code = 401


class PermissionDenied(APIError):
    """403: the user may not reach this administration or resource."""

    status_code = 403


class NotFound(APIError):
    """404: no such object (or, for very long URLs, a server that refused the length)."""

    status_code = 404


class MethodNotAllowed(APIError):
    """405: the resource does not accept this method (for example a read-only resource)."""

    status_code = 405


class RateLimited(APIError):
    """429 after the retry policy gave up; ``retry_after`` is the server's hint in seconds."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class ServerError(APIError):
    """5xx after the retry policy gave up."""

    status_code = 500


class InvalidResponse(APIError):
    """The server answered, but with a body the client cannot use; it was never cached.

    ``status_code`` is the status of that answer (often 200); ``request`` is the redacted
    request. After a write, the write may have been applied.
    """


class ResponseTooLarge(InvalidResponse):
    """An answer's body, once decompressed, was larger than ``Client(max_response_bytes=...)``.

    Reading stopped at the limit: the body was neither kept nor cached.
    """


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    405: MethodNotAllowed,
    429: RateLimited,
}


def error_for_status(status: int) -> type[APIError]:
    """Return the ``APIError`` subclass for an HTTP error status."""
    if status >= 500:
        return ServerError
    return _BY_STATUS.get(status, APIError)
