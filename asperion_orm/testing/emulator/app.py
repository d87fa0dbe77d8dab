"""The emulator as a WSGI app: OAuth endpoints and every ``/v1`` resource, driven by the spec."""

from __future__ import annotations

import copy
import functools
import json
import random
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote_plus, urlencode

from werkzeug.datastructures import LanguageAccept
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.http import parse_accept_header
from werkzeug.wrappers import Request, Response

from asperion_orm import _json
from asperion_orm.testing.emulator import data, messages, oauth
from asperion_orm.testing.emulator.spec import (
    INT32_MAX,
    Errors,
    Field,
    Resource,
    check_object,
    load_spec,
    parse_query_value,
)
from asperion_orm.testing.emulator.store import (
    COMPARISONS,
    Administration,
    Query,
    Row,
    Store,
    Table,
    present,
)

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["TEXT_MATCH_MODES", "EmulatorState", "create_app"]

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
FIRST_ADMINISTRATION = 41201
MAX_QUERY_LENGTH = 2048  # IIS's default request filtering answers longer query strings with 404
TENANT_HEADERS = ("X-Tenant-Id", "X-TenantId")
_DIGITS = re.compile(r"[0-9]{1,30}")
_ACTIVE_STATES = {"active": (True,), "inactive": (False,), "all": None}
TEXT_MATCH_MODES = ("contains-ci", "exact-cs")
"""How text filters compare without ``_comparison``: ``contains-ci`` (Contains, ignoring case,
as the live API does) or ``exact-cs`` (Equals, case-sensitive)."""
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
MAX_BODY_BYTES = MAX_UPLOAD_BYTES + 1024 * 1024  # the largest upload and its multipart framing
_COMPARISON_NAMES = {name.lower(): name for name in (
    "Contains", "Equals", "NotEquals", "StartsWith", "EndsWith"
)}  # fmt: skip


