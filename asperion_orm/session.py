"""Tenant sessions: every request for one administration goes through its ``Session``.

``with client.tenant(42):`` (``async with`` in a coroutine) activates a session in a
``ContextVar`` (each thread and async task sees its own; blocks nest), and
``Session.current()`` finds it. Blocks may end in any
order (a generator closed inside another block ends its own block only), and a block that ends
never leaves its tenant active. A session sends the tenant header and ``Accept-Language`` on
every request, and refuses any response whose ``_meta.administrationId`` is not its tenant,
before anything is cached.

The session is the ORM's only door to the wire: it sends, caches and fans out, and it exposes
the little configuration queries need (``base_url``, ``strict``, ``max_concurrency``).
``AccountSession`` reads what belongs to the user rather than to one administration.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import itertools
import sys
import time
from collections import deque
from collections.abc import (
    Callable,
    Generator,
    Hashable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from concurrent.futures import Future, ThreadPoolExecutor
from decimal import Decimal
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar
from urllib.parse import quote
from zoneinfo import ZoneInfo

from asperion_orm.aio import check_cancelled, run_sync, watch
from asperion_orm.exceptions import ConfigurationError, NoSessionError, TenantMismatchError
from asperion_orm.http.client import DEFAULT_BASE_URL, UploadFile

if TYPE_CHECKING:
    import requests

    from asperion_orm.capabilities import Capabilities
    from asperion_orm.client import Client
    from asperion_orm.http.cache import Choice

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIME_ZONE",
    "AccountSession",
    "Session",
    "current_session",
    "current_session_or_none",
]

DEFAULT_TIME_ZONE: dt.tzinfo = ZoneInfo("Europe/Amsterdam")
"""The zone naive datetimes and date transforms are taken in unless ``Client(time_zone=...)``."""

MAX_TENANT = 2**31 - 1
"""The largest administration id: the API's ids are 32-bit integers."""

READ_AHEAD = 2
"""``get_many`` keeps up to this many requests per worker ahead of its consumer.

One window of ``max_concurrency`` would leave workers idle whenever the oldest page is slow or
the consumer is busy with one; twice that keeps every worker busy and bounds what is held. A
client of one request at a time (``max_concurrency=1``), and any client while its server answers
at once (see ``Pace``), asks nothing ahead: each GET runs in the calling thread once the
consumer took the answer before, so a short page is the last one asked.
"""

Params = Sequence[tuple[str, str]]
T = TypeVar("T")
P = ParamSpec("P")


class _Activation:
    """One ``with session:`` block: the frame whose ``with`` opened it, and whether it ended."""

    __slots__ = ("ended", "frame", "session")

    def __init__(self, session: Session, frame: FrameType | None) -> None:
        self.session = session
        self.frame = frame
        self.ended = False


# The open blocks of this context, innermost last. The tuple is replaced, never changed, so
# a copied context keeps the blocks that were open when it was copied.
_ACTIVE: contextvars.ContextVar[tuple[_Activation, ...]] = contextvars.ContextVar(
    "asperion_orm_session", default=()
)


