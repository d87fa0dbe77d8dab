"""The async twins of a QuerySet's methods (Django's names: ``aget``, ``acount``...).

Each runs the one sync method on the session's async worker threads (``Session.run``), in a
copy of the task's context, so a cancelled task stops its queued pages and writes.
"""

# The methods are typed with their QuerySet as `self`: mypy asks a mixin self-type to be a
# supertype of the mixin, which QuerySet (its subclass) is not ("misc"); use sites still check.
# mypy: disable-error-code="misc"

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, ParamSpec

from typing_extensions import TypeVar

from asperion_orm.session import current_session_or_none

if TYPE_CHECKING:
    from asperion_orm.orm.model import Model
    from asperion_orm.orm.q import Q
    from asperion_orm.orm.queryset import QuerySet

__all__ = ["AsyncMethods", "AsyncRows"]

M = TypeVar("M", bound="Model")
R = TypeVar("R", default=M)
P = ParamSpec("P")
T = TypeVar("T")


class AsyncMethods(Generic[M, R]):
    """``QuerySet``'s async twins: the sync method on the session's async worker threads."""

    def __aiter__(self: QuerySet[M, R]) -> AsyncIterator[R]:
        """Evaluate once, off the event loop, then yield from the result cache (as Django)."""
        return self._async_results()

    async def _async_results(self: QuerySet[M, R]) -> AsyncIterator[R]:
        if self._result_cache is None:
            await self._async(self._fetch_all)
        assert self._result_cache is not None
        for obj in self._result_cache:
            yield obj

    async def aiterator(self: QuerySet[M, R], chunk_size: int | None = None) -> AsyncIterator[R]:
        """Stream results as ``iterator()`` does, a page at a time, off the event loop."""
        if chunk_size is not None and chunk_size <= 0:
            raise ValueError("Chunk size must be strictly positive.")
        size = chunk_size or self.model._meta.max_page_size
        rows = AsyncRows(self, chunk_size)
        try:
            while True:
                batch = await self._async(rows.next_batch, size)
                for obj in batch:
                    yield obj
                if len(batch) < size:
                    return
        finally:
            rows.close()

    async def aget(self: QuerySet[M, R], *args: Q, **kwargs: Any) -> R:
        return await self._async(self.get, *args, **kwargs)

    async def acount(self: QuerySet[M, R]) -> int:
        return await self._async(self.count)

    async def aexists(self: QuerySet[M, R]) -> bool:
        return await self._async(self.exists)

    async def acontains(self: QuerySet[M, R], obj: Any) -> bool:
        return await self._async(self.contains, obj)

    async def afirst(self: QuerySet[M, R]) -> R | None:
        return await self._async(self.first)

    async def alast(self: QuerySet[M, R]) -> R | None:
        return await self._async(self.last)

    async def alatest(self: QuerySet[M, R], *fields: str) -> R:
        return await self._async(self.latest, *fields)

    async def aearliest(self: QuerySet[M, R], *fields: str) -> R:
        return await self._async(self.earliest, *fields)

    async def ain_bulk(
        self: QuerySet[M, R], id_list: Iterable[Any] | None = None, *, field_name: str = "pk"
    ) -> dict[Any, M]:
        return await self._async(self.in_bulk, id_list, field_name=field_name)

    async def aaggregate(self: QuerySet[M, R], *args: Any, **kwargs: Any) -> dict[str, Any]:
        aggregate: Callable[..., dict[str, Any]] = getattr(self, "aggregate")  # noqa: B009
        return await self._async(aggregate, *args, **kwargs)

    async def aexplain(self: QuerySet[M, R]) -> str:
        """Return ``explain()``: it sends nothing, so it runs here."""
        return self.explain()

    async def acreate(self: QuerySet[M, R], **kwargs: Any) -> M:
        return await self._async(self.create, **kwargs)

    async def aget_or_create(
        self: QuerySet[M, R], defaults: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> tuple[M, bool]:
        return await self._async(self.get_or_create, defaults, **kwargs)

    async def aupdate_or_create(
        self: QuerySet[M, R],
        defaults: Mapping[str, Any] | None = None,
        create_defaults: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> tuple[M, bool]:
        return await self._async(self.update_or_create, defaults, create_defaults, **kwargs)

    async def abulk_create(
        self: QuerySet[M, R], objs: Sequence[M], *, concurrency: int | None = None
    ) -> list[M]:
        return await self._async(self.bulk_create, objs, concurrency=concurrency)

    async def abulk_update(
        self: QuerySet[M, R],
        objs: Iterable[M],
        fields: Sequence[str],
        batch_size: int | None = None,
    ) -> int:
        return await self._async(self.bulk_update, objs, fields, batch_size)

    async def aupdate(self: QuerySet[M, R], **kwargs: Any) -> int:
        return await self._async(self.update, **kwargs)

    async def adelete(self: QuerySet[M, R]) -> tuple[int, dict[str, int]]:
        return await self._async(self.delete)

    async def _async(
        self: QuerySet[M, R], function: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Await ``function`` on the session's async worker threads.

        Without a session the call cannot reach the API: it runs here, to raise
        ``NoSessionError`` or answer from what it already holds.
        """
        session = self._session or current_session_or_none()
        if session is None:
            return function(*args, **kwargs)
        return await session.run(function, *args, **kwargs)


class AsyncRows:
    """The sync ``iterator()`` of a QuerySet, read a batch at a time from worker threads.

    The iterator is made on the first batch, in a worker thread too: making it may already
    send requests (the inner queries of lookups across relations).
    """

    def __init__(self, queryset: QuerySet[Any], chunk_size: int | None) -> None:
        self.queryset = queryset
        self.chunk_size = chunk_size
        self.rows: Iterator[Any] | None = None
        self.running = False

    def next_batch(self, size: int) -> list[Any]:
        """Return the next ``size`` results (fewer at the end)."""
        self.running = True
        try:
            if self.rows is None:
                self.rows = self.queryset.iterator(self.chunk_size)
            return list(itertools.islice(self.rows, size))
        finally:
            self.running = False

    def close(self) -> None:
        """Stop the pages still queued, unless a worker thread is reading (it stops itself)."""
        close = getattr(self.rows, "close", None)
        if close is not None and not self.running:
            close()
        self.rows = None
