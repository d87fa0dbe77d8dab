"""``Fetcher``: run a plan through a ``Session``: pages, chunks, windows and local steps.

Every request a QuerySet sends goes through here. The first page of a scan tells how many
pages follow (``page_count``, the one reader of the paging envelope); those are fetched
concurrently. A slice the server can answer is fetched as the fewest pages that cover it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from asperion_orm.orm.planner import Plan, Request, order_rows, window_pages
from asperion_orm.orm.where import Where, field_reader

if TYPE_CHECKING:
    from asperion_orm.orm.options import Options
    from asperion_orm.session import Session

__all__ = ["Fetcher", "page_count"]

Raw = dict[str, Any]


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
    ) -> None:
        self.session = session
        self.plan = plan
        self.meta: Options = plan.meta
        self.page_size = min(chunk_size or plan.page_size, plan.page_size)
        self.cache = cache
        self.ttl = ttl

    def get(self, request: Request) -> Raw:
        """Send one GET."""
        return self.session.get(request.path, request.params, cache=self.cache, ttl=self.ttl)

    def get_object(self, pk: Any) -> Raw:
        """Return one object by id: ``GET /path/id``."""
        path = self.session.path(self.meta.check_path(), pk)
        return self.session.get(path, cache=self.cache, ttl=self.ttl)

    def get_many(self, requests: Iterable[Request]) -> Iterator[Raw]:
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
            return self._window()
        rows = self._scan()
        for where in (plan.verify, plan.local_where):
            if where:
                rows = _kept(rows, where)
        if plan.local_order or plan.merged:
            rows = iter(order_rows(list(rows), plan.ordering, self.meta))
        return itertools.islice(rows, plan.low, plan.high)

    def _window(self) -> Iterator[Raw]:
        """Yield the rows of a slice answered by the server's pages alone."""
        low, high = self.plan.low, self.plan.high
        if high is None:
            first = low // self.page_size + 1
            rows = self._pages(first, self.page_size)
            return itertools.islice(rows, low - (first - 1) * self.page_size, None)
        size, first, last = window_pages(low, high, self.plan.page_size)
        bodies = self.get_many(self.plan.page(n, size) for n in range(first, last + 1))
        rows = (row for body in bodies for row in body["_data"])
        offset = (first - 1) * size
        return itertools.islice(rows, low - offset, high - offset)

    def _pages(
        self, first: int, size: int, chunk: tuple[tuple[str, str], ...] = ()
    ) -> Iterator[Raw]:
        """Yield the rows of pages ``first`` to the last; pages after the first concurrently."""
        head = self.get(self.plan.page(first, size, chunk))
        yield from head["_data"]
        last = page_count(head, size)
        yield from self._rest(first + 1, last, size, chunk)

    def _rest(
        self, first: int, last: int, size: int, chunk: tuple[tuple[str, str], ...]
    ) -> Iterator[Raw]:
        bodies = self.get_many(self.plan.page(n, size, chunk) for n in range(first, last + 1))
        for body in bodies:
            yield from body["_data"]

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
            more = self._rest(2, page_count(head, self.page_size), self.page_size, chunk)
            for row in itertools.chain(head["_data"], more):
                if row.get(pk) not in seen:
                    seen.add(row.get(pk))
                    yield row


def _kept(rows: Iterator[Raw], where: Where) -> Iterator[Raw]:
    """Yield the rows that satisfy ``where``."""
    return (row for row in rows if where.matches(field_reader(row)))


def page_count(body: Raw, size: int) -> int:
    """Return how many pages of ``size`` rows the envelope of a list answer announces."""
    meta = body.get("_meta") or {}
    if meta.get("pageCount") is not None:
        return int(meta["pageCount"])
    return math.ceil(int(meta.get("totalCount") or 0) / size)