class Session:
    """The requests of one administration (tenant) of one client."""

    def __init__(self, client: Client, tenant: int) -> None:
        if isinstance(tenant, bool) or not isinstance(tenant, int) or not 0 < tenant <= MAX_TENANT:
            raise ConfigurationError(
                f"An administration id is a positive integer up to {MAX_TENANT} (the API's "
                f"32-bit ids), not {tenant!r:.40}; list them with client.administrations()."
            )
        self.client = client
        self.tenant = tenant
        self._open: list[_Activation] = []

    def __repr__(self) -> str:
        return f"Session(tenant={self.tenant}, client={self.client!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Session):
            return NotImplemented
        return self.client is other.client and self.tenant == other.tenant

    def __hash__(self) -> int:
        return hash((id(self.client), self.tenant))

    # -- activation -----------------------------------------------------------------------

    def __enter__(self) -> Session:
        return self._enter(sys._getframe(1))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._exit(sys._getframe(1))

    async def __aenter__(self) -> Session:
        """Activate the session for this task (``async with client.tenant(id):``)."""
        return self._enter(sys._getframe(1))

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._exit(sys._getframe(1))

    def _enter(self, frame: FrameType) -> Session:
        activation = _Activation(self, frame)
        self._open.append(activation)
        _ACTIVE.set((*_live(_ACTIVE.get()), activation))
        return self

    def _exit(self, frame: FrameType) -> None:
        """End this block, whatever blocks were entered after it and are still open.

        A generator closed (or collected) inside another block ends its own block only. A block
        ended from another context (a generator collected on another thread) is marked ended,
        so the context that opened it stops seeing it too.
        """
        activation = self._ending(frame)
        if activation is None:
            return
        if any(entry is activation for entry in self._open):  # not when ended in a copy
            self._open.remove(activation)
        activation.frame = None
        stack = _ACTIVE.get()
        if any(entry is activation for entry in stack):
            _ACTIVE.set(tuple(entry for entry in stack if entry is not activation))
        else:
            activation.ended = True

    def _ending(self, frame: FrameType) -> _Activation | None:
        """Return the block an ``__exit__`` ends: the one this frame opened, else the innermost."""
        opened = list(self._open)
        mine = [activation for activation in opened if activation.frame is frame]
        if mine:
            return mine[-1]
        here = [entry for entry in _ACTIVE.get() if entry.session is self and not entry.ended]
        return here[-1] if here else None

    @classmethod
    def current(cls) -> Session:
        """Return the innermost active session, or explain how to activate one."""
        for activation in reversed(_ACTIVE.get()):
            if not activation.ended:
                return activation.session
        raise NoSessionError(
            "No tenant session is active. Run the code inside `with client.tenant(id):` "
            "(id from client.administrations()), or pass a session explicitly with "
            "`.using(session)`."
        )

    # -- what the ORM may know of the client ---------------------------------------------------

    @property
    def base_url(self) -> str:
        """Return the API base URL (the planner keeps every URL within the limit)."""
        return self.client.base_url

    @property
    def strict(self) -> bool:
        """Return whether queries that would run locally must be refused."""
        return bool(self.client.strict)

    @property
    def capabilities(self) -> Capabilities:
        """Return what the server is known to do (the planner reads it)."""
        return self.client.capabilities

    @property
    def time_zone(self) -> dt.tzinfo:
        """Return the client's time zone (naive datetimes, ``__year`` and other transforms)."""
        return self.client.time_zone

    @property
    def language(self) -> str:
        """Return the client's language (``Accept-Language``; local messages use it too)."""
        return str(self.client.language)

    @property
    def max_concurrency(self) -> int:
        """Return how many requests may run at once."""
        return self.client.max_concurrency

    @staticmethod
    def path(*segments: str | int) -> str:
        """Join path segments, percent-encoding each one (``path("debtors", 4)``: ``debtors/4``)."""
        if not segments:
            raise ConfigurationError("Session.path() needs at least one segment.")
        parts = []
        for segment in segments:
            text = str(segment)
            if not text or text in (".", ".."):
                raise ConfigurationError(f"{segment!r} is not a valid path segment.")
            parts.append(quote(text, safe=""))
        return "/".join(parts)

    # -- async callers --------------------------------------------------------------------

    async def run(self, function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """Await a sync call on the client's async worker threads, in this task's context.

        At most ``max_concurrency`` calls run at once; cancelling the awaiting task stops the
        call's requests that are not sent yet.
        """
        return await run_sync(self.client.async_executor, function, *args, **kwargs)

    # -- reads ----------------------------------------------------------------------------

    def get(
        self,
        path: str,
        params: Params = (),
        *,
        cache: bool = True,
        ttl: float | None = None,
        choice: Choice | None = None,
    ) -> dict[str, Any]:
        """GET ``path`` for this tenant: the parsed body, envelope included (cached raw).

        ``choice``: what its ``choose`` picks from a list answer loaded now is kept with the
        cached answer (see ``chosen_rows``).
        """
        return self._get(path, params, cache, ttl, choice, paced=True)

    def _get(
        self,
        path: str,
        params: Params,
        cache: bool,
        ttl: float | None,
        choice: Choice | None = None,
        *,
        paced: bool,
    ) -> dict[str, Any]:
        """``get``; ``paced``: this thread sends alone, so the client's ``pace`` measures it."""
        if not cache or ttl == 0 or self.client.cache.ttl <= 0:
            return self._fetch(path, params, paced)[1]
        key = self._key(path, params)
        return self.client.cache.fetch(
            key,
            lambda: self._fetch(path, params, paced),
            lambda body: self._checked(body, params),
            ttl,
            choice,
        )

    def chosen_rows(
        self,
        path: str,
        params: Params,
        owner: object,
        extra: Hashable,
        choose: Callable[[dict[str, Any]], list[int] | None],
        *,
        ttl: float | None = None,
        shared: bool = False,
    ) -> list[dict[str, Any]] | None:
        """Return copies of the rows ``choose`` picks from a cached list answer, else ``None``.

        What ``choose`` picked is kept with the cached answer under ``owner`` and ``extra``
        (``ResponseCache.chosen_rows``), so a repeat only copies those rows. ``None``: not
        cached (decoded), or ``choose`` could not tell from this answer; read it with ``get``.
        ``shared``: the cached rows themselves, for a caller that never changes them.
        """
        if ttl == 0 or self.client.cache.ttl <= 0:
            return None
        key = self._key(path, params)
        return self.client.cache.chosen_rows(key, owner, extra, choose, shared=shared)

    def kept_rows(
        self, path: str, params: Params, owner: object, extra: Hashable
    ) -> list[dict[str, Any]] | None:
        """Return the cached rows a kept choice picked from a list answer (``chosen_rows``),
        else ``None``: the cache's own rows, for a caller that never changes them."""
        cache = self.client.cache
        if cache.ttl <= 0:
            return None
        scope = self.client.cache_scope(self.tenant)  # ``_key``, written out
        return cache.kept_rows(
            cache.request_key(scope, path, params, self._namespace), owner, extra
        )

    def get_many(
        self,
        calls: Iterable[tuple[str, Params]],
        *,
        cache: bool = True,
        ttl: float | None = None,
    ) -> Generator[dict[str, Any], None, None]:
        """Run GETs, yielding their answers in input order.

        While the server answers faster than this thread reads (``client.pace``: a local
        emulator, a cassette), each GET runs here, one after the other; once answers keep it
        waiting (the network), the rest go to up to ``client.max_concurrency`` workers.
        ``calls`` is consumed lazily: at most ``READ_AHEAD * max_concurrency`` requests are
        ahead of the consumer, so the workers stay busy while the consumer reads a page or
        waits for a slow one, and memory does not grow with the input.
        """
        pending = iter(calls)
        head = list(itertools.islice(pending, 2))
        if len(head) == 1:  # a single GET runs here: a worker thread would only add a hand-off
            yield self.get(*head[0], cache=cache, ttl=ttl)
            return
        calls = itertools.chain(head, pending)
        threads, pace, reading = self.client.max_concurrency > 1, self.client.pace, 0.0
        for path, params in calls:
            if threads and pace.threads_pay(reading):
                yield from self._get_concurrently(
                    itertools.chain([(path, params)], calls), cache, ttl
                )
                return
            body = self._get(path, params, cache, ttl, paced=True)
            handed = time.perf_counter()
            yield body
            reading = time.perf_counter() - handed  # the consumer's time on this answer

    def _get_concurrently(
        self, calls: Iterator[tuple[str, Params]], cache: bool, ttl: float | None
    ) -> Generator[dict[str, Any], None, None]:
        """Run GETs on the client's workers, in input order, a bounded window ahead."""
        window: deque[Future[dict[str, Any]]] = deque()
        ahead = READ_AHEAD * self.client.max_concurrency
        try:
            for path, params in calls:
                window.append(self._submit(path, params, cache, ttl))
                if len(window) >= ahead:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()
        finally:
            for future in window:
                future.cancel()

    def _submit(
        self, path: str, params: Params, cache: bool, ttl: float | None
    ) -> Future[dict[str, Any]]:
        """Start a GET on a worker thread, or answer a cache hit at once (no thread hop)."""
        hit = self._cached(path, params) if cache and ttl != 0 else None
        if hit is None:
            check_cancelled()
            future = self.client.executor.submit(self._get, path, params, cache, ttl, paced=False)
            watch(future)
            return future
        done: Future[dict[str, Any]] = Future()
        done.set_result(hit)
        return done

    def _cached(self, path: str, params: Params) -> dict[str, Any] | None:
        """Return the parsed cached body of a GET, or ``None`` when it is not cached."""
        if self.client.cache.ttl <= 0:
            return None
        key = self._key(path, params)
        return self.client.cache.peek(key, lambda body: self._checked(body, params))

    # -- writes ---------------------------------------------------------------------------

    # Every write evicts its own resource from the cache, and the resources named in
    # ``invalidates``: what the server changes as a side effect (a model's Meta.invalidates).

    def post(
        self, path: str, body: Mapping[str, Any], *, invalidates: Iterable[str] = ()
    ) -> dict[str, Any]:
        """Create an object; return the created object (201 body)."""
        return self._write("POST", path, body, invalidates)

    def put(
        self, path: str, body: Mapping[str, Any], *, invalidates: Iterable[str] = ()
    ) -> dict[str, Any]:
        """Replace an object; return it."""
        return self._write("PUT", path, body, invalidates)

    def patch(
        self, path: str, body: Mapping[str, Any], *, invalidates: Iterable[str] = ()
    ) -> dict[str, Any]:
        """Change the given fields of an object; return it."""
        return self._write("PATCH", path, body, invalidates)

    def validate(self, path: str, body: Mapping[str, Any]) -> None:
        """Have the server validate a new object without creating it (``validateOnly=true``).

        Raises the ``ValidationError`` a real POST would; nothing changes, so nothing in the
        cache is invalidated.
        """
        self._request("POST", path, params=[("validateOnly", "true")], body=body)

    def upload(
        self, path: str, files: Mapping[str, UploadFile], *, invalidates: Iterable[str] = ()
    ) -> dict[str, Any]:
        """POST files as multipart/form-data (part name → file name, bytes, content type).

        Returns the answer; one whose answer was lost raises ``AmbiguousWriteError`` and is
        never resent.
        """
        try:
            response = self._request("POST", path, files=files)
        finally:
            self._evict(path, invalidates)
        return self._checked(response.content, response=response) if response.content else {}

    def delete(self, path: str, *, invalidates: Iterable[str] = ()) -> None:
        """Delete an object."""
        try:
            self._request("DELETE", path)
        finally:
            self._evict(path, invalidates)

    def each(
        self, action: Callable[[T], None], items: Sequence[T], concurrency: int | None = None
    ) -> None:
        """Apply a write ``action`` to every item, ``concurrency`` at a time.

        The default is ``max_concurrency``; the first error is raised once every started
        write has ended.
        """
        limit = concurrency or self.max_concurrency
        if len(items) <= 1 or limit <= 1:
            for item in items:
                action(item)
            return
        # A pool of its own: writes must not wait behind the reads of the shared executor.
        with ThreadPoolExecutor(max_workers=min(limit, len(items))) as pool:
            futures = [pool.submit(action, item) for item in items]
            for future in futures:
                watch(future)
            for future in futures:
                future.result()

    # -- internals ------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        params: Params = (),
        body: Mapping[str, Any] | None = None,
        files: Mapping[str, UploadFile] | None = None,
    ) -> requests.Response:
        """Send one request with this session's tenant header (unless its async caller left)."""
        check_cancelled()
        headers = {self.client.tenant_header: str(self.tenant)}
        label = f"tenant {self.tenant}"
        return self.client.request(
            method,
            path,
            params=params,
            body=body,
            files=files,
            headers=headers,
            label=label,
            limit_key=str(self.tenant),
        )

    def _write(
        self, method: str, path: str, body: Mapping[str, Any], invalidates: Iterable[str]
    ) -> dict[str, Any]:
        try:
            response = self._request(method, path, body=body)
        finally:
            # Even a failed or ambiguous write may have changed the resource.
            self._evict(path, invalidates)
        return self._checked(response.content, response=response) if response.content else {}

    def _evict(self, path: str, invalidates: Iterable[str]) -> None:
        """Orphan this tenant's cached answers of ``path``'s resource and of ``invalidates``."""
        for resource in (path, *invalidates):
            self.client.cache.invalidate(self._namespace(resource))

    def _fetch(
        self, path: str, params: Params, paced: bool = False
    ) -> tuple[bytes, dict[str, Any]]:
        """GET once: the raw body (what the cache keeps) and its checked, parsed form.

        ``paced``: measured by the client's ``pace`` (sent alone from the calling thread).
        """
        if paced:
            return self.client.pace.measure(lambda: self._fetch(path, params))
        response = self._request("GET", path, params)
        return response.content, self._checked(response.content, params, response)

    def _checked(
        self, body: bytes, params: Params = (), response: requests.Response | None = None
    ) -> dict[str, Any]:
        """Parse a body, refusing another tenant's data or a malformed answer.

        Both raise before the body can reach the cache. ``params`` tell a list page or a
        count from a single object; ``response`` is the answer the body came with (``None``
        for a cached body).
        """
        data = self._parsed(body, response)
        meta = data.get("_meta")
        actual = meta.get("administrationId") if isinstance(meta, dict) else None
        if actual is None or str(actual) != str(self.tenant):
            raise TenantMismatchError(self.tenant, actual)
        self._check_envelope(data, params, response)
        return data

    def _parsed(self, body: bytes, response: requests.Response | None) -> dict[str, Any]:
        """Parse a JSON object body, or raise ``InvalidResponse``."""
        return self.client.parse_body(body, response)

    def _check_envelope(
        self, data: dict[str, Any], params: Params, response: requests.Response | None
    ) -> None:
        """Raise ``InvalidResponse`` when a list page or a count lacks what its reader needs."""
        problem = _envelope_problem(data, params)
        if problem is not None:
            raise self.client.invalid_response(problem, response)

    def _key(self, path: str, params: Params) -> str:
        scope = self.client.cache_scope(self.tenant)
        return self.client.cache.request_key(scope, path, params, self._namespace)

    def _namespace(self, path: str) -> str:
        resource = path.strip("/").split("/", 1)[0].lower()
        return self.client.cache.namespace(self.client.base_url, self.tenant, resource)


