"""The cache store and keys: byte bound, per-entry TTL, generations, key coverage."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from asperion_orm import CacheStore, Client, MemoryCacheStore
from asperion_orm.http.cache import DECODED_MAX_BYTES, DECODED_MAX_ROWS, Decoded, ResponseCache

from .conftest import FakeClock, FakeServer, Reply


def test_the_memory_store_implements_the_interface() -> None:
    assert isinstance(MemoryCacheStore(), CacheStore)


def test_entries_expire_after_their_own_ttl() -> None:
    clock = FakeClock()
    store = MemoryCacheStore(max_ttl=100, timer=clock)
    store.set("short", b"a", ttl=5)
    store.set("long", b"b", ttl=500)  # capped at max_ttl
    clock.now = 4.9
    assert store.get("short") == b"a"
    clock.now = 5.0
    assert store.get("short") is None
    clock.now = 99.9
    assert store.get("long") == b"b"
    clock.now = 100.0
    assert store.get("long") is None


def test_the_store_is_bounded_in_bytes() -> None:
    store = MemoryCacheStore(max_bytes=3000)
    for name in "abcde":
        store.set(name, b"x" * 700, ttl=60)
    assert store.size <= 3000
    assert store.get("a") is None and store.get("e") == b"x" * 700
    store.set("huge", b"x" * 5000, ttl=60)  # larger than the whole cache: not stored
    assert store.get("huge") is None and store.get("e") is not None


@pytest.mark.parametrize("body_size", [2, 100, 1000])
def test_the_byte_bound_counts_what_an_entry_really_takes_in_memory(body_size: int) -> None:
    store = MemoryCacheStore(max_bytes=10**9)
    cache = ResponseCache(store, ttl=60)
    scope = ("https://api.asperion.nl/v1", "app", "0123456789abcdef0123456789abcdef", 1234, "en-US")
    namespace = cache.namespace("https://api.asperion.nl/v1", 1234, "debtors")
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for page in range(2000):
            key = cache.key(scope, namespace, "debtors", [("page", str(page)), ("pageSize", "100")])
            store.set(key, b"x" * body_size + str(page).encode(), ttl=60)
        taken = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert 0.8 <= taken / store.size <= 1.25, f"{taken} bytes taken, {store.size} counted"


def test_a_bump_changes_the_generation_and_clear_keeps_it() -> None:
    store = MemoryCacheStore()
    assert store.generation("n") == 0
    store.bump("n")
    store.clear()
    assert store.generation("n") == 1 and store.generation("other") == 0


SCOPE = ("https://api.test/v1", "app", "user-grant", 1, "en-US")


@pytest.mark.parametrize("index", range(len(SCOPE)))
def test_every_scope_component_changes_the_key(index: int) -> None:
    cache = ResponseCache(MemoryCacheStore(), ttl=60)
    changed = list(SCOPE)
    changed[index] = f"{changed[index]}-other"
    key = cache.key(SCOPE, "ns", "debtors", [])
    assert cache.key(tuple(changed), "ns", "debtors", []) != key


def test_path_params_and_generation_change_the_key_and_order_does_not() -> None:
    cache = ResponseCache(MemoryCacheStore(), ttl=60)
    key = cache.key(SCOPE, "ns", "debtors", [("a", "1"), ("b", "2")])
    assert cache.key(SCOPE, "ns", "debtors", [("b", "2"), ("a", "1")]) == key
    assert cache.key(SCOPE, "ns", "debtors", [("a", "1")]) != key
    assert cache.key(SCOPE, "ns", "debtors/1", [("a", "1"), ("b", "2")]) != key
    cache.invalidate("ns")
    assert cache.key(SCOPE, "ns", "debtors", [("a", "1"), ("b", "2")]) != key


def test_the_key_never_contains_a_token() -> None:
    cache = ResponseCache(MemoryCacheStore(), ttl=60)
    assert "access" not in cache.key(SCOPE, "ns", "debtors", [])


def _loaded(body: bytes) -> tuple[bytes, str]:
    return body, body.decode()


def test_a_failed_load_is_not_cached_and_the_next_caller_loads() -> None:
    cache = ResponseCache(MemoryCacheStore(), ttl=60)
    with pytest.raises(KeyError):
        cache.fetch("k", lambda: (_ for _ in ()).throw(KeyError("x")), bytes.decode)
    assert cache.fetch("k", lambda: _loaded(b"ok"), bytes.decode) == "ok"
    assert cache.fetch("k", lambda: _loaded(b"not called"), bytes.decode) == "ok"


def test_a_body_the_loader_refuses_is_not_cached() -> None:
    cache = ResponseCache(MemoryCacheStore(), ttl=60)

    def refuse() -> tuple[bytes, str]:
        raise ValueError("other tenant")

    with pytest.raises(ValueError, match="other tenant"):
        cache.fetch("k", refuse, bytes.decode)
    assert cache.peek("k", bytes.decode) is None
    assert cache.fetch("k", lambda: _loaded(b"mine"), bytes.decode) == "mine"
    assert cache.peek("k", bytes.decode) == "mine"


class DictStore:
    """The smallest shared-store stand-in: what a Redis store would do with GET/SETEX/INCR."""

    def __init__(self) -> None:
        self.entries: dict[str, bytes] = {}
        self.generations: dict[str, int] = {}

    def get(self, key: str) -> bytes | None:
        return self.entries.get(key)

    def set(self, key: str, value: bytes, ttl: float) -> None:
        self.entries[key] = value

    def generation(self, namespace: str) -> int:
        return self.generations.get(namespace, 0)

    def bump(self, namespace: str) -> None:
        self.generations[namespace] = self.generation(namespace) + 1


def test_another_store_can_replace_the_memory_one(
    make_client: Callable[..., Client], fake: FakeServer
) -> None:
    store = DictStore()
    assert isinstance(store, CacheStore)
    session = make_client(cache_store=store).tenant(1)
    session.get("debtors")
    session.get("debtors")
    fake.then(Reply(201, {"id": 1, "_meta": {"administrationId": 1}}))
    session.post("debtors", {"name": "x"})
    session.get("debtors")
    assert len(fake.api_requests()) == 3 and len(store.entries) == 2
    assert all("secret" not in key for key in store.entries)


# -- decoded answers: a hit is not parsed again, and hands out a copy of its own ----------------


class CountingParser:
    """A body parser that counts its calls (what a hit would spend on JSON decoding)."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, body: bytes) -> object:
        self.calls += 1
        return json.loads(body)


