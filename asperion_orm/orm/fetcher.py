"""``Fetcher``: run a plan through a ``Session``: pages, chunks, windows and local steps.

Every request a QuerySet sends goes through here. The first page of a scan is asked alone; its
envelope (``pageCount``, ``totalCount``: ``last_page``, the one reader of it) bounds the pages
that follow, which are fetched concurrently while answers keep the client waiting
(``Session.get_many``). Paging trusts the rows as much as the envelope: it
stops at the first page that comes back short or empty, never asks past the smaller of the
announced page count and total, and refuses a page that repeats an earlier one (a server that
ignores ``page``). A slice the server can answer is fetched as the fewest pages that cover it,
and no more pages than the rows fill.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import closing
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from asperion_orm._log import RequestInfo, redact_url
from asperion_orm.exceptions import InvalidResponse
from asperion_orm.orm.planner import Plan, Request, order_rows, plan, window_pages
from asperion_orm.orm.where import Where, field_reader

if TYPE_CHECKING:
    from asperion_orm.orm.options import Options
    from asperion_orm.orm.query import Query
    from asperion_orm.session import Session

__all__ = ["Fetcher", "last_page"]

Raw = dict[str, Any]
Params = tuple[tuple[str, str], ...]


class Fetcher:
    """Run a plan: page requests (concurrent after the first), local steps, the window."""

    def __init__(
        self,
        session: Session,
        plan: Plan,
        *,
        chunk_size: int | None = None,
        cache: bool = True,
        ttl: float | None = None,
        shared: bool = False,
    ) -> None:
        """``shared``: the caller never changes a row nor hands one out, so rows of a cached
        page may be the cache's own (model instances, which copy a row before changing it)."""
        self.session = session
        self.plan = plan
        self.meta: Options = plan.meta
        self.page_size = min(chunk_size or plan.page_size, plan.page_size)
        self.cache = cache
        self.ttl = ttl
        self.shared = shared

    def get(self, request: Request) -> Raw:
        """Send one GET."""
        return self.session.get(request.path, request.params, cache=self.cache, ttl=self.ttl)

    def get_object(self, pk: Any) -> Raw:
        """Return one object by id: ``GET /path/id``."""
        path = self.session.path(self.meta.check_path(), pk)
        return self.session.get(path, cache=self.cache, ttl=self.ttl)

    def get_many(self, requests: Iterable[Request]) -> Generator[Raw, None, None]:
        """Send GETs concurrently, yielding the answers in order (each cached for ``ttl``)."""
        calls = ((request.path, request.params) for request in requests)
        return self.session.get_many(calls, cache=self.cache, ttl=self.ttl)

    def total(self) -> int:
        """Return the server's row count over every chunk (``MetaOnly`` requests)."""
        return sum(
            int(body["_meta"]["totalCount"]) for body in self.get_many(self.plan.count_requests())
        )

    def rows(self) -> Iterator[Raw]:
        """Yield the raw rows of the plan, in order, within its window."""
        plan = self.plan
        if plan.empty:
            return iter(())
        if plan.windowed:
            return self._annotated(self._window())
        if self.cache and self.ttl != 0 and _first_page_settles(plan):
            found = self._first_page()
            if isinstance(found, list):
                return iter(found)
            rows = self._following(found, 1, self.page_size)
        else:
            rows = self._scan()
        for where in (plan.verify, plan.local_where):
            if where:
                rows = _kept(rows, where, plan.time_zone)
        rows = self._annotated(rows)
        if plan.late_where:
            rows = _kept(rows, plan.late_where, plan.time_zone)
        if plan.grouping is not None:
            rows = plan.grouping.rows(rows)
            if plan.grouping.ordering:
                rows = iter(
                    order_rows(list(rows), plan.grouping.ordering, self.meta, plan.time_zone)
                )
        elif plan.local_order or plan.merged:
            rows = iter(order_rows(list(rows), plan.ordering, self.meta, plan.time_zone))
        return itertools.islice(rows, plan.low, plan.high)

    def _first_page(self) -> list[Raw] | Raw:
        """Return the plan's rows when page 1 settles them, else page 1's answer to read on.

        The rows page 1 gives are kept with its cached answer (``Session.chosen_rows``), so a
        repeat copies those rows from the cache and checks none; a page loaded now has them
        picked as it is stored.
        """
        request, size, session = self.plan.first_page(self.page_size), self.page_size, self.session
        chosen = session.chosen_rows(
            request.path, request.params, self.plan, size, self._chosen, ttl=self.ttl,
            shared=self.shared,
        )  # fmt: skip
        if chosen is not None:
            return chosen
        picked: dict[int, list[int] | None] = {}

        def choose(body: Raw) -> list[int] | None:
            picked[id(body)] = numbers = self._chosen(body)
            return numbers

        head = session.get(
            request.path, request.params, ttl=self.ttl, choice=(self.plan, size, choose)
        )
        numbers = picked.get(id(head))  # none picked: a raw hit, or more pages to read
        if numbers is None:
            return head
        rows = head["_data"]
        return [rows[number] for number in numbers]

    def _chosen(self, head: Raw) -> list[int] | None:
        """Return the numbers of page 1's rows the plan returns, if page 1 alone settles them.

        The same steps as ``rows`` over a plan ``_first_page_settles`` admits: page 1's rows
        checked locally, then the slice; ``None`` when more pages would be read.
        """
        plan, size = self.plan, self.page_size
        rows = _PageCheck(
            self.meta.pk.api_name, lambda n: plan.page(n, size), self.session.base_url
        ).rows(head, 1)
        wheres = [where for where in (plan.verify, plan.local_where) if where]
        zone = plan.time_zone
        kept = [
            number
            for number, row in enumerate(rows)
            if all(where.matches(field_reader(row, zone)) for where in wheres)
        ]
        size = _server_page_size(head, len(rows), size)
        last = len(rows) < size or _end_page(head, 1, size, None) <= 1
        if not last and (plan.high is None or len(kept) < plan.high):
            return None
        return kept[plan.low : plan.high]

    def _annotated(self, rows: Iterator[Raw]) -> Iterator[Raw]:
        """Compute the plan's annotations for each row (related rows in batched requests)."""
        if self.plan.annotator is None:
            return rows
        return self.plan.annotator.rows(rows, self.related_rows)

    def related_rows(self, query: Query) -> Iterator[Raw]:
        """Yield the raw rows of another model's query, through this fetcher's session."""
        session = self.session
        related = plan(query, session.base_url, session.capabilities, session.time_zone)
        related.check_local(strict=session.strict)
        return Fetcher(session, related, cache=self.cache, ttl=self.ttl).rows()

    def _window(self) -> Iterator[Raw]:
        """Yield the rows of a slice answered by the server's pages alone.

        A page after the first is numbered by the page size the server actually uses: when it
        pages by fewer rows than asked (a cap it does not announce), the window is asked again
        by the server's own size rather than returning the wrong rows.
        """
        low, high = self.plan.low, self.plan.high
        most = self.page_size if high is None else self.plan.page_size
        while True:
            if high is None:
                size, first = most, low // most + 1
            else:
                size, first, _ = window_pages(low, high, most)
            head = self.get(self.plan.page(first, size))
            cap = self._cap(head, first, size)
            if cap is None:
                break
            most = cap
        offset = (first - 1) * size
        wanted = None if high is None else high - offset
        rows = self._following(head, first, size, wanted=wanted)
        return itertools.islice(rows, low - offset, None if high is None else high - offset)

    def _cap(self, head: Raw, first: int, size: int) -> int | None:
        """Return the smaller page size the server used for page ``first``, or ``None``.

        Page ``first`` holding fewer rows than ``totalCount`` promises at ``size`` rows a page
        means the server pages by less; page 1 (numbered alike by any size) tells by how much.
        """
        rows, meta = head.get("_data"), head.get("_meta")
        total = _count(meta.get("totalCount")) if isinstance(meta, dict) else None
        if first == 1 or not isinstance(rows, list) or total is None:
            return None
        if len(rows) >= min(size, total - (first - 1) * size):
            return None
        cap = len(self.get(self.plan.page(1, size)).get("_data") or [])
        if not 0 < cap < size:
            request = self.plan.page(first, size)
            raise InvalidResponse(
                f"{request}: page {first} holds {len(rows)} rows where totalCount={total} "
                f"promises {min(size, total - (first - 1) * size)}, and page 1 does not show a "
                "smaller page size. Check base_url and any proxy between you and the API.",
                status_code=200,
                request=RequestInfo("GET", redact_url(request.url(self.session.base_url))),
            )
        return cap

    def _pages(
        self, first: int, size: int, chunk: Params = (), wanted: int | None = None
    ) -> Iterator[Raw]:
        """Yield the rows of page ``first`` and of the pages after it (``wanted`` rows at most)."""
        head = self.get(self.plan.page(first, size, chunk))
        return self._following(head, first, size, chunk, wanted)

    def _following(
        self, head: Raw, first: int, size: int, chunk: Params = (), wanted: int | None = None
    ) -> Iterator[Raw]:
        """Yield the rows of page ``first`` (``head``), then of the pages after it.

        Those go concurrently, up to the last page the envelope announces and no further than
        ``wanted`` rows (counted from page ``first``); the first page that comes back short or
        empty is the last one read.
        """
        pages = _PageCheck(
            self.meta.pk.api_name, lambda n: self.plan.page(n, size, chunk), self.session.base_url
        )
        rows = pages.rows(head, first)
        yield from rows
        if first == 1:
            size = _server_page_size(head, len(rows), size)
        end = _end_page(head, first, size, wanted)
        if len(rows) < size or end <= first:
            return
        numbers = range(first + 1, end + 1)
        requests = (self.plan.page(n, size, chunk) for n in numbers)
        with closing(self.get_many(requests)) as bodies:  # cancels the pages not yet sent
            for number, body in zip(numbers, bodies, strict=False):
                rows = pages.rows(body, number)
                yield from rows
                if len(rows) < size:
                    return

    def _scan(self) -> Iterator[Raw]:
        """Yield every row the server part matches (all chunks, de-duplicated when merged)."""
        if not self.plan.merged:
            yield from self._pages(1, self.page_size)
            return
        seen: set[Any] = set()
        pk = self.meta.pk.api_name
        chunks = self.plan.chunks
        heads = self.get_many(self.plan.page(1, self.page_size, chunk) for chunk in chunks)
        for chunk, head in zip(chunks, heads, strict=True):
            for row in self._following(head, 1, self.page_size, chunk):
                if row.get(pk) not in seen:
                    seen.add(row.get(pk))
                    yield row