class EmulatorState:
    """All mutable emulator state: users, administrations, tokens and knobs; thread-safe."""

    def __init__(
        self,
        *,
        records: Mapping[str, int] | None = None,
        seed: int = 0,
        token_lifetime: float = 3600,
        interactive: bool = False,
        text_match: str = "contains-ci",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.lock = threading.RLock()
        self.text_match = text_match
        self.spec = load_spec()
        self.seed = seed
        self.clock = clock
        self.client_id = "sandbox-app"
        self.client_secret = secrets.token_urlsafe(24)
        self.redirect_uri = "http://127.0.0.1:8765/callback"
        self.username, self.password = "sandbox", secrets.token_urlsafe(12)
        self.second_username, self.second_password = "boekhouder", secrets.token_urlsafe(12)
        self.token_lifetime = float(token_lifetime)
        self.interactive = interactive
        self.ignore_tenant_header = False
        self.max_query_length: int | None = MAX_QUERY_LENGTH
        # How this server differs from another: the questions `asperion probe` asks.
        self.tenant_headers: tuple[str, ...] = TENANT_HEADERS
        self.max_page_size = MAX_PAGE_SIZE
        self.multi_field_order_by = False
        self.pkce_required = False
        self.rotate_refresh_tokens = True
        self.tokens = oauth.TokenStore()
        self.store = Store(self.spec, seed=seed, records=records, clock=lambda: self.clock())
        self.profiles = {self.username: "Sandbox User", self.second_username: "Eva de Boekhouder"}
        self.defaults: dict[str, int] = {}
        self.more_users: dict[str, str] = {}
        self._next_admin = FIRST_ADMINISTRATION
        self.tenants = self._seed_administrations()

    @property
    def text_match(self) -> str:
        """Return how text filters compare without ``_comparison`` (see ``TEXT_MATCH_MODES``)."""
        return self._text_match

    @text_match.setter
    def text_match(self, mode: str) -> None:
        if mode not in TEXT_MATCH_MODES:
            allowed = ", ".join(repr(m) for m in TEXT_MATCH_MODES)
            raise ValueError(f"unknown text_match {mode!r}; use one of {allowed}")
        self._text_match = mode

    def _seed_administrations(self) -> list[int]:
        sandbox, second = self.username, self.second_username
        first = self.add_administration(users=[sandbox])
        shared = self.add_administration(users=[sandbox, second])
        approval = self.add_administration(users=[sandbox])
        self.store.administrations[approval].approval_required = True
        own = self.add_administration(users=[second])
        self.defaults = {sandbox: first, second: own}
        return [first, shared, approval]

    def check_password(self, username: str, password: str) -> bool:
        """Tell whether the credentials belong to a user of this server."""
        known = {self.username: self.password, self.second_username: self.second_password}
        expected = known.get(username) or self.more_users.get(username)
        return expected is not None and secrets.compare_digest(expected, password)

    def add_user(self) -> tuple[str, str]:
        """Create a user who can reach no administration yet; return its name and password."""
        with self.lock:
            username = f"user{len(self.more_users) + 1}"
            self.more_users[username] = secrets.token_urlsafe(12)
            self.profiles[username] = f"Test User {len(self.more_users)}"
            return username, self.more_users[username]

    def add_administration(
        self,
        name: str | None = None,
        *,
        records: Mapping[str, int] | None = None,
        users: Sequence[str] | None = None,
        approval_required: bool = False,
    ) -> int:
        """Create a fresh, isolated administration and return its id.

        ``approval_required`` switches on approval routing: purchase invoices then need a route.
        """
        with self.lock:
            admin_id = self._next_admin
            self._next_admin += 1
            rng = random.Random(f"{self.seed}:administration:{admin_id}")  # noqa: S311
            admin = Administration(
                id=admin_id,
                name=name or data.company_name(rng),
                users=set(users if users is not None else [self.username]),
                records=self.store.sizes(records),
                city=rng.choice(data.CITIES),
                approval_required=approval_required,
            )
            self.store.add(admin)
            for user in admin.users:  # a user's first administration is its default
                self.defaults.setdefault(user, admin_id)
            return admin_id

    def count(self, admin: int, resource: str) -> int:
        """Return the number of rows of a resource in an administration."""
        with self.lock:
            return len(self._table(admin, resource).rows)

    def rows_encoded(self, admin: int, resource: str) -> int:
        """Return how many of a table's rows list pages encoded rather than took from the cache."""
        with self.lock:
            return self._table(admin, resource).fragments.encodes

    def rows(self, admin: int, resource: str) -> list[dict[str, Any]]:
        """Return copies of a resource's rows, in id order, as the API shows them."""
        with self.lock:
            found = self._resource(resource)
            rows = self._table(admin, resource).rows.values()
            return copy.deepcopy([present(found, row) for row in rows])

    def change_row(self, admin: int, resource: str, row_id: Any, **changes: Any) -> None:
        """Change a row as a user of the web application would, outside the API.

        Values are in the stored form (dates as ISO text); the resource's rules still apply,
        so changing or deleting a journal entry is written to the journal-entry log.
        """
        with self.lock:
            errors: Errors = {}
            found = self._resource(resource)
            self.store.update(
                self.store.administrations[admin], found.storage, row_id, changes, errors
            )
            if errors:
                raise ValueError(f"cannot change {resource} {row_id}: {errors}")

    def delete_row(self, admin: int, resource: str, row_id: Any) -> None:
        """Delete a row as a user of the web application would (see ``change_row``)."""
        with self.lock:
            found = self._resource(resource)
            self.store.delete(self.store.administrations[admin], found.storage, row_id)

    def file_content(self, admin: int, file_id: str) -> bytes:
        """Return the bytes of a file uploaded to an invoice of an administration."""
        with self.lock:
            return self.store.administrations[admin].files[file_id]

    def _resource(self, resource: str) -> Resource:
        found = self.spec.find(resource)
        if found is None:
            raise KeyError(resource)
        return found

    def _table(self, admin: int, resource: str) -> Table:
        found = self._resource(resource)
        return self.store.table(self.store.administrations[admin], found.storage)

    def administrations_of(self, user: str) -> list[Administration]:
        """Return the administrations a user may reach, in id order."""
        return [a for a in self.store.administrations.values() if user in a.users]


# --- responses -------------------------------------------------------------------------------


class Problem(Exception):
    """An error answer: status, message code and values, and per-field errors."""

    def __init__(
        self,
        status: int,
        errors: Errors | None = None,
        headers: Mapping[str, str] | None = None,
        detail: tuple[str, dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(status)
        self.status = status
        self.errors = errors or {}
        self.headers = dict(headers or {})
        self.detail = detail

    @classmethod
    def field(cls, key: str, code: str, **values: Any) -> Problem:
        """Return a 400 with one error under ``key``."""
        return cls(400, {key: [(code, values)]})

    def response(self, language: str) -> Response:
        """Render RFC 7807 ProblemDetails in ``language``."""
        body: dict[str, Any] = {
            "type": messages.problem_type(self.status),
            "title": messages.title(language, self.status),
            "status": self.status,
            "traceId": trace_id(),
        }
        if self.detail is not None:
            body["detail"] = messages.message(language, self.detail[0], **self.detail[1])
        if self.errors or self.status == 400:
            body["errors"] = {
                key: [messages.message(language, code, **values) for code, values in problems]
                for key, problems in self.errors.items()
            }
        response = _json_response(body, self.status, "application/problem+json")
        response.headers.update(self.headers)
        return response


def trace_id() -> str:
    """Return a W3C trace-context id, as ASP.NET writes in ``traceId``."""
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-00"


_DECIMAL_MARK = "dec-" + secrets.token_hex(8) + ":"
_QUOTED_MARK = '"' + _DECIMAL_MARK


def _decimal_marker(value: Any) -> str:
    if isinstance(value, Decimal) and value.is_finite():
        return _DECIMAL_MARK + format(value, "f")
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(body: Any) -> str:
    """Serialise like ``_json.dumps`` (Decimal exact), using the C encoder for speed.

    Decimals travel through the encoder as marked strings and are unquoted afterwards; the
    mark carries a random per-process nonce, so no client-supplied string can imitate it.
    """
    text = json.dumps(body, default=_decimal_marker, separators=(",", ":"), allow_nan=False)
    head, *marked = text.split(_QUOTED_MARK)
    # A decimal literal holds no quote, so the first quote left is the marked string's end.
    return head + "".join(part.replace('"', "", 1) for part in marked)


def _json_response(body: Any, status: int = 200, mimetype: str = "application/json") -> Response:
    return Response(dumps(body), status=status, mimetype=mimetype)


def _language(request: Request) -> str:
    return _best_language(request.headers.get("Accept-Language"))


@functools.lru_cache(maxsize=256)
def _best_language(header: str | None) -> str:
    """Return the message language for an ``Accept-Language`` header (clients send one)."""
    accepted = parse_accept_header(header, LanguageAccept)
    return accepted.best_match(messages.LANGUAGES, default="en-US") or "en-US"


# --- the request context -----------------------------------------------------------------------


@dataclass
class Call:
    """One API request after authentication and tenant resolution."""

    request: Request
    state: EmulatorState
    user: str
    admin: Administration
    resource: Resource
    base: str = ""

    def __post_init__(self) -> None:
        self.base = f"{_urls(self.request.environ)[0]}v1/{self.resource.name}"

    @property
    def table(self) -> Table:
        """Return the table this request reads or writes."""
        if not self.resource.tenant_scoped:
            default = self.state.defaults.get(self.user)
            rows = [a.as_row(default) for a in self.state.administrations_of(self.user)]
            return Table(self.resource, rows)
        return self.state.store.table(self.admin, self.resource.storage)

    def url(self, row_id: Any = None) -> str:
        """Return the absolute URL of this resource, or of one of its rows."""
        return self.base if row_id is None else f"{self.base}/{quote(str(row_id), safe='')}"

    def meta(self, self_url: str) -> dict[str, Any]:
        """Return the administration part of ``_meta``."""
        return {
            "self": self_url,
            "administrationId": self.admin.id,
            "administrationName": self.admin.name,
            "profileName": self.state.profiles.get(self.user, self.user),
        }

    def row_out(self, row: Row, names: Iterable[str] | None = None) -> dict[str, Any]:
        """Return a row for the wire with ``_meta.self`` (only ``names`` when given)."""
        out = present(self.resource, row, names)
        out["_meta"] = {"self": self.url(row["id"])}
        return out

    def object_out(self, row: Row) -> dict[str, Any]:
        """Return a single object with its full ``_meta``."""
        out = present(self.resource, row)
        out["_meta"] = self.meta(self.url(row["id"]))
        return out

    def draft_out(self, row: Row) -> dict[str, Any]:
        """Return an object that was validated but not stored: no ids, ``self`` the list."""
        out = {key: value for key, value in present(self.resource, row).items() if key != "id"}
        for name in self.resource.envelopes:
            if out.get(name) is not None:
                for line in out[name]["_data"]:
                    line.pop("id", None)
        out["_meta"] = self.meta(self.url())
        return out


# --- list parameters -------------------------------------------------------------------------


@dataclass
class ListParams:
    """The control parameters of a list request."""

    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    meta_only: bool = False
    fields: list[str] | None = None


def _positive(name: str, value: str) -> int:
    if not _DIGITS.fullmatch(value) or int(value) < 1:
        raise Problem.field(name, "page", name=name, value=value)
    return int(value)


def _meta_only(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered not in ("true", "false"):
        raise Problem.field(name, "meta_only", value=value)
    return lowered == "true"


def _field_names(resource: Resource, name: str, value: str) -> list[str]:
    lower = {fld.lower(): fld for fld in resource.fields}
    chosen: list[str] = []
    for part in value.split(","):
        found = lower.get(part.strip().lower())
        if found is None:
            choices = ", ".join(resource.fields)
            raise Problem.field(name, "fields", value=part.strip(), choices=choices)
        if found not in chosen:
            chosen.append(found)
    return chosen


def _order(resource: Resource, name: str, value: str) -> tuple[str, bool]:
    text = value.strip()
    descending = text.startswith("-")
    key = text.lstrip("+-").strip().lower()
    for fld in resource.fields.values():
        if fld.orderable and fld.name.lower() == key:
            return fld.name, descending
    choices = ", ".join(f.name for f in resource.fields.values() if f.orderable)
    raise Problem.field(name, "orderby", value=value, choices=choices)


@dataclass
class _Parsed:
    params: ListParams
    query: Query
    order: list[tuple[str, bool]]  # every key of a multi-field orderby, else empty


class _QueryBuilder:
    """Turn a list request's query string into ``ListParams`` and a ``Query``."""

    def __init__(
        self,
        resource: Resource,
        text_match: str = "contains-ci",
        max_page_size: int = MAX_PAGE_SIZE,
        multi_order: bool = False,
    ) -> None:
        self.resource = resource
        self.max_page_size = max_page_size
        self.multi_order = multi_order
        self.params = ListParams()
        self.order: list[tuple[str, bool]] = []
        self.equal: dict[str, set[Any]] = {}
        self.texts: dict[str, list[str]] = {}
        self.comparisons: dict[str, str] = {}
        self.fold = text_match == "contains-ci"
        self.default_comparison = "contains" if self.fold else "equals"
        self.ranges: list[tuple[str, bool, Any]] = []
        self.active: tuple[bool, ...] | None = (True,) if resource.active_state else None
        self.seen: set[str] = set()
        self.errors: Errors = {}
        self.fields = resource.by_lower

    def build(self, pairs: Iterable[tuple[str, str]]) -> _Parsed:
        for name, value in pairs:
            try:
                self._one(name, value)
            except Problem as problem:
                for key, found in problem.errors.items():
                    self.errors.setdefault(key, []).extend(found)
        if self.errors:
            raise Problem(400, self.errors)
        return _Parsed(self.params, self._query(), self.order if len(self.order) > 1 else [])

    def _query(self) -> Query:
        conditions = [(name, frozenset(values)) for name, values in self.equal.items()]
        # Without ActiveState an explicit filter on `active` decides on its own.
        implicit = "activestate" not in self.seen and "active" in self.equal
        if self.active is not None and not implicit:
            conditions.append(("active", frozenset(self.active)))
        texts = tuple(
            (name, self.comparisons.get(name, self.default_comparison), self._needles(values))
            for name, values in self.texts.items()
        )
        return Query(
            conditions=tuple(conditions),
            ranges=tuple(self.ranges),
            order=self.order[0] if len(self.order) == 1 else ("id", False),
            texts=texts,
            fold=self.fold,
        )

    def _needles(self, values: list[str]) -> tuple[str, ...]:
        folded = {value.casefold() if self.fold else value for value in values}
        return tuple(sorted(folded))

    def _once(self, name: str) -> None:
        key = name.lower()
        if key in self.seen:
            raise Problem.field(name, "repeated_parameter", name=name)
        self.seen.add(key)

    def _one(self, name: str, value: str) -> None:
        key = name.lower()
        control = self._CONTROL.get(key)
        if control is not None and (key != "activestate" or self.resource.active_state):
            self._once(name)
            control(self, name, value)
        elif key in self.fields and self.fields[key].filterable:
            fld = self.fields[key]
            if fld.text:
                self.texts.setdefault(fld.name, []).append(value)
            else:
                self.equal.setdefault(fld.name, set()).add(self._value(fld, name, value))
        elif key.endswith("_comparison"):
            self._comparison(name, value)
        else:
            self._range(name, value)

    def _comparison(self, name: str, value: str) -> None:
        fld = self.fields.get(name.lower().removesuffix("_comparison"))
        if fld is None or not fld.filterable:
            raise Problem.field(name, "unknown_parameter", name=name)
        if not fld.text:
            raise Problem.field(name, "comparison_not_text", name=name, field=fld.name)
        self._once(name)
        comparison = value.strip().lower()
        if comparison not in COMPARISONS:
            choices = ", ".join(_COMPARISON_NAMES.values())
            raise Problem.field(name, "comparison", name=name, value=value, choices=choices)
        self.comparisons[fld.name] = comparison

    def _range(self, name: str, value: str) -> None:
        base, _, suffix = name.lower().rpartition("_")
        fld = self.fields.get(base)
        if fld is None or not fld.range_filterable or suffix not in ("from", "to"):
            raise Problem.field(name, "unknown_parameter", name=name)
        self.ranges.append((fld.name, suffix == "from", self._value(fld, name, value)))

    @staticmethod
    def _value(fld: Field, name: str, value: str) -> Any:
        try:
            return parse_query_value(fld, value)
        except (ValueError, LookupError, ArithmeticError, InvalidOperation):
            raise Problem.field(name, "filter_value", name=name, value=value) from None

    def _page(self, name: str, value: str) -> None:
        self.params.page = _positive(name, value)

    def _page_size(self, name: str, value: str) -> None:
        self.params.page_size = min(_positive(name, value), self.max_page_size)

    def _meta(self, name: str, value: str) -> None:
        self.params.meta_only = _meta_only(name, value)

    def _fields(self, name: str, value: str) -> None:
        self.params.fields = _field_names(self.resource, name, value)

    def _orderby(self, name: str, value: str) -> None:
        keys = value.split(",") if self.multi_order else [value]
        self.order = [_order(self.resource, name, key) for key in keys]

    def _active_state(self, name: str, value: str) -> None:
        if value.lower() not in _ACTIVE_STATES:
            raise Problem.field(name, "active_state", value=value)
        self.active = _ACTIVE_STATES[value.lower()]

    _CONTROL: dict[str, Callable[[_QueryBuilder, str, str], None]] = {
        "page": _page,
        "pagesize": _page_size,
        "metaonly": _meta,
        "fields": _fields,
        "orderby": _orderby,
        "activestate": _active_state,
    }


_URL_KEYS = (
    "wsgi.url_scheme",
    "HTTP_HOST",
    "SERVER_NAME",
    "SERVER_PORT",
    "SCRIPT_NAME",
    "PATH_INFO",
)


def _urls(environ: WSGIEnvironment) -> tuple[str, str]:
    """Return the request's ``host_url`` and ``base_url`` as werkzeug builds them."""
    return _urls_of(tuple(environ.get(key) for key in _URL_KEYS))


@functools.lru_cache(maxsize=1024)
def _urls_of(values: tuple[Any, ...]) -> tuple[str, str]:
    """Build the URLs once per host and path: werkzeug's parsing costs a tenth of a page."""
    request = Request({key: value for key, value in zip(_URL_KEYS, values, strict=True)})
    return request.host_url, request.base_url


def _page_urls(call: Call) -> Callable[[int], str]:
    """Return a function giving the URL of page N with the request's other parameters."""
    environ = call.request.environ
    raw = str(environ.get("QUERY_STRING", ""))
    if raw.isascii():  # every page of a query shares the prefix: the same text without `page`
        raw = "&".join(part for part in raw.split("&") if not _names_page(part))
    prefix = _page_prefix(_urls(environ)[1], raw)
    return lambda page: f"{prefix}{page}"


def _names_page(part: str) -> bool:
    """Tell whether a ``name=value`` part of a query string is the ``page`` parameter."""
    return unquote_plus(part.partition("=")[0]).lower() == "page"


@functools.lru_cache(maxsize=1024)
def _page_prefix(base_url: str, query_string: str) -> str:
    """Return the page URL up to the page number, the other parameters re-encoded."""
    args = Request({"QUERY_STRING": query_string}).args.items(multi=True)
    query = urlencode([(name, value) for name, value in args if name.lower() != "page"])
    return f"{base_url}?{query}&page=" if query else f"{base_url}?page="


# --- handlers --------------------------------------------------------------------------------


def list_rows(call: Call) -> Response:
    """Answer ``GET /v1/{resource}`` with one page in the ``_data``/``_meta`` envelope."""
    state = call.state
    builder = _QueryBuilder(
        call.resource, state.text_match, state.max_page_size, state.multi_field_order_by
    )
    parsed = builder.build(call.request.args.items(multi=True))
    params, table = parsed.params, call.table
    ids = _sorted(table.select(parsed.query), table.rows, parsed.order)
    total = len(ids)
    page_count = -(-total // params.page_size)
    page_url = _page_urls(call)
    meta = {
        "previousPage": page_url(params.page - 1) if params.page > 1 else None,
        "nextPage": page_url(params.page + 1) if params.page < page_count else None,
        "totalCount": total,
        "pageCount": page_count,
        **call.meta(page_url(params.page)),
    }
    if params.meta_only:
        return _json_response({"_meta": meta})
    start = (params.page - 1) * params.page_size
    chosen = ids[start : start + params.page_size] if start < total else []
    names = params.fields
    shape = (call.resource.name, call.base, None if names is None else tuple(names))
    page = table.encoded(shape, chosen, lambda row: dumps(call.row_out(row, names)))
    body = f'{{"_data":[{",".join(page)}],"_meta":{dumps(meta)}}}'
    return Response(body, status=200, mimetype="application/json")


def _sorted(ids: list[int], rows: Mapping[int, Row], keys: Sequence[tuple[str, bool]]) -> list[int]:
    """Order ``ids`` by several keys (nulls first ascending), ties left in id order."""
    if not keys:
        return ids
    ordered = list(ids)
    for name, descending in reversed(keys):  # stable sorts, least significant key first
        ordered.sort(key=lambda row_id: _null_first(rows[row_id].get(name)), reverse=descending)
    return ordered


def _null_first(value: Any) -> tuple[bool, Any]:
    return (value is not None, value)


def _no_params(call: Call) -> None:
    for name in call.request.args:
        raise Problem.field(name, "unknown_parameter", name=name)


def _validate_only(call: Call) -> bool:
    """Return the ``validateOnly`` parameter of a POST (refusing any other parameter)."""
    found = False
    for name, value in call.request.args.items(multi=True):
        if name.lower() != "validateonly":
            raise Problem.field(name, "unknown_parameter", name=name)
        if value.lower() not in ("true", "false"):
            raise Problem.field(name, "validate_only", name=name, value=value)
        found = value.lower() == "true"
    return found


def get_row(call: Call, row: Row) -> Response:
    """Answer ``GET /v1/{resource}/{id}`` with the object and its ``_meta``."""
    _no_params(call)
    return _json_response(call.object_out(row))


def _body(call: Call) -> dict[str, Any]:
    raw = call.request.get_data(cache=False)
    try:
        body = _json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Problem.field("$", "body_json") from None
    if not isinstance(body, dict):
        raise Problem.field("$", "body_object")
    return body


def _checked(call: Call, mode: str) -> dict[str, Any]:
    errors: Errors = {}
    clean = check_object(call.resource.schema, _body(call), mode, errors)
    if errors:
        raise Problem(400, errors)
    return clean


def create_row(call: Call) -> Response:
    """Answer ``POST /v1/{resource}``: 201, ``Location`` and the created object.

    With ``validateOnly=true`` the body is checked exactly the same way, nothing is stored, and
    the answer is 200 with the object as it would be created, without ids.
    """
    dry_run = _validate_only(call)
    clean = _checked(call, "create")
    errors: Errors = {}
    store = call.state.store
    row = store.create(call.admin, call.resource.storage, clean, errors, dry_run=dry_run)
    if row is None:
        raise Problem(400, errors)
    if dry_run:
        return _json_response(call.draft_out(row), 200)
    response = _json_response(call.object_out(row), 201)
    response.headers["Location"] = call.url(row["id"])
    return response


def _update(call: Call, row: Row, mode: str) -> Response:
    _no_params(call)
    clean = _checked(call, mode)
    errors: Errors = {}
    store = call.state.store
    changed = store.update(call.admin, call.resource.storage, row["id"], clean, errors)
    if changed is None:
        raise Problem(400, errors)
    return _json_response(call.object_out(changed))


def replace_row(call: Call, row: Row) -> Response:
    """Answer ``PUT /v1/{resource}/{id}``: replace every writable field."""
    return _update(call, row, "replace")


def patch_row(call: Call, row: Row) -> Response:
    """Answer ``PATCH /v1/{resource}/{id}``: change only the given fields."""
    return _update(call, row, "patch")


def delete_row(call: Call, row: Row) -> Response:
    """Answer ``DELETE /v1/{resource}/{id}`` with 204."""
    _no_params(call)
    call.state.store.delete(call.admin, call.resource.storage, row["id"])
    return Response(status=204)


def upload_file(call: Call, row: Row) -> Response:
    """Answer ``POST /v1/{resource}/{id}/file``: store a multipart ``File`` part, list it (201).

    With ``validateOnly=true`` the upload is checked and nothing is stored (200, no id).
    """
    dry_run = _validate_only(call)
    name, content_type, content = _file_part(call.request)
    extension = name.rpartition(".")[2].lower() if "." in name else None
    file: Row = {
        "id": str(uuid.uuid4()),
        "name": name,
        "type": content_type,
        "extension": extension,
        "size": len(content),
        "createdOn": call.state.store.now(),
    }
    url = call.url(row["id"]) + "/file"
    if dry_run:
        del file["id"]
        return _json_response({**file, "_meta": call.meta(url)}, 200)
    call.state.store.attach(call.admin, call.resource.storage, row["id"], file, content)
    return _json_response({**file, "_meta": call.meta(f"{url}/{file['id']}")}, 201)


def _file_part(request: Request) -> tuple[str, str, bytes]:
    """Return the name, content type and bytes of the ``File`` part of a multipart body."""
    try:
        parts = request.files.items(multi=True)
        part = next((f for key, f in parts if key.lower() == "file"), None)
    except ValueError:  # a malformed multipart body
        part = None
    if part is None:
        raise Problem.field("File", "file_required")
    content = part.read(MAX_UPLOAD_BYTES + 1)
    if not content:
        raise Problem.field("File", "file_empty")
    if len(content) > MAX_UPLOAD_BYTES:
        raise Problem.field("File", "file_too_large", limit=MAX_UPLOAD_BYTES)
    name = (part.filename or "").replace("\\", "/").rpartition("/")[2].strip() or "file"
    return name[:255], (part.mimetype or "application/octet-stream")[:100], content


COLLECTION: dict[str, Callable[[Call], Response]] = {
    "GET": list_rows,
    "HEAD": list_rows,
    "POST": create_row,
}
ITEM: dict[str, Callable[[Call, Row], Response]] = {
    "GET": get_row,
    "HEAD": get_row,
    "PUT": replace_row,
    "PATCH": patch_row,
    "DELETE": delete_row,
}


# --- dispatch --------------------------------------------------------------------------------


def _user(state: EmulatorState, request: Request) -> str:
    user = state.tokens.user_for(request.headers.get("Authorization"), state.clock())
    if user is None:
        headers = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        raise Problem(401, headers=headers, detail=("unauthorized", {}))
    return user


def _tenant(state: EmulatorState, request: Request, user: str) -> Administration:
    wanted = state.defaults.get(user)
    if not state.ignore_tenant_header:
        for header in state.tenant_headers:
            value = request.headers.get(header)
            if value is not None:
                wanted = _tenant_id(header, value)
                break
    admin = state.store.administrations.get(wanted or 0)
    if admin is None or user not in admin.users:
        raise Problem(403, detail=("forbidden", {"value": wanted}))
    return admin


def _tenant_id(header: str, value: str) -> int:
    text = value.strip()
    if not _DIGITS.fullmatch(text) or int(text) > INT32_MAX:
        raise Problem.field(header, "tenant_header", name=header)
    return int(text)


def _not_allowed(method: str, allowed: Sequence[str]) -> Problem:
    headers = {"Allow": ", ".join(allowed)}
    detail = ("method", {"method": method, "allowed": ", ".join(allowed)})
    return Problem(405, headers=headers, detail=detail)


def _route(state: EmulatorState, path: str) -> tuple[Resource, str | None, bool]:
    """Return the resource, the item id (if any) and whether the path is its file upload."""
    parts = path[len("/v1/") :].rstrip("/").split("/")
    resource = state.spec.find(parts[0]) if len(parts) <= 3 else None
    upload = len(parts) == 3 and parts[2].lower() == "file"
    if resource is None or (len(parts) == 3 and not (upload and resource.upload_methods)):
        raise Problem(404, detail=("no_route", {"path": path}))
    return resource, parts[1] if len(parts) >= 2 else None, upload


def _find_row(call: Call, text: str) -> Row:
    row_id: Any = text
    if not call.resource.string_ids:
        row_id = int(text) if _DIGITS.fullmatch(text) and int(text) <= INT32_MAX else None
    row = call.table.rows.get(row_id) if row_id is not None else None
    if row is None:
        detail = ("not_found", {"resource": call.resource.title, "value": text})
        raise Problem(404, detail=detail)
    return row


def _api(state: EmulatorState, request: Request) -> Response:
    resource, item, upload = _route(state, request.path)
    user = _user(state, request)
    admin = _tenant(state, request, user)
    request.environ["asperion.tenant"] = admin.id
    call = Call(request, state, user, admin, resource)
    method = request.method
    if upload:
        if method not in resource.upload_methods:
            raise _not_allowed(method, resource.upload_methods)
        assert item is not None
        return upload_file(call, _find_row(call, item))
    if item is None:
        if method not in resource.collection_methods:
            raise _not_allowed(method, resource.collection_methods)
        return COLLECTION[method](call)
    if method not in resource.item_methods:
        raise _not_allowed(method, resource.item_methods or resource.collection_methods)
    return ITEM[method](call, _find_row(call, item))


def _check_query_length(state: EmulatorState, request: Request) -> None:
    limit = state.max_query_length
    length = len(request.environ.get("QUERY_STRING", ""))
    if limit is not None and length > limit:
        raise Problem(404, detail=("query_too_long", {"length": length, "limit": limit}))


def _dispatch(state: EmulatorState, request: Request) -> Response:
    path = request.path
    if path == "/connect/authorize":
        return oauth.authorize(request, state)
    if path == "/connect/token":
        return oauth.token(request, state)
    if path.startswith("/v1/"):
        _check_query_length(state, request)
        return _api(state, request)
    raise Problem(404, detail=("no_route", {"path": path}))


class _Request(Request):
    """A request whose body may not exceed ``MAX_BODY_BYTES``."""

    max_content_length = MAX_BODY_BYTES


def _read_body(request: Request) -> None:
    """Read the whole body before any lock is taken: a slow client must hold up no one."""
    try:
        request.get_data()
    except RequestEntityTooLarge:
        raise Problem(413, detail=("body_too_large", {"limit": MAX_BODY_BYTES})) from None


def create_app(state: EmulatorState) -> WSGIApplication:
    """Return the emulator's WSGI application over ``state``."""

    def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        environ["asperion.tenant"] = None
        request = _Request(environ)
        language = _language(request)
        try:
            _read_body(request)
            with state.lock:
                response = _dispatch(state, request)
        except Problem as problem:
            response = problem.response(language)
        except Exception:  # the last line of defence: a bug must still answer ProblemDetails
            response = Problem(500, detail=("server_error", {})).response(language)
        finally:
            request.close()  # uploaded files may be spooled to temporary files
        return response(environ, start_response)

    return app