PAGE = {"_data": [{"id": 1, "name": "Ann"}, {"id": 2, "name": "Bo"}], "_meta": {"pageCount": 1}}
NESTED = {"id": 1, "lines": [{"amount": "1.50", "tags": ["a"]}], "_meta": {"totalCount": 1}}
ROWS = {
    "_data": [{"id": 1, "_meta": {"self": "/1"}, "lines": [{"tags": ["a"]}]}, {"id": 2}],
    "_meta": {"totalCount": 2},
}


@pytest.mark.parametrize("answer", [PAGE, NESTED, ROWS])
def test_a_hit_in_the_memory_store_decodes_nothing(answer: dict[str, object]) -> None:
    cache, parse = ResponseCache(MemoryCacheStore(), ttl=60), CountingParser()
    body = json.dumps(answer).encode()
    assert cache.fetch("k", lambda: (body, json.loads(body)), parse) == answer
    assert cache.fetch("k", lambda: (body, {}), parse) == answer
    assert cache.peek("k", parse) == answer
    assert parse.calls == 0


@pytest.mark.parametrize(
    ("rows", "text"), [(DECODED_MAX_ROWS + 1, ""), (3, "x" * DECODED_MAX_BYTES)]
)
def test_a_large_answer_is_kept_raw_and_decoded_on_each_hit(rows: int, text: str) -> None:
    cache, parse = ResponseCache(MemoryCacheStore(), ttl=60), CountingParser()
    page = {"_data": [{"id": n, "name": text} for n in range(rows)], "_meta": {}}
    body = json.dumps(page).encode()
    cache.fetch("k", lambda: (body, json.loads(body)), parse)
    assert cache.fetch("k", lambda: (body, {}), parse) == page
    assert parse.calls == 1