class AccountSession(Session):
    """The reads of the user's own resources, outside any administration (no tenant header).

    ``client.administrations()`` pages through it; it takes no writes.
    """

    def __init__(self, client: Client) -> None:
        self.client = client
        self.tenant = 0  # administration ids are positive: 0 is no administration
        self._open = []

    def __repr__(self) -> str:
        return f"AccountSession(client={self.client!r})"

    def _request(
        self,
        method: str,
        path: str,
        params: Params = (),
        body: Mapping[str, Any] | None = None,
        files: Mapping[str, UploadFile] | None = None,
    ) -> requests.Response:
        if method != "GET":
            raise ConfigurationError("The account session only reads; write within a tenant.")
        check_cancelled()
        return self.client.request(method, path, params=params)

    def _checked(
        self, body: bytes, params: Params = (), response: requests.Response | None = None
    ) -> dict[str, Any]:
        data = self._parsed(body, response)
        self._check_envelope(data, params, response)
        return data


def _live(stack: tuple[_Activation, ...]) -> tuple[_Activation, ...]:
    """Return the blocks of a stack that have not ended elsewhere."""
    return tuple(entry for entry in stack if not entry.ended)


_COUNT_LIMIT = 2**63  # counts beyond a 64-bit integer are no count a server keeps


def _envelope_problem(data: dict[str, Any], params: Params) -> str | None:
    """Return what a list page or count answer lacks, or ``None`` when it can be read.

    A page (``page``/``pageSize`` asked) needs ``_data``, a list of objects; a count
    (``MetaOnly=true``) needs ``_meta.totalCount``. ``_meta.totalCount`` and
    ``_meta.pageCount`` are counts when present: integers from 0 (an integral ``1E+3`` is
    turned into ``1000`` in place).
    """
    asked = {name.lower(): value for name, value in params}
    meta = data.get("_meta")
    meta = meta if isinstance(meta, dict) else {}
    for name in ("totalCount", "pageCount"):
        if meta.get(name) is not None:
            count = _count(meta[name])
            if count is None:
                return f"_meta.{name} is {_short(meta[name])}, not a count"
            meta[name] = count
    if str(asked.get("metaonly", "")).lower() == "true":
        return None if meta.get("totalCount") is not None else "_meta.totalCount is missing"
    if "page" in asked or "pagesize" in asked:
        rows = data.get("_data")
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            return f"_data is {_short(rows)}, not a list of objects"
    return None


def _count(value: Any) -> int | None:
    """Return ``value`` as a count (a whole number from 0), or ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None
    if isinstance(value, Decimal) and not (
        value.is_finite() and abs(value.adjusted()) < 19 and value == value.to_integral_value()
    ):
        return None  # checked before int(): int(Decimal("1E+999999999")) would never end
    count = int(value)
    return count if 0 <= count < _COUNT_LIMIT else None


def _short(value: Any) -> str:
    """Describe a JSON value in a few words (never ``repr`` a container: it may nest deep)."""
    if isinstance(value, list | dict):
        return "an object" if isinstance(value, dict) else "an array with a non-object item"
    text = "null" if value is None else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def current_session(default: Session | None = None) -> Session:
    """Return the active session, else ``default``, else raise ``NoSessionError``."""
    try:
        return Session.current()
    except NoSessionError:
        if default is None:
            raise
        return default


def current_session_or_none() -> Session | None:
    """Return the active session, or ``None`` (for ``explain()``, which sends nothing)."""
    try:
        return Session.current()
    except NoSessionError:
        return None
