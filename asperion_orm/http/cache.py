"""The response cache: GET answers, keyed so no user or tenant ever sees another's data.

A key holds the API base URL, client id, user identity, tenant, language, path, sorted query
parameters and the generation of the (tenant, resource) it reads. A write to a resource bumps
that generation, so every older entry for the tenant's resource is never hit again and simply
ages out. Concurrent misses of one key make one request (single flight).

``CacheStore`` is the storage interface: ``MemoryCacheStore`` (a ``cachetools.TTLCache``
bounded in bytes, behind a lock) ships here; a shared store such as Redis implements the same
four methods (``GET``/``SETEX`` for entries, ``INCR`` for generations) and keeps raw JSON.
The memory store also keeps small answers decoded (``DecodedStore``, up to
``DECODED_MAX_BYTES``), so such a hit costs no JSON decoding: each hit gets a copy of its own
(dicts and lists new, the immutable values shared), so nothing a caller changes reaches the
cache. Its size is still counted by the encoded body. A caller that reads only some rows of
a list answer, chosen by a check of its own (the QuerySet's local filter), may have the chosen
row numbers kept with the entry (``ResponseCache.chosen_rows``): a repeat copies just those
rows and does not run the check again. The entry still keeps rows, never the caller's objects.
A caller that never changes a row nor hands one out (model instances, which copy their row
first) may take the entry's own rows (``shared``, ``ResponseCache.kept_rows``).
"""

from __future__ import annotations

import contextlib
import functools
import json
import sys
import threading
import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, NamedTuple, Protocol, TypeVar, cast, runtime_checkable

from cachetools import TTLCache

__all__ = ["CacheStore", "DecodedStore", "MemoryCacheStore", "ResponseCache"]

T = TypeVar("T")

DECODED_MAX_BYTES = 32 * 1024
DECODED_MAX_ROWS = 50
"""The largest answer kept decoded: 32 KiB of JSON, 50 rows; a larger one is kept raw.

Decoding is most of a hit on a small answer (a ``get()``, a count, a short list), while a hit
on a full page (100 rows, as scans read) is mostly building its rows into instances. Kept
decoded, a page takes about three times its encoded size, and its dicts are objects the
garbage collector walks again and again: a scan of 20,000 debtors whose 200 pages were kept
decoded ran ~20 % longer than one whose pages were kept raw.
"""

# What the ``TTLCache`` keeps per entry besides the key and the entry itself: a slot in each of
# its three dicts (values, sizes, expiry links, with their spare capacity) and one link node.
# Measured with tracemalloc on CPython 3.11-3.13: 200-250 bytes.
_BOOKKEEPING = 240


@runtime_checkable
class CacheStore(Protocol):
    """Storage for cached response bodies and per-namespace generation counters."""

    def get(self, key: str) -> bytes | None:
        """Return the body stored under ``key`` if it has not expired."""

    def set(self, key: str, value: bytes, ttl: float) -> None:
        """Store ``value`` under ``key`` for ``ttl`` seconds (best effort: may drop it)."""

    def generation(self, namespace: str) -> int:
        """Return the current generation of ``namespace``."""

    def bump(self, namespace: str) -> None:
        """Advance the generation of ``namespace``, orphaning its older entries."""


@runtime_checkable
class DecodedStore(Protocol):
    """A store that can also keep answers decoded (in process), so a hit is not parsed again."""

    def get_decoded(self, key: str) -> Decoded | None:
        """Return the decoded answer stored under ``key`` if it has not expired."""

    def set_decoded(self, key: str, value: bytes, decoded: Decoded, ttl: float) -> None:
        """Store the decoded form of ``value`` (sized as ``value``) for ``ttl`` seconds."""