def test_a_hit_in_a_raw_store_decodes_its_body() -> None:
    cache, parse = ResponseCache(DictStore(), ttl=60), CountingParser()
    body = json.dumps(PAGE).encode()
    cache.fetch("k", lambda: (body, json.loads(body)), parse)
    assert cache.fetch("k", lambda: (body, {}), parse) == PAGE
    assert parse.calls == 1


@pytest.mark.parametrize("answer", [PAGE, NESTED, ROWS])
def test_nothing_a_caller_changes_reaches_the_cached_answer(answer: dict[str, Any]) -> None:
    cache, parse = ResponseCache(MemoryCacheStore(), ttl=60), CountingParser()
    body = json.dumps(answer).encode()
    loaded = cache.fetch("k", lambda: (body, json.loads(body)), parse)
    for got in (loaded, cache.fetch("k", lambda: (body, {}), parse)):
        _scribble(got)
    assert cache.peek("k", parse) == answer


def _scribble(value: Any) -> None:
    """Change every dict and list inside decoded JSON, in place."""
    if isinstance(value, dict):
        for item in list(value.values()):
            _scribble(item)
        value["scribbled"] = True
    elif isinstance(value, list):
        for item in value:
            _scribble(item)
        value.append("scribbled")


def test_a_decoded_entry_is_counted_by_its_encoded_size() -> None:
    raw, decoded = MemoryCacheStore(), MemoryCacheStore()
    body = json.dumps(PAGE).encode()
    raw.set("k", body, ttl=60)
    decoded.set_decoded("k", body, Decoded(PAGE), ttl=60)
    assert raw.size == decoded.size > len(body)
    assert decoded.get("k") is None and raw.get_decoded("k") is None  # each kind on its own


def _decoded_store(entries: int, clock: FakeClock | None = None) -> MemoryCacheStore:
    """Return a store that holds ``entries`` decoded copies of ``PAGE`` and no more."""
    body = json.dumps(PAGE).encode()
    probe = MemoryCacheStore()
    probe.set_decoded("a", body, Decoded(PAGE), ttl=60)
    size = probe.size + probe.size // 2 + (entries - 1) * probe.size
    return MemoryCacheStore(max_bytes=size, timer=clock) if clock else MemoryCacheStore(size)


def test_a_decoded_hit_counts_as_a_read_for_eviction() -> None:
    store, body = _decoded_store(2), json.dumps(PAGE).encode()
    store.set_decoded("a", body, Decoded(PAGE), ttl=60)
    store.set_decoded("b", body, Decoded(PAGE), ttl=60)
    assert store.get_decoded("a") is not None  # read without the TTL cache, told to it later
    store.set_decoded("c", body, Decoded(PAGE), ttl=60)  # one must go: b, read least recently
    assert store.get_decoded("b") is None
    assert store.get_decoded("a") is not None and store.get_decoded("c") is not None


def test_a_decoded_entry_dropped_or_expired_is_not_found() -> None:
    clock = FakeClock()
    store, body = _decoded_store(3, clock), json.dumps(PAGE).encode()
    store.set_decoded("short", body, Decoded(PAGE), ttl=5)
    store.set_decoded("long", body, Decoded(PAGE), ttl=60)
    store.set("long", body, ttl=60)  # the same key now raw: no decoded entry left
    assert store.get_decoded("long") is None and store.get("long") == body
    clock.now = 5.0
    assert store.get_decoded("short") is None
    store.set_decoded("again", body, Decoded(PAGE), ttl=60)
    store.clear()
    assert store.get_decoded("again") is None and store.size == 0