class _PageCheck:
    """Read the rows of the pages of one scan, refusing a page that repeats an earlier one."""

    def __init__(self, pk: str, request: Callable[[int], Request], base_url: str) -> None:
        self.pk = pk
        self.request = request
        self.base_url = base_url
        self.seen: dict[int, int] = {}

    def rows(self, body: Raw, number: int) -> list[Raw]:
        """Return the rows of page ``number``, unless an earlier page held the same ones."""
        rows = body.get("_data")
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise self._invalid(number, "is not a list answer (no list of objects in _data)")
        if not rows:
            return rows
        # A fingerprint of the ids: a hash, so memory does not grow with the rows read.
        earlier = self.seen.setdefault(hash(repr([row.get(self.pk) for row in rows])), number)
        if earlier != number:
            raise self._invalid(
                number,
                f"repeats page {earlier}, as if the server ignored the page number; paging "
                "stopped rather than return the same rows again",
            )
        return rows

    def _invalid(self, number: int, problem: str) -> InvalidResponse:
        request = self.request(number)
        return InvalidResponse(
            f"{request}: page {number} {problem}. Check base_url and any proxy between you "
            "and the API.",
            status_code=200,
            request=RequestInfo("GET", redact_url(request.url(self.base_url))),
        )


def _first_page_settles(plan: Plan) -> bool:
    """Tell whether the plan's rows may come from its first page alone, once cached.

    One chunk, and nothing after the local filter but the slice: no annotations, grouping or
    local ordering (those read every row first).
    """
    return not (
        plan.merged
        or plan.annotator is not None
        or plan.late_where
        or plan.grouping is not None
        or plan.local_order
    )