class Decoded:
    """A decoded JSON answer kept in a cache: a copy of what it is given, copied on every hit.

    Where the dicts and lists inside a list page's rows are is found once, when the answer is
    stored, so a hit copies each row with ``dict.copy`` and only those containers besides
    (a row's ``_meta``, an invoice's lines). Anything else is copied all the way down.
    """

    __slots__ = ("_chosen", "_plans", "value")

    def __init__(self, value: Any) -> None:
        self._plans = _row_plans(value)
        self.value = self._copied(value)
        # (owner, extra): (owner, numbers picked, the rows they number), see ``chosen_rows``.
        self._chosen: dict[Hashable, tuple[object, list[int] | None, list[Any] | None]] = {}

    def copy(self) -> Any:
        """Return a copy the caller may change: no dict or list in it is shared."""
        return self._copied(self.value)

    def chosen_rows(
        self, owner: object, extra: Hashable, choose: Choose, *, shared: bool = False
    ) -> list[Any] | None:
        """Return copies of the rows ``choose`` picks, or ``None`` where it picks none.

        ``choose`` gets a copy of the answer and returns the numbers of the rows wanted (or
        ``None``: the answer alone does not settle it); that is kept with the entry under
        ``owner`` (compared by identity, so a value equal by accident never matches) and
        ``extra``, so a repeat only copies the rows. Not a list answer: ``None``.

        ``shared``: the entry's own rows, not copies, for a caller that never changes a row or
        anything in it and never hands one out (model instances copy their row before a change
        and a nested value before it is read; ``Stored``).
        """
        plans = self._plans
        if plans is None:
            return None
        signature = (id(owner), extra)
        kept = self._chosen.get(signature)
        if kept is None or kept[0] is not owner:
            if len(self._chosen) >= _CHOSEN_PER_ENTRY:
                self._chosen.clear()
            kept = self._kept(owner, choose(self.copy()))
            self._chosen[signature] = kept
        numbers = kept[1]
        if numbers is None:
            return None
        rows = self.value["_data"]
        if shared:
            return [rows[n] for n in numbers]
        return [_copy_row(rows[n], plans[n]) for n in numbers]

    def kept_rows(self, owner: object, extra: Hashable) -> list[Any] | None:
        """Return the entry's own rows a choice kept under ``owner`` and ``extra`` picked.

        ``None`` when no choice is kept for them, or it picked none (see ``chosen_rows``): a
        repeat's quickest answer, for a caller that never changes the rows (``shared``).
        """
        kept = self._chosen.get((id(owner), extra))
        if kept is None or kept[0] is not owner or kept[2] is None:
            return None
        return list(kept[2])

    def remember(self, owner: object, extra: Hashable, numbers: list[int] | None) -> None:
        """Keep what a caller's ``choose`` picked from this very answer (see ``chosen_rows``)."""
        if self._plans is not None:
            self._chosen[(id(owner), extra)] = self._kept(owner, numbers)

    def _kept(
        self, owner: object, numbers: list[int] | None
    ) -> tuple[object, list[int] | None, list[Any] | None]:
        rows = self.value["_data"]
        return owner, numbers, None if numbers is None else [rows[n] for n in numbers]

    def _copied(self, value: Any) -> Any:
        plans = self._plans
        if plans is None:
            return _copy_json(value)
        return {
            k: _copy_rows(v, plans) if k == "_data" else _copy_json(v) for k, v in value.items()
        }


_CONTAINERS = frozenset({dict, list})
_CHOSEN_PER_ENTRY = 8  # choices kept per entry: a few queries read the same page

Choose = Callable[[Any], "list[int] | None"]
"""Pick rows of a (copied) list answer by number; ``None`` when the answer cannot tell."""
Choice = tuple[object, Hashable, Choose]
"""``choose`` with the owner and extra its picks are kept under (``Decoded.chosen_rows``)."""

RowPlan = tuple[tuple[str, bool], ...]
"""The keys of a row that hold a dict or list, each with whether that holds none itself."""


def _copy_json(value: Any) -> Any:
    """Return decoded JSON with every dict and list new (strings, numbers are immutable)."""
    if type(value) is dict:
        return {k: _copy_json(v) if type(v) in _CONTAINERS else v for k, v in value.items()}
    if type(value) is list:
        return [_copy_json(v) if type(v) in _CONTAINERS else v for v in value]
    return value


def _row_plans(value: Any) -> list[RowPlan] | None:
    """Return each row's plan when ``value`` is a list answer (rows of objects), else ``None``."""
    rows = value.get("_data") if type(value) is dict else None
    if type(rows) is not list or not all(type(row) is dict for row in rows):
        return None
    shapes: dict[RowPlan, RowPlan] = {}  # rows of one shape share one plan
    plans = []
    for row in rows:
        plan = tuple(
            [
                (k, _CONTAINERS.isdisjoint(map(type, _items(v))))
                for k, v in row.items()
                if type(v) in _CONTAINERS
            ]
        )
        plans.append(shapes.setdefault(plan, plan))
    return plans


def _items(container: dict[str, Any] | list[Any]) -> Iterable[Any]:
    return container.values() if type(container) is dict else container


def _copy_rows(rows: list[dict[str, Any]], plans: list[RowPlan]) -> list[dict[str, Any]]:
    """Copy the rows of a list answer by their plans."""
    return [_copy_row(row, plan) for row, plan in zip(rows, plans, strict=True)]


