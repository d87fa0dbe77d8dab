"""Sessions: activation, tenant checks, the cache as seen through a session, get_many."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from asperion_orm import Client, Session
from asperion_orm.exceptions import (
    AmbiguousWriteError,
    ConfigurationError,
    NoSessionError,
    TenantMismatchError,
)
from asperion_orm.session import AccountSession

from .conftest import FakeServer, Reply, refused, reset

MakeClient = Callable[..., Client]


# -- activation -------------------------------------------------------------------------


def test_no_active_session_says_how_to_get_one() -> None:
    with pytest.raises(NoSessionError, match=r"with client\.tenant\(id\):.*using\(session\)"):
        Session.current()


def test_sessions_nest_and_restore_on_exit(make_client: MakeClient) -> None:
    client = make_client(authorize=False)
    outer, inner = client.tenant(1), client.tenant(2)
    with outer:
        assert Session.current() is outer
        with inner as active:
            assert active is inner and Session.current() is inner
            with outer:
                assert Session.current() is outer
            assert Session.current() is inner
        assert Session.current() is outer
    with pytest.raises(NoSessionError):
        Session.current()


def test_an_exception_inside_the_block_still_deactivates(make_client: MakeClient) -> None:
    client = make_client(authorize=False)
    with pytest.raises(KeyError), client.tenant(3):
        raise KeyError
    with pytest.raises(NoSessionError):
        Session.current()


def test_each_thread_sees_its_own_session(make_client: MakeClient) -> None:
    client = make_client(authorize=False)
    seen: dict[str, int] = {}
    barrier = threading.Barrier(2)

    def work(tenant: int) -> None:
        with client.tenant(tenant):
            barrier.wait(5)
            seen[threading.current_thread().name] = Session.current().tenant

    threads = [threading.Thread(target=work, args=(t,), name=f"t{t}") for t in (4, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert seen == {"t4": 4, "t5": 5}


def test_a_copied_context_keeps_the_session(make_client: MakeClient) -> None:
    client = make_client(authorize=False)
    with client.tenant(6):
        context = contextvars.copy_context()
    assert context.run(Session.current).tenant == 6


@pytest.mark.parametrize("tenant", [0, -1, True, "12", 1.5, 2**31, 10**30])
def test_a_tenant_must_be_a_positive_int(make_client: MakeClient, tenant: object) -> None:
    with pytest.raises(ConfigurationError, match="administrations"):
        make_client(authorize=False).tenant(tenant)  # type: ignore[arg-type]


def test_a_tenant_beyond_the_apis_integer_range_is_refused_before_sending(
    make_client: MakeClient, fake: FakeServer
) -> None:
    client = make_client()
    with pytest.raises(ConfigurationError, match="2147483647"):
        client.tenant(2**31).get("debtors")
    assert fake.api_requests() == []
    assert client.tenant(2**31 - 1).tenant == 2147483647


# -- activation inside generators ---------------------------------------------------------


def _rows_of(session: Session) -> Iterator[int]:
    """Yield inside the session's block, as a generator that streams one tenant's rows."""
    with session:
        yield Session.current().tenant
        yield Session.current().tenant


def test_a_generator_closed_inside_another_block_leaves_that_block_active(
    make_client: MakeClient,
) -> None:
    client = make_client(authorize=False)
    rows = _rows_of(client.tenant(1))
    assert next(rows) == 1
    with client.tenant(2) as other:
        rows.close()
        assert Session.current() is other
    with pytest.raises(NoSessionError):
        Session.current()


def test_a_generator_abandoned_inside_another_block_leaks_nothing(
    make_client: MakeClient,
) -> None:
    client = make_client(authorize=False)
    rows = _rows_of(client.tenant(1))
    next(rows)
    with client.tenant(2) as other:
        del rows  # collected here: its block ends inside ours
        assert Session.current() is other
    with pytest.raises(NoSessionError):
        Session.current()


def test_generators_ending_in_any_order_restore_the_callers_session(
    make_client: MakeClient,
) -> None:
    client = make_client(authorize=False)
    mine = client.tenant(9)
    with mine:
        first, second = _rows_of(client.tenant(1)), _rows_of(client.tenant(2))
        assert (next(first), next(second)) == (1, 2)
        assert Session.current().tenant == 2  # a suspended block is open, as in @contextmanager
        first.close()
        assert Session.current().tenant == 2
        second.close()
        assert Session.current() is mine
    with pytest.raises(NoSessionError):
        Session.current()


def test_a_generator_closed_in_another_context_ends_its_block_here_too(
    make_client: MakeClient,
) -> None:
    client = make_client(authorize=False)
    mine = client.tenant(9)
    with mine:
        rows = _rows_of(client.tenant(3))
        next(rows)
        copied = contextvars.copy_context()
        contextvars.Context().run(rows.close)  # as when another thread collects the generator
        assert Session.current() is mine
        assert copied.run(Session.current) is mine
    with pytest.raises(NoSessionError):
        Session.current()


def test_a_block_ended_in_a_copied_context_too_raises_nothing(make_client: MakeClient) -> None:
    client = make_client(authorize=False)
    session = client.tenant(5)
    with session:
        copied = contextvars.copy_context()
    copied.run(session.__exit__, None, None, None)  # the copy still had it open
    with pytest.raises(NoSessionError):
        copied.run(Session.current)
    with pytest.raises(NoSessionError):
        Session.current()


def test_a_copied_context_keeps_a_block_that_ended_normally(make_client: MakeClient) -> None:
    client = make_client(authorize=False)
    rows = _rows_of(client.tenant(4))
    next(rows)
    copied = contextvars.copy_context()
    rows.close()
    with pytest.raises(NoSessionError):
        Session.current()
    assert copied.run(Session.current).tenant == 4  # contextvars semantics, as for threads


def test_path_encodes_each_segment() -> None:
    assert Session.path("debtors", 42) == "debtors/42"
    assert Session.path("articles", "a/b c?d") == "articles/a%2Fb%20c%3Fd"
    with pytest.raises(ConfigurationError):
        Session.path("debtors", "..")


# -- tenant checks ----------------------------------------------------------------------


def _other_tenant(request: requests.PreparedRequest) -> Reply:
    return Reply(200, {"_data": [{"id": 1}], "_meta": {"administrationId": 999}})


def test_a_response_for_another_tenant_is_refused_and_never_cached(
    make_client: MakeClient, fake: FakeServer
) -> None:
    client = make_client()
    fake.route("GET", r"/v1/debtors", _other_tenant)
    session = client.tenant(5)
    for _ in range(2):
        with pytest.raises(TenantMismatchError) as info:
            session.get("debtors")
        assert (info.value.expected, info.value.actual) == (5, 999)
    assert len(fake.api_requests()) == 2


@pytest.mark.parametrize("body", [{"_data": []}, {"_meta": {}}, {"_meta": None}])
def test_a_response_without_administration_id_is_refused(
    make_client: MakeClient, fake: FakeServer, body: dict[str, object]
) -> None:
    client = make_client()
    fake.then(Reply(200, body))
    with pytest.raises(TenantMismatchError):
        client.tenant(5).get("debtors")


def test_a_write_answered_for_another_tenant_is_refused(
    make_client: MakeClient, fake: FakeServer
) -> None:
    client = make_client()
    fake.then(Reply(201, {"id": 1, "_meta": {"administrationId": 4}}))
    with pytest.raises(TenantMismatchError):
        client.tenant(5).post("debtors", {"name": "x"})


# -- caching through a session ----------------------------------------------------------


def test_a_repeated_get_is_served_from_the_cache(make_client: MakeClient, fake: FakeServer) -> None:
    session = make_client().tenant(1)
    first = session.get("debtors", [("page", "1")])
    first["mutated"] = True
    second = session.get("debtors", [("page", "1")])
    assert "mutated" not in second
    assert len(fake.api_requests()) == 1


def test_cache_false_and_ttl_zero_always_ask(make_client: MakeClient, fake: FakeServer) -> None:
    session = make_client().tenant(1)
    session.get("debtors")
    session.get("debtors", cache=False)
    session.get("debtors", ttl=0)
    assert len(fake.api_requests()) == 3


def test_params_are_keyed_sorted(make_client: MakeClient, fake: FakeServer) -> None:
    session = make_client().tenant(1)
    session.get("debtors", [("a", "1"), ("b", "2")])
    session.get("debtors", [("b", "2"), ("a", "1")])
    session.get("debtors", [("a", "1"), ("b", "3")])
    assert len(fake.api_requests()) == 2


def test_a_write_evicts_that_tenants_resource_only(
    make_client: MakeClient, fake: FakeServer
) -> None:
    client = make_client()
    one, two = client.tenant(1), client.tenant(2)
    for session in (one, two):
        session.get("debtors")
        session.get("articles")
    fake.then(Reply(201, {"id": 9, "_meta": {"administrationId": 1}}))
    one.post("debtors", {"name": "x"})
    before = len(fake.api_requests())
    one.get("debtors")  # evicted
    one.get("articles")  # another resource: still cached
    two.get("debtors")  # another tenant: still cached
    assert len(fake.api_requests()) == before + 1


def test_a_write_evicts_the_resources_it_names_as_side_effects(
    make_client: MakeClient, fake: FakeServer
) -> None:
    session = make_client().tenant(1)
    for path in ("articles", "journalentrylog", "debtors"):
        session.get(path)
    fake.then(Reply(201, {"id": 9, "_meta": {"administrationId": 1}}), Reply(204))
    session.post("SalesOrderWithLines", {}, invalidates=["articles"])
    session.delete("x/9", invalidates=("journalentrylog",))
    before = len(fake.api_requests())
    for path in ("articles", "journalentrylog", "debtors"):
        session.get(path)
    assert [r.path_url for r in fake.api_requests()[before:]] == [
        "/v1/articles",
        "/v1/journalentrylog",
    ]


def test_a_failed_write_still_evicts(make_client: MakeClient, fake: FakeServer) -> None:
    session = make_client().tenant(1)
    session.get("debtors")
    fake.then(requests.ReadTimeout("lost"))
    with pytest.raises(Exception, match="may have applied it"):
        session.post("debtors", {"name": "x"})
    session.get("debtors")
    assert len(fake.api_requests()) == 3


def test_clients_do_not_share_entries_across_users(
    make_client: MakeClient, fake: FakeServer
) -> None:
    from asperion_orm import MemoryCacheStore

    shared = MemoryCacheStore()
    alice, bob = make_client(cache_store=shared), make_client(cache_store=shared)
    alice.tenant(1).get("debtors")
    bob.tenant(1).get("debtors")
    alice.tenant(1).get("debtors")
    assert len(fake.api_requests()) == 2


def test_concurrent_misses_of_one_key_make_one_request(
    make_client: MakeClient, fake: FakeServer
) -> None:
    session = make_client().tenant(1)

    def slow(request: requests.PreparedRequest) -> Reply:
        time.sleep(0.05)
        return Reply(200, {"_data": [], "_meta": {"administrationId": 1}})

    fake.route("GET", r"/v1/debtors", slow)
    barrier = threading.Barrier(8)

    def work() -> None:
        barrier.wait(5)
        session.get("debtors")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert len(fake.api_requests()) == 1


# -- get_many ---------------------------------------------------------------------------


def _page_route(request: requests.PreparedRequest) -> Reply:
    page = int(str(request.url).rsplit("page=", 1)[1])
    time.sleep(0.002 * (7 - page % 7))  # later pages often finish first
    return Reply(200, {"_data": [{"page": page}], "_meta": {"administrationId": 1}})


def test_get_many_yields_in_input_order(make_client: MakeClient, fake: FakeServer) -> None:
    session = make_client(max_concurrency=4).tenant(1)
    fake.route("GET", r"/v1/debtors", _page_route)
    calls = [("debtors", [("page", str(n))]) for n in range(1, 21)]
    pages = [r["_data"][0]["page"] for r in session.get_many(calls)]
    assert pages == list(range(1, 21))


def test_get_many_reads_its_input_lazily(make_client: MakeClient, fake: FakeServer) -> None:
    session = make_client(max_concurrency=3).tenant(1)
    fake.route("GET", r"/v1/debtors", _page_route)
    consumed: list[int] = []

    def calls() -> Iterator[tuple[str, list[tuple[str, str]]]]:
        for n in range(1, 10_000):
            consumed.append(n)
            yield "debtors", [("page", str(n))]

    results = session.get_many(calls())
    for _ in range(5):
        next(results)
    results.close()  # type: ignore[attr-defined]
    assert len(consumed) <= 5 + 2 * 3
    assert len(fake.api_requests()) <= 5 + 2 * 3


class _Gate:
    """Pages after the first wait at a gate; it counts the requests waiting there at once."""

    def __init__(self) -> None:
        self.open = threading.Event()
        self.changed = threading.Condition()
        self.waiting = self.most = self.answered = 0

    def __call__(self, request: requests.PreparedRequest) -> Reply:
        page = int(str(request.url).rsplit("page=", 1)[1])
        if page > 1:
            with self.changed:
                self.waiting += 1
                self.most = max(self.most, self.waiting)
                self.changed.notify_all()
            self.open.wait(5)
            with self.changed:
                self.waiting -= 1
                self.answered += 1
                self.changed.notify_all()
        return Reply(200, {"_data": [{"page": page}], "_meta": {"administrationId": 1}})

    def until(self, condition: Callable[[], bool]) -> None:
        with self.changed:
            assert self.changed.wait_for(condition, 5)


def test_get_many_keeps_every_worker_busy_while_the_consumer_holds_a_page(
    make_client: MakeClient, fake: FakeServer
) -> None:
    session = make_client(max_concurrency=4).tenant(1)
    gate = _Gate()
    fake.route("GET", r"/v1/debtors", gate, concurrent=True)
    consumed: list[int] = []

    def calls() -> Iterator[tuple[str, list[tuple[str, str]]]]:
        for n in range(1, 100):
            consumed.append(n)
            yield "debtors", [("page", str(n))]

    results = session.get_many(calls())
    assert next(results)["_data"] == [{"page": 1}]  # held: the consumer asks for no more
    gate.until(lambda: gate.waiting == 4)  # every worker has a request in flight
    gate.open.set()
    gate.until(lambda: gate.answered == 2 * 4 - 1)  # the pages read ahead come in
    assert gate.most == 4
    assert len(consumed) == len(fake.api_requests()) == 2 * 4  # and no more than that
    assert [body["_data"][0]["page"] for body in results] == list(range(2, 100))


class _Pages:
    """Answers ``?page=N``, slowly (a network round trip) from page ``slow_from`` on.

    It notes the thread each request was sent from.
    """

    def __init__(self, slow_from: int = 10**9, delay: float = 0.01) -> None:
        self.slow_from, self.delay = slow_from, delay
        self.threads: dict[int, int] = {}

    def __call__(self, request: requests.PreparedRequest) -> Reply:
        page = int(str(request.url).rsplit("page=", 1)[1])
        self.threads[page] = threading.get_ident()
        if page >= self.slow_from:
            time.sleep(self.delay)
        return Reply(200, {"_data": [{"page": page}], "_meta": {"administrationId": 1}})


def _pages(first: int, last: int) -> list[tuple[str, list[tuple[str, str]]]]:
    return [("debtors", [("page", str(n))]) for n in range(first, last + 1)]


def test_get_many_reads_answers_that_come_at_once_in_the_calling_thread(
    make_client: MakeClient, fake: FakeServer
) -> None:
    client = make_client(max_concurrency=4)
    session, pages = client.tenant(1), _Pages()
    fake.route("GET", r"/v1/debtors", pages, concurrent=True)
    for call in _pages(1, 5):  # first pages of scans, each measured: they came at once
        session.get(*call)
    assert not client.pace.threads_pay()
    bodies = session.get_many(_pages(6, 30))
    assert [body["_data"][0]["page"] for body in bodies] == list(range(6, 31))
    assert set(pages.threads.values()) == {threading.get_ident()}  # no worker thread


def test_get_many_hands_answers_that_keep_it_waiting_to_the_workers(
    make_client: MakeClient, fake: FakeServer
) -> None:
    client = make_client(max_concurrency=4)
    session, pages = client.tenant(1), _Pages(slow_from=1)
    fake.route("GET", r"/v1/debtors", pages, concurrent=True)
    session.get(*_pages(1, 1)[0])  # measured alone: it waited 10 ms
    assert client.pace.threads_pay()
    bodies = session.get_many(_pages(2, 20))
    assert [body["_data"][0]["page"] for body in bodies] == list(range(2, 21))
    workers = {pages.threads[n] for n in range(2, 21)}
    assert threading.get_ident() not in workers
    assert len(workers) > 1


def test_get_many_switches_to_workers_once_answers_turn_slow(
    make_client: MakeClient, fake: FakeServer
) -> None:
    client = make_client(max_concurrency=4)
    session, pages = client.tenant(1), _Pages(slow_from=8)
    fake.route("GET", r"/v1/debtors", pages, concurrent=True)
    for call in _pages(1, 5):
        session.get(*call)
    bodies = session.get_many(_pages(6, 40))
    assert [body["_data"][0]["page"] for body in bodies] == list(range(6, 41))
    caller = threading.get_ident()
    assert {pages.threads[n] for n in range(1, 8)} == {caller}  # fast: read here
    # Pages 8, 9 and 10 waited here; with three slow answers of the last five the rest went
    # to the workers (from page 11 at the latest: noise could only have switched earlier).
    assert caller not in {pages.threads[n] for n in range(11, 41)}


def test_get_many_of_a_one_request_client_never_uses_a_worker(
    make_client: MakeClient, fake: FakeServer
) -> None:
    client = make_client(max_concurrency=1)
    session, pages = client.tenant(1), _Pages(slow_from=1, delay=0.002)
    fake.route("GET", r"/v1/debtors", pages, concurrent=True)
    assert client.pace.threads_pay()  # nothing measured yet, and still:
    assert len(list(session.get_many(_pages(1, 6)))) == 6
    assert set(pages.threads.values()) == {threading.get_ident()}


def test_get_many_raises_the_first_failure_in_order(
    make_client: MakeClient, fake: FakeServer
) -> None:
    session = make_client(max_concurrency=2).tenant(1)
    fake.route("GET", r"/v1/debtors/2", lambda r: Reply(404, {"title": "Not Found"}))
    results = session.get_many([("debtors/1", []), ("debtors/2", []), ("debtors/3", [])])
    assert next(results)["_meta"]["administrationId"] == 1
    with pytest.raises(Exception, match="404"):
        next(results)


# -- uploads ------------------------------------------------------------------------------


def test_upload_posts_multipart_and_resends_only_what_never_left(
    make_client: MakeClient, fake: FakeServer
) -> None:
    session = make_client().tenant(7)
    listed = {"id": "f-1", "name": "a.pdf", "_meta": {"administrationId": 7}}
    fake.then(refused(), Reply(201, listed))
    files = {"File": ("a.pdf", b"%PDF-1.7 \x00\xff", "application/pdf")}
    assert session.upload("salesinvoiceswithlines/3/file", files) == listed
    first, second = fake.api_requests()
    assert first.body == second.body  # encoded once: the retry sends the same bytes
    assert (second.method, second.path_url) == ("POST", "/v1/salesinvoiceswithlines/3/file")
    assert second.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert second.headers["X-Tenant-Id"] == "7"
    body = bytes(second.body)  # type: ignore[arg-type]
    assert b'name="File"; filename="a.pdf"' in body
    assert b"Content-Type: application/pdf" in body and b"%PDF-1.7 \x00\xff" in body


def test_an_upload_whose_answer_is_lost_is_ambiguous_and_not_resent(
    make_client: MakeClient, fake: FakeServer
) -> None:
    session = make_client().tenant(7)
    fake.then(reset())
    with pytest.raises(AmbiguousWriteError):
        session.upload("salesinvoiceswithlines/3/file", {"File": ("a.pdf", b"x", "text/plain")})
    assert len(fake.api_requests()) == 1


def test_an_upload_evicts_the_resource_and_is_checked_for_its_tenant(
    make_client: MakeClient, fake: FakeServer
) -> None:
    session = make_client().tenant(7)
    session.get("salesinvoiceswithlines")
    fake.then(Reply(201, {"id": "f-2", "_meta": {"administrationId": 8}}))
    with pytest.raises(TenantMismatchError):
        session.upload("salesinvoiceswithlines/3/file", {"File": ("a", b"x", "text/plain")})
    session.get("salesinvoiceswithlines")
    assert len(fake.api_requests()) == 3  # the upload emptied the cached list


def test_the_account_session_takes_no_uploads(make_client: MakeClient, fake: FakeServer) -> None:
    with pytest.raises(ConfigurationError, match="only reads"):
        AccountSession(make_client()).upload("x/1/file", {"File": ("a", b"x", "text/plain")})
    assert fake.api_requests() == []