def _kept(rows: Iterator[Raw], where: Where, time_zone: dt.tzinfo) -> Iterator[Raw]:
    """Yield the rows that satisfy ``where`` (date transforms read datetimes in ``time_zone``)."""
    return (row for row in rows if where.matches(field_reader(row, time_zone)))


def _server_page_size(head: Raw, rows: int, asked: int) -> int:
    """Return the page size the server pages by, judging from its first page.

    Fewer rows than asked while ``totalCount`` counts more means the server caps the page size
    (``asperion probe`` finds the cap); then it numbers its pages by that size.
    """
    meta = head.get("_meta")
    total = _count(meta.get("totalCount")) if isinstance(meta, dict) else None
    return rows if 0 < rows < asked and total is not None and total > rows else asked


def _end_page(head: Raw, first: int, size: int, wanted: int | None) -> int:
    """Return the last page to ask: announced by the envelope, and covering ``wanted`` rows.

    With neither (a scan whose envelope announces nothing), page ``first`` is the last.
    """
    bounds = [last_page(head, size)]
    if wanted is not None:
        bounds.append(first - 1 + -(-wanted // size))
    return min((bound for bound in bounds if bound is not None), default=first)


def last_page(body: Raw, size: int) -> int | None:
    """Return the last page of ``size`` rows a list answer's envelope announces, if any.

    The smaller of ``pageCount`` and the pages ``totalCount`` fills; a value that is not a
    whole number of at least 0 announces nothing.
    """
    meta = body.get("_meta")
    meta = meta if isinstance(meta, dict) else {}
    pages, total = _count(meta.get("pageCount")), _count(meta.get("totalCount"))
    announced = [n for n in (pages, None if total is None else -(-total // size)) if n is not None]
    return min(announced, default=None)


def _count(value: Any) -> int | None:
    """Return a count from the envelope (``100``, ``1E+9``), or ``None`` for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None
    if isinstance(value, Decimal) and not (value.is_finite() and value == value.to_integral()):
        return None
    return int(value) if value >= 0 else None