def _copy_row(row: dict[str, Any], plan: RowPlan) -> dict[str, Any]:
    """Copy one row of a list answer by its plan."""
    copy = row.copy()
    for key, flat in plan:
        copy[key] = row[key].copy() if flat else _copy_json(row[key])
    return copy


class _Entry(NamedTuple):
    expires_at: float
    body: bytes | Decoded
    size: int  # the bytes this entry holds in memory, key included (see ``_footprint``)


def _footprint(key: str, expires_at: float, body: bytes) -> int:
    """Return the bytes an entry takes: key, body, the entry tuple, its numbers, bookkeeping."""
    objects = (key, body, expires_at, _Entry(expires_at, body, 0))
    return sum(sys.getsizeof(item) for item in objects) + sys.getsizeof(2**40) + _BOOKKEEPING


def _entry_size(entry: _Entry) -> int:
    return entry.size


class _Entries(TTLCache[str, _Entry]):
    """A store's ``TTLCache``, telling the store which entries it drops (evicted or expired)."""

    def __init__(
        self,
        maxsize: float,
        ttl: float,
        timer: Callable[[], float],
        dropped: Callable[[str, _Entry], None],
    ) -> None:
        super().__init__(maxsize=maxsize, ttl=ttl, timer=timer, getsizeof=_entry_size)
        self._dropped = dropped

    def popitem(self) -> tuple[str, _Entry]:
        key, entry = super().popitem()
        self._dropped(key, entry)
        return key, entry

    def expire(self, time: float | None = None) -> list[tuple[str, _Entry]]:
        expired = list(super().expire(time) or ())
        for key, entry in expired:
            self._dropped(key, entry)
        return expired


_TOUCHES = 256  # decoded entries read before their reads are told to the TTLCache (its LRU)


