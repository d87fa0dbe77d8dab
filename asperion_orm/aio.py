"""Run the sync ORM for async callers: on bounded worker threads, in the caller's context.

``run_sync`` is what ``aget()``, ``acount()``, ``asave()``... await. The call runs on the
client's async executor (``max_concurrency`` threads, so the event loop is never blocked and
``N`` concurrent calls take ``⌈N / max_concurrency⌉`` round trips), in a copy of the awaiting
task's context (its ``with client.tenant(...)`` block follows it into the thread). Cancelling
the awaiting task cancels the call's requests that are not sent yet: the session checks
``check_cancelled()`` before every request and hands the futures of its concurrent requests
to ``watch()``, which cancels them with the call.
"""

from __future__ import annotations

import contextvars
import functools
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import CancelledError, Executor, Future
from typing import Any, ParamSpec, TypeVar

__all__ = ["Cancellation", "check_cancelled", "run_sync", "watch"]

P = ParamSpec("P")
T = TypeVar("T")


class Cancellation:
    """The cancel signal of one async call, seen by the worker thread that runs it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._futures: weakref.WeakSet[Future[Any]] = weakref.WeakSet()

    @property
    def cancelled(self) -> bool:
        """Return whether the awaiting task was cancelled."""
        return self._cancelled

    def cancel(self) -> None:
        """Stop the call: cancel the requests it queued and refuse the ones it would send."""
        with self._lock:
            self._cancelled = True
            futures = list(self._futures)
            self._futures.clear()
        for future in futures:
            future.cancel()

    def watch(self, future: Future[Any]) -> None:
        """Cancel ``future`` with the call (at once when the call is already cancelled)."""
        with self._lock:
            if not self._cancelled:
                self._futures.add(future)
                return
        future.cancel()

    def check(self) -> None:
        """Raise ``CancelledError`` when the call was cancelled (before sending a request)."""
        if self._cancelled:
            raise CancelledError("The async call that started this request was cancelled.")


# The cancel signal of the async call the current thread works for (none for sync callers).
_CANCELLATION: contextvars.ContextVar[Cancellation | None] = contextvars.ContextVar(
    "asperion_orm_cancellation", default=None
)


def check_cancelled() -> None:
    """Raise ``CancelledError`` when the async call this thread runs for was cancelled."""
    cancellation = _CANCELLATION.get()
    if cancellation is not None:
        cancellation.check()


def watch(future: Future[Any]) -> None:
    """Cancel ``future`` if the async call this thread runs for is cancelled."""
    cancellation = _CANCELLATION.get()
    if cancellation is not None:
        cancellation.watch(future)


async def run_sync(
    executor: Executor, function: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs
) -> T:
    """Run ``function`` on ``executor`` in a copy of this task's context; cancellable.

    When the awaiting task is cancelled, the call's queued requests are cancelled and no
    further request is sent; a request already on the wire ends on its own.
    """
    import asyncio  # loaded by whoever awaits this; a sync-only program never imports it

    cancellation = Cancellation()
    context = contextvars.copy_context()
    context.run(_CANCELLATION.set, cancellation)
    call = functools.partial(context.run, function, *args, **kwargs)
    try:
        return await asyncio.get_running_loop().run_in_executor(executor, call)
    except asyncio.CancelledError:
        cancellation.cancel()
        raise
