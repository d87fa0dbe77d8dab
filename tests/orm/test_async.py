"""Django's async QuerySet and model API: same answers as the sync path, off the event loop.

Each test drives its coroutines with ``asyncio.run``. The mechanism tests (loop never blocked,
bounded concurrency, cancellation) count ticks and requests, never wall-clock time.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from requests.adapters import BaseAdapter

import asperion_orm as asp
from asperion_orm.capabilities import Capabilities
from asperion_orm.client import Client
from asperion_orm.resources import Debtor
from asperion_orm.session import Session
from asperion_orm.testing.sandbox import Sandbox

Counter = Callable[[int], AbstractContextManager[None]]


def _debtors(sandbox: Sandbox, tenant: int) -> list[dict[str, Any]]:
    return sandbox.state.rows(tenant, "debtors")


# -- reads --------------------------------------------------------------------------------


def test_async_reads_answer_as_the_rows_say(
    shared_session: Session, asperion_sandbox: Sandbox, assert_requests: Counter
) -> None:
    rows = _debtors(asperion_sandbox, shared_session.tenant)
    ids = sorted(row["id"] for row in rows)
    names = {row["id"]: row["name"] for row in rows}

    async def main() -> None:
        with assert_requests(1):
            assert await Debtor.objects.acount() == len(rows)
        with assert_requests(1):
            assert await Debtor.objects.filter(id__gt=ids[-1]).aexists() is False
        with assert_requests(1):
            assert (await Debtor.objects.aget(pk=ids[3])).name == names[ids[3]]
        with assert_requests(1):
            first = await Debtor.objects.afirst()
        with assert_requests(1):
            last = await Debtor.objects.alast()
        assert first is not None and last is not None
        assert (first.pk, last.pk) == (ids[0], ids[-1])
        with assert_requests(0):  # the requests of afirst() and alast(), cached
            assert (await Debtor.objects.aearliest("id")).pk == ids[0]
            assert (await Debtor.objects.alatest("id")).pk == ids[-1]
        with assert_requests(1):
            assert await Debtor.objects.acontains(first) is True
        with assert_requests(1):
            found = await Debtor.objects.ain_bulk(ids[:5])
        assert {pk: obj.name for pk, obj in found.items()} == {pk: names[pk] for pk in ids[:5]}
        with pytest.raises(Debtor.DoesNotExist):
            await Debtor.objects.aget(pk=ids[-1] + 1000)
        assert "GET /debtors" in await Debtor.objects.aexplain()

    asyncio.run(main())


def test_async_for_evaluates_once_into_the_result_cache(
    shared_session: Session, asperion_sandbox: Sandbox, assert_requests: Counter
) -> None:
    ids = sorted(row["id"] for row in _debtors(asperion_sandbox, shared_session.tenant))
    pages = -(-len(ids) // Debtor._meta.max_page_size)
    queryset = Debtor.objects.order_by("id")

    async def main() -> None:
        with assert_requests(pages):
            assert [obj.pk async for obj in queryset] == ids
        with assert_requests(0):  # as in Django: the second loop reads the result cache
            assert [obj.pk async for obj in queryset] == ids
            assert await queryset.acount() == len(ids)

    asyncio.run(main())


def test_aiterator_streams_pages_without_caching(
    shared_session: Session, asperion_sandbox: Sandbox, assert_requests: Counter
) -> None:
    ids = sorted(row["id"] for row in _debtors(asperion_sandbox, shared_session.tenant))
    queryset = Debtor.objects.order_by("id")

    async def main() -> None:
        with assert_requests(-(-len(ids) // 50)):
            assert [obj.pk async for obj in queryset.aiterator(chunk_size=50)] == ids
        assert queryset._result_cache is None
        values = queryset.values_list("id", flat=True)
        with assert_requests(1):  # a break after the first page sends nothing more
            async for pk in values.aiterator(chunk_size=50):
                assert pk == ids[0]
                break
        with pytest.raises(ValueError, match="strictly positive"):
            await anext(queryset.aiterator(chunk_size=0))

    asyncio.run(main())


def test_async_calls_without_a_session_raise_before_any_request(
    asperion_sandbox: Sandbox,
) -> None:
    async def main() -> None:
        with pytest.raises(asp.NoSessionError):
            await Debtor.objects.acount()
        with pytest.raises(asp.NoSessionError):
            await Debtor(name="x").asave()

    asyncio.run(main())
    assert asperion_sandbox.requests(path="/v1/*") == []


# -- tenants follow the task ----------------------------------------------------------------


def test_async_with_tenant_is_seen_by_its_own_task_only(
    sandbox_user_client: Client,
    asperion_sandbox: Sandbox,
    shared_tenant: int,
) -> None:
    asperion_tenant = asperion_sandbox.add_administration(records={"debtors": 20})
    expected = {t: len(_debtors(asperion_sandbox, t)) for t in (shared_tenant, asperion_tenant)}
    assert expected[shared_tenant] != expected[asperion_tenant]

    async def count_in(tenant: int) -> tuple[int, int]:
        async with sandbox_user_client.tenant(tenant) as session:
            await asyncio.sleep(0)  # let the other task enter its block
            counted = await Debtor.objects.acount()
            assert Session.current() is session
        with pytest.raises(asp.NoSessionError):
            Session.current()
        return tenant, counted

    async def main() -> dict[int, int]:
        pairs = await asyncio.gather(*(count_in(t) for t in [shared_tenant, asperion_tenant] * 3))
        return dict(pairs)

    assert asyncio.run(main()) == expected
    logged = {entry.tenant for entry in asperion_sandbox.requests(path="/v1/*")}
    assert logged == {shared_tenant, asperion_tenant}


# -- the event loop is never blocked ---------------------------------------------------------


def test_the_loop_ticks_while_twenty_counts_wait_on_the_server(
    shared_session: Session, asperion_sandbox: Sandbox
) -> None:
    asperion_sandbox.set_latency(0.05)
    expected = len(_debtors(asperion_sandbox, shared_session.tenant))

    async def main() -> tuple[list[int], int]:
        ticks = 0
        stop = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not stop.is_set():
                await asyncio.sleep(0.005)
                ticks += 1

        ticking = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        before = ticks
        counts = await asyncio.gather(*(Debtor.objects.cache(False).acount() for _ in range(20)))
        during = ticks - before
        stop.set()
        await ticking
        return counts, during

    counts, during = asyncio.run(main())
    assert counts == [expected] * 20
    assert len(asperion_sandbox.requests("GET", "/v1/debtors")) == 20
    # Blocking the loop would run the twenty counts back to back in one loop pass (no tick);
    # three rounds of 50 ms leave the ticker dozens of turns.
    assert during >= 5


# -- concurrency and cancellation, on a transport that counts what is in flight --------------

TENANT = 7


class GatedServer(BaseAdapter):
    """Answer counts and pages of ``total`` debtors; every API request waits at a gate.

    The gate is a barrier of ``parties`` requests (each round of that many passes together),
    or, with ``parties=None``, an event the test sets for the pages after the first. Page 1
    takes ``head_wait`` seconds: a wait as long as a network's makes the client hand the pages
    after it to its workers (``client.pace``), none reads them in the calling thread.
    """

    def __init__(self, total: int, parties: int | None, head_wait: float = 0.0) -> None:
        super().__init__()
        self.total = total
        self.head_wait = head_wait
        self.barrier = threading.Barrier(parties, timeout=10) if parties else None
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.sent: list[dict[str, str]] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.rounds = 0
        self.unavailable = 0  # answer this many requests 503 first

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        params = {k.lower(): v for k, v in parse_qsl(urlsplit(str(request.url)).query)}
        with self.lock:
            self.sent.append(params)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            self._wait(params)
        finally:
            with self.lock:
                self.in_flight -= 1
        return self._answer(request, params)

    def close(self) -> None:
        """Nothing to close."""

    def _wait(self, params: dict[str, str]) -> None:
        if self.barrier is not None:
            if self.barrier.wait() == 0:
                self.rounds += 1
        elif params.get("page", "1") != "1":
            self.release.wait(10)
        else:
            time.sleep(self.head_wait)

    def _answer(self, request: requests.PreparedRequest, params: dict[str, str]) -> Any:
        meta = {"administrationId": TENANT, "totalCount": self.total}
        body: dict[str, Any] = {"_meta": meta}
        status = 200
        with self.lock:
            if self.unavailable:
                self.unavailable -= 1
                status, body = 503, {"title": "Service Unavailable"}
        if status == 200 and params.get("metaonly") != "true":
            size, page = int(params["pagesize"]), int(params["page"])
            first = (page - 1) * size + 1
            last = min(self.total, page * size)
            body["_data"] = [{"id": n, "name": f"Debtor {n}"} for n in range(first, last + 1)]
        response = requests.Response()
        response.status_code = status
        response.headers["Content-Type"] = "application/json"
        response._content = json.dumps(body).encode()
        response.url = str(request.url)
        response.request = request
        return response


def _gated_client(
    server: GatedServer, max_concurrency: int, retry: asp.RetryPolicy | None = None
) -> Client:
    store = asp.MemoryTokenStore()
    store.save(asp.Token("access", "refresh", expires_at=time.time() + 3600, lifetime=3600))
    return Client(
        "app",
        "secret",
        "https://127.0.0.1/callback",
        base_url="https://api.example.test/v1",
        identity_url="https://identity.example.test",
        token_store=store,
        transport=server,
        max_concurrency=max_concurrency,
        cache_ttl=0,
        capabilities=Capabilities(),
        retry=retry,
    )


@pytest.fixture
def gated() -> Iterator[Callable[..., tuple[GatedServer, Client]]]:
    clients: list[Client] = []

    def make(
        total: int,
        parties: int | None,
        max_concurrency: int,
        retry: asp.RetryPolicy | None = None,
        head_wait: float = 0.0,
    ) -> tuple[GatedServer, Client]:
        server = GatedServer(total, parties, head_wait)
        clients.append(_gated_client(server, max_concurrency, retry))
        return server, clients[-1]

    yield make
    for client in clients:
        client.close()


def test_fifty_counts_run_max_concurrency_at_a_time(
    gated: Callable[..., tuple[GatedServer, Client]],
) -> None:
    server, client = gated(total=42, parties=5, max_concurrency=5)

    async def main() -> list[int]:
        async with client.tenant(TENANT):
            return await asyncio.gather(*(Debtor.objects.acount() for _ in range(50)))

    assert asyncio.run(main()) == [42] * 50
    # Rounds of five pass the barrier together: never more in flight, never fewer (a round
    # short of five would wait at the barrier and fail), so 50 counts take ⌈50 / 5⌉ rounds.
    assert server.most_in_flight == 5
    assert server.rounds == 10
    assert len(server.sent) == 50


def test_cancelling_the_task_stops_its_page_requests(
    gated: Callable[..., tuple[GatedServer, Client]],
) -> None:
    server, client = gated(total=1000, parties=None, max_concurrency=2, head_wait=0.05)

    async def main() -> None:
        async with client.tenant(TENANT):
            task = asyncio.create_task(_streamed(Debtor))
            await _until(lambda: server.in_flight == 2)  # page 1 read, pages 2 and 3 at the gate
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(main())
    server.release.set()
    client.async_executor.shutdown(wait=True)  # the worker thread has ended
    pages = sorted(int(params["page"]) for params in server.sent)
    assert pages == [1, 2, 3]  # without the cancel, pages 4 to 10 would follow


def test_a_cancelled_evaluation_sends_no_further_page(
    gated: Callable[..., tuple[GatedServer, Client]],
) -> None:
    server, client = gated(total=1000, parties=None, max_concurrency=2, head_wait=0.05)

    async def main() -> None:
        async with client.tenant(TENANT):
            task = asyncio.create_task(_all(Debtor))
            await _until(lambda: server.in_flight == 2)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(main())
    server.release.set()
    client.async_executor.shutdown(wait=True)
    assert sorted(int(params["page"]) for params in server.sent) == [1, 2, 3]


def test_a_cancelled_scan_read_in_the_calling_thread_sends_no_further_page(
    gated: Callable[..., tuple[GatedServer, Client]],
) -> None:
    server, client = gated(total=1000, parties=None, max_concurrency=2)  # page 1 at once

    async def main() -> None:
        async with client.tenant(TENANT):
            task = asyncio.create_task(_all(Debtor))
            await _until(lambda: server.in_flight == 1 and len(server.sent) == 2)
            task.cancel()  # page 2 waits at the gate, asked by the calling thread alone
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(main())
    server.release.set()
    client.async_executor.shutdown(wait=True)
    assert sorted(int(params["page"]) for params in server.sent) == [1, 2]
    assert server.most_in_flight == 1


def test_a_cancelled_call_is_not_retried(
    gated: Callable[..., tuple[GatedServer, Client]],
) -> None:
    waiting, wake = threading.Event(), threading.Event()

    def sleep(seconds: float) -> None:  # the retry loop's back-off, held until the cancel
        waiting.set()
        wake.wait(10)

    server, client = gated(
        total=5, parties=None, max_concurrency=2, retry=asp.RetryPolicy(sleep=sleep)
    )
    server.unavailable = 1

    async def main() -> None:
        async with client.tenant(TENANT):
            task = asyncio.create_task(Debtor.objects.acount())
            await _until(waiting.is_set)  # a 503 came back; the retry waits
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    asyncio.run(main())
    wake.set()
    client.async_executor.shutdown(wait=True)
    assert len(server.sent) == 1  # without the cancel, the count is asked again


async def _all(model: type[Debtor]) -> list[Debtor]:
    return [obj async for obj in model.objects.all()]


async def _streamed(model: type[Debtor]) -> list[Debtor]:
    return [obj async for obj in model.objects.aiterator(chunk_size=1000)]  # one batch: all pages


async def _until(condition: Callable[[], bool]) -> None:
    for _ in range(10_000):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("the requests never reached the gate")


# -- writes ---------------------------------------------------------------------------------


def test_async_writes_change_the_rows(
    asperion_session: Session, asperion_sandbox: Sandbox, assert_requests: Counter
) -> None:
    tenant = asperion_session.tenant

    def stored(pk: int) -> dict[str, Any] | None:
        return next((r for r in _debtors(asperion_sandbox, tenant) if r["id"] == pk), None)

    async def main() -> None:
        with assert_requests(1):
            made = await Debtor.objects.acreate(name="Async One", city="Ede")
        assert stored(made.pk)["name"] == "Async One"  # type: ignore[index]
        made.city = "Zeist"
        with assert_requests(1):
            await made.asave()
        assert stored(made.pk)["city"] == "Zeist"  # type: ignore[index]
        asperion_sandbox.state.change_row(tenant, "debtors", made.pk, city="Bunnik")
        with assert_requests(1):
            await made.arefresh_from_db()
        assert made.city == "Bunnik"
        got, created = await Debtor.objects.aget_or_create(name="Async One")
        assert (got.pk, created) == (made.pk, False)
        updated, created = await Debtor.objects.aupdate_or_create(
            name="Async One", defaults={"city": "Baarn"}
        )
        assert (updated.pk, created) == (made.pk, False)
        assert stored(made.pk)["city"] == "Baarn"  # type: ignore[index]
        more = await Debtor.objects.abulk_create([Debtor(name=f"Async {n}") for n in (2, 3)])
        assert all(stored(obj.pk) is not None for obj in more)
        for obj in more:
            obj.comments = "bulk"
        assert await Debtor.objects.abulk_update(more, ["comments"]) == 2
        assert {stored(obj.pk)["comments"] for obj in more} == {"bulk"}  # type: ignore[index]
        assert await Debtor.objects.filter(pk__in=[o.pk for o in more]).aupdate(city="Epe") == 2
        assert {stored(obj.pk)["city"] for obj in more} == {"Epe"}  # type: ignore[index]
        deleted, _ = await Debtor.objects.filter(pk=more[0].pk).adelete()
        assert deleted == 1 and stored(more[0].pk) is None
        with assert_requests(1):
            await made.adelete()
        assert stored(made.pk) is None and made.pk is None

    asyncio.run(main())