class MemoryCacheStore:
    """An in-process store: a ``TTLCache`` bounded in bytes, behind one lock.

    Entries carry their own expiry so a call may ask for a shorter TTL than ``max_ttl``; the
    ``TTLCache`` drops everything older than ``max_ttl`` and evicts least recently used
    entries once ``max_bytes`` is reached. An entry counts what it holds in memory (key, body,
    Python objects and the cache's bookkeeping), not only the length of its body; a decoded
    entry counts as its encoded body would, though its objects take about three times that (a
    page of 100 debtors: 80 KB of JSON, 244 KB decoded). ``get`` reads raw entries,
    ``get_decoded`` decoded ones.

    A decoded entry is also kept in a plain dict, so its hit (a repeated query's) takes one
    lookup and no lock; the ``TTLCache`` tells which entries it drops, and learns of those
    reads, in their order, before its next change or raw read (so it evicts the same least
    recently used entries as if each read had gone through it).
    """

    def __init__(
        self,
        max_bytes: int = 64 * 1024 * 1024,
        max_ttl: float = 3600.0,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_bytes = max_bytes
        self.max_ttl = max_ttl
        self._timer = timer
        self._cache = _Entries(max_bytes, max_ttl, timer, self._dropped)
        self._decoded: dict[str, _Entry] = {}  # the decoded entries of ``_cache``
        self._touched: list[str] = []  # decoded entries read since, not yet told to ``_cache``
        self._generations: dict[str, int] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"MemoryCacheStore(max_bytes={self.max_bytes}, entries={len(self._cache)})"

    def get(self, key: str) -> bytes | None:
        """Return a live raw entry's body."""
        body = self._live(key)
        return body if isinstance(body, bytes) else None

    def set(self, key: str, value: bytes, ttl: float) -> None:
        """Store an entry; one larger than the whole cache is silently not stored."""
        self._store(key, value, value, ttl)

    def get_decoded(self, key: str) -> Decoded | None:
        """Return a live decoded entry: one lookup, no lock (see the class)."""
        entry = self._decoded.get(key)
        if entry is None or entry.expires_at <= self._timer():
            return None
        touched = self._touched
        touched.append(key)
        if len(touched) >= _TOUCHES:
            with self._lock:
                self._touch()
        return cast(Decoded, entry.body)

    def set_decoded(self, key: str, value: bytes, decoded: Decoded, ttl: float) -> None:
        """Store the decoded form of ``value``, counted as ``value``'s size."""
        self._store(key, decoded, value, ttl)

    def _live(self, key: str) -> bytes | Decoded | None:
        with self._lock:
            if self._touched:
                self._touch()
            try:
                entry = self._cache[key]  # one lookup (``get`` asks ``in`` first, then this)
            except KeyError:
                return None
        if entry.expires_at <= self._timer():
            return None
        return entry.body

    def _store(self, key: str, body: bytes | Decoded, encoded: bytes, ttl: float) -> None:
        expires_at = self._timer() + min(ttl, self.max_ttl)
        entry = _Entry(expires_at, body, _footprint(key, expires_at, encoded))
        if ttl <= 0 or entry.size > self.max_bytes:
            return
        with self._lock:
            if self._touched:
                self._touch()
            self._cache[key] = entry
            if isinstance(body, Decoded):
                self._decoded[key] = entry
            else:
                self._decoded.pop(key, None)

    def _touch(self) -> None:
        """Tell the ``TTLCache`` of the decoded entries read since, in order (under the lock).

        A read that lands while the list is swapped may go untold: its entry is only taken as
        read a little earlier.
        """
        touched, self._touched = self._touched, []
        for key in touched:
            with contextlib.suppress(KeyError):  # expired meanwhile
                self._cache[key]  # moves it to the most recently used end

    def _dropped(self, key: str, entry: _Entry) -> None:
        """Forget a decoded entry the ``TTLCache`` dropped (called under the lock)."""
        if self._decoded.get(key) is entry:
            del self._decoded[key]

    def generation(self, namespace: str) -> int:
        """Return the namespace's generation (0 until the first write).

        One read of a dict, atomic as it is: no lock (``bump`` writes under it).
        """
        return self._generations.get(namespace, 0)

    def bump(self, namespace: str) -> None:
        """Advance the namespace's generation."""
        with self._lock:
            self._generations[namespace] = self._generations.get(namespace, 0) + 1

    def clear(self) -> None:
        """Drop every entry (generations stay, so nothing stale can come back)."""
        with self._lock:
            self._cache.clear()
            self._decoded.clear()
            self._touched = []

    @property
    def size(self) -> int:
        """Return the bytes currently accounted for."""
        with self._lock:
            return int(self._cache.currsize)


def _small(body: bytes, parsed: Any) -> bool:
    """Tell whether an answer is small enough to keep decoded (see ``DECODED_MAX_BYTES``)."""
    rows = parsed.get("_data") if type(parsed) is dict else None
    return len(body) <= DECODED_MAX_BYTES and not (
        type(rows) is list and len(rows) > DECODED_MAX_ROWS
    )


@functools.lru_cache(maxsize=4096)
def _namespace(base_url: str, tenant: int, resource: str) -> str:
    return json.dumps([base_url, tenant, resource])


@functools.lru_cache(maxsize=4096)
def _opening(scope: tuple[str | int, ...], namespace: str) -> str:
    """Return ``[*scope, namespace,`` as JSON: the start of every key in that scope."""
    return json.dumps([*scope, namespace])[:-1] + ","


def _encode_request(path: str, params: Iterable[tuple[Any, Any]]) -> str:
    """Return ``"path", [sorted pairs], `` as JSON: the request's part of a key."""
    pairs = sorted((str(k), str(v)) for k, v in params)
    return json.dumps([path, pairs])[1:-1] + ", "


_request_part = functools.lru_cache(maxsize=256)(_encode_request)
"""``_encode_request`` remembered for the 256 latest requests (a repeated query's page); few,
as their strings are not counted in the store's ``max_bytes``."""


_PREFIXES = 256  # requests whose key, but for the generation, a ResponseCache remembers


class ResponseCache:
    """Keys, invalidation and single flight over a ``CacheStore``."""

    def __init__(self, store: CacheStore, ttl: float) -> None:
        self.store = store
        self.ttl = ttl
        self._decoded = store if isinstance(store, DecodedStore) else None
        self._inflight: set[str] = set()
        self._cond = threading.Condition()
        self.choices = 0
        """How many times a caller's ``choose`` ran on an answer (for tests, diagnostics)."""
        # (scope, path, params): (namespace, key but the generation, generation, key)
        self._prefixes: dict[Hashable, tuple[str, str, int | None, str]] = {}

    @staticmethod
    def namespace(base_url: str, tenant: int, resource: str) -> str:
        """Return the invalidation namespace of a tenant's resource (shared by all users)."""
        return _namespace(base_url, tenant, resource.lower())

    def key(
        self,
        scope: Sequence[str | int],
        namespace: str,
        path: str,
        params: Sequence[tuple[str, str]],
    ) -> str:
        """Return the cache key: scope (who, where), namespace, path, sorted params, generation.

        One JSON array, its first part (the same for every request of a session and resource)
        encoded once.
        """
        generation = self.store.generation(namespace)
        opening = _opening(tuple(scope), namespace)
        try:
            request = _request_part(path, tuple(params))
        except TypeError:  # parameters that are not hashable: encoded each time
            request = _encode_request(path, params)
        return f"{opening}{request}{int(generation)}]"  # an int is its own JSON

    def request_key(
        self,
        scope: tuple[str | int, ...],
        path: str,
        params: Sequence[tuple[str, str]],
        namespace_of: Callable[[str], str],
    ) -> str:
        """Return ``key(scope, namespace_of(path), path, params)``.

        The key is remembered for the latest requests, by scope, path and parameters (which
        settle the namespace too), and made again only when the generation moved: a repeat
        finds it in one lookup, the same string (its hash known) as it was stored under.
        """
        request = (scope, path, params)
        try:
            found = self._prefixes.get(request)
        except TypeError:  # parameters that are not hashable
            return self.key(scope, namespace_of(path), path, params)
        if found is None:
            namespace = namespace_of(path)
            opening = _opening(scope, namespace) + _request_part(path, tuple(params))
            found = (namespace, opening, None, "")
        generation = self.store.generation(found[0])
        if generation == found[2]:  # the very string as before: its hash is known
            return found[3]
        key = f"{found[1]}{int(generation)}]"
        if len(self._prefixes) >= _PREFIXES:
            self._prefixes.clear()
        self._prefixes[request] = (found[0], found[1], generation, key)
        return key

    def invalidate(self, namespace: str) -> None:
        """Orphan every entry of ``namespace`` (after a write)."""
        self.store.bump(namespace)

    def peek(self, key: str, parse: Callable[[bytes], T]) -> T | None:
        """Return the parsed cached body for ``key``, or ``None`` when it is not cached.

        A store that keeps decoded answers hands out a copy, and ``parse`` is not called.
        """
        if self._decoded is not None:
            found = self._decoded.get_decoded(key)
            if found is not None:
                return cast(T, found.copy())
        body = self.store.get(key)
        return None if body is None else parse(body)

    def chosen_rows(
        self, key: str, owner: object, extra: Hashable, choose: Choose, *, shared: bool = False
    ) -> list[Any] | None:
        """Return copies of the rows ``choose`` picks from a decoded entry, else ``None``.

        ``None`` also when ``key`` is not cached decoded: the caller then reads the answer the
        usual way (``fetch``), which caches it. See ``Decoded.chosen_rows`` (and ``shared``).
        """
        if self._decoded is None:
            return None
        found = self._decoded.get_decoded(key)
        if found is None:
            return None

        def counted(value: Any) -> list[int] | None:
            self.choices += 1
            return choose(value)

        return found.chosen_rows(owner, extra, counted, shared=shared)

    def kept_rows(self, key: str, owner: object, extra: Hashable) -> list[Any] | None:
        """Return the rows of a decoded entry a kept choice picked, else ``None`` (the entry's
        own rows, for a caller that never changes them: ``Decoded.kept_rows``)."""
        found = None if self._decoded is None else self._decoded.get_decoded(key)
        if found is None:
            return None
        kept = found._chosen.get((id(owner), extra))  # ``Decoded.kept_rows``, written out
        if kept is None or kept[0] is not owner or kept[2] is None:
            return None
        return list(kept[2])

    def _keep(
        self, key: str, body: bytes, parsed: Any, ttl: float, choice: Choice | None = None
    ) -> None:
        """Store an answer: decoded (a copy, the caller keeps ``parsed``) when small, else raw.

        ``choice``: the rows a caller's ``choose`` picks from ``parsed`` are kept with it.
        """
        if self._decoded is not None and _small(body, parsed):
            entry = Decoded(parsed)
            if choice is not None:
                owner, extra, choose = choice
                self.choices += 1
                entry.remember(owner, extra, choose(parsed))
            self._decoded.set_decoded(key, body, entry, ttl)
        else:
            self.store.set(key, body, ttl)

    def fetch(
        self,
        key: str,
        load: Callable[[], tuple[bytes, T]],
        parse: Callable[[bytes], T],
        ttl: float | None = None,
        choice: Choice | None = None,
    ) -> T:
        """Return the parsed body for ``key``, calling ``load`` once however many ask at once.

        ``load`` returns the raw body and its parsed form, and raises for errors and for
        anything that may not be cached (another tenant's data, a malformed body), so only
        a body that parsed is stored; ``parse`` reads a stored raw body.
        """
        with self._cond:
            while True:
                found = self.peek(key, parse)
                if found is not None:
                    return found
                if key not in self._inflight:
                    self._inflight.add(key)
                    break
                self._cond.wait()
        try:
            body, parsed = load()
            self._keep(key, body, parsed, self.ttl if ttl is None else ttl, choice)
            return parsed
        finally:
            with self._cond:
                self._inflight.discard(key)
                self._cond.notify_all()
