"""Remembered chains: a repeated QuerySet chain takes the queries it made before.

``filter(city=...).order_by("-id")[:20]`` run again resolves no lookup and computes no shape:
each step (``Repeats._step``) is found by the number of the query before it and the step taken,
and a repeat whose page 1 is cached with its rows picked is answered from the cache as it is
(``Repeats._repeat``). Only plain lookups on values of known types are remembered
(``rememberable``); a remembered query is shared until someone asks for ``QuerySet.query``.
``Repeats`` is a base class of ``QuerySet``.
"""

# The methods are typed with their QuerySet as `self`: mypy asks a mixin self-type to be a
# supertype of the mixin, which QuerySet (its subclass) is not ("misc"); use sites still check.
# mypy: disable-error-code="misc"

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Generic

from typing_extensions import TypeVar

from asperion_orm.orm.expressions import Expression, OrderBy
from asperion_orm.orm.iterables import ModelIterable
from asperion_orm.orm.planner import Plan, plan
from asperion_orm.orm.q import Q
from asperion_orm.orm.query import Query
from asperion_orm.orm.shapes import query_shape, value_shape

if TYPE_CHECKING:
    from asperion_orm.capabilities import Capabilities
    from asperion_orm.orm.model import Model
    from asperion_orm.orm.queryset import QuerySet
    from asperion_orm.session import Session

__all__ = [
    "STR_ONLY",
    "Repeats",
    "add_ordering",
    "add_q",
    "filter_step",
    "plain_bounds",
    "rememberable",
    "root",
    "set_limits",
]

M = TypeVar("M", bound="Model")
R = TypeVar("R", default=M)
QS = TypeVar("QS", bound="QuerySet[Any, Any]")

_STEPS: dict[Hashable, tuple[int, Query]] = {}
"""Queries made by recent chains, by the number of the query before and the step taken (the
oldest forgotten first: a ``Memo`` read without a call, as every step of a chain reads it)."""
_STEPS_SIZE = 1024
_STEPS_LOCK = threading.Lock()
STR_ONLY = frozenset({str})  # the types of order_by()'s names when every one is a str
_REPEATS: dict[int | None, tuple[Capabilities, tuple[str, dt.tzinfo], Plan]] = {}
"""The plan a repeat of a remembered query used, by its number, with the settings it was for."""
_ROOTS: dict[type[Any], tuple[int, Query]] = {}
"""Each model's empty query, numbered: where its chains start."""
_NUMBERS = itertools.count(1)  # never reused, so a number never stands for two queries


def root(model: type[Any]) -> tuple[int, Query]:
    """Return the model's empty query and its number: where its chains start (shared)."""
    found = _ROOTS.get(model)
    if found is None:
        if len(_ROOTS) >= _STEPS_SIZE:
            _ROOTS.clear()
        found = _ROOTS[model] = next(_NUMBERS), Query(model)
    return found


class Repeats(Generic[M, R]):
    """``QuerySet``'s query, shared until asked for, its copies and remembered steps (pickled
    without them), and its answer to a repeat from the cache."""

    # Set by ``QuerySet.__init__``: the query, whether it is shared (with the remembered
    # steps or the QuerySet this one was copied from), and its number among the steps.
    _query: Query
    _query_shared: bool
    _key: int | None

    def __getstate__(self: QuerySet[M, R]) -> dict[str, Any]:
        """Evaluate, as Django does, and pickle the results and query but never the session."""
        self._fetch_all()
        return {**self.__dict__, "_session": None, "_key": None, "_query_shared": False}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if "query" in state:  # pickled before the query could be shared
            state = {**state, "_query": state.pop("query"), "_query_shared": False}
        self.__dict__.update(state)

    @property
    def query(self: QuerySet[M, R]) -> Query:
        """Return the query: this QuerySet's own (copied first if it was shared).

        Whoever asks may change it, so from then on it is no longer known by its number
        (``_key``): neither its plan nor the steps after it are looked up by that.
        """
        if self._query_shared:
            self._query, self._query_shared = self._query.clone(), False
        self._key = None
        return self._query

    @query.setter
    def query(self: QuerySet[M, R], query: Query) -> None:
        self._query, self._query_shared, self._key = query, False, None

    def _chain(self: QS, *, same_query: bool = False) -> QS:
        """Return a copy to change; the copy has no results yet.

        ``same_query``: the copy's query is this one's, shared (each copies it before a change,
        ``query``), and keeps its number (``_key``), unless it was handed out.
        """
        clone = object.__new__(type(self))  # copy.copy() without its generic protocol
        clone.__dict__.update(self.__dict__)
        if self._result_cache is not None:
            clone._result_cache = None
        if same_query and self._key is not None:  # a query never handed out (``query``)
            self._query_shared = clone._query_shared = True
        else:
            clone.query = self._query.clone()
        return clone

    def _filter(
        self: QS, args: tuple[Q, ...], kwargs: dict[str, Any], negated: bool, step: Hashable | None
    ) -> QS:
        """Add the conditions of ``Q(*args, **kwargs)`` (``~`` that if ``negated``), made only
        when the step is not remembered."""
        if self._query.is_sliced:
            raise TypeError("Cannot filter a query once a slice has been taken.")
        return self._step(step, add_q, args, kwargs, negated)

    def _step(self: QS, step: Hashable | None, change: Callable[..., None], *args: Any) -> QS:
        """Return a copy whose query ``change(query, *args)`` changes, remembered when ``step``
        says how.

        ``step`` (a hashable account of the call, or ``None``) and the number of this query's
        state name the result, so a repeated chain (``filter(city=...).order_by(...)[:20]``)
        takes the query it made before instead of resolving its lookups again, and keeps a
        number the plan is remembered by. The remembered query is shared until ``query`` is
        asked for (copied then).
        """
        key = None if step is None or self._key is None else (self._key, step)
        found = None if key is None else _STEPS.get(key)
        clone = object.__new__(type(self))  # copy.copy() without its generic protocol
        clone.__dict__.update(self.__dict__)
        if self._result_cache is not None:
            clone._result_cache = None
        if found is not None:
            clone._key, clone._query = found
            clone._query_shared = True
            return clone
        query = self._query.clone()
        change(query, *args)
        clone.query = query
        if key is not None and rememberable(query):
            clone._key, clone._query_shared = next(_NUMBERS), True
            with _STEPS_LOCK:
                if len(_STEPS) >= _STEPS_SIZE:
                    _STEPS.pop(next(iter(_STEPS)))
                _STEPS[key] = (clone._key, query)
        return clone

    def _repeat(self: QuerySet[M, R], session: Session) -> list[Any] | None:
        """Return the instances of a repeat the cache answers as it is, else ``None``.

        A remembered query (``_key``) of plain models whose rows page 1 settles, with those
        rows already picked from the cached page (``Session.kept_rows``): the same rows, and
        so the same instances, as ``_iterate`` would give, without its steps. Anything else
        (related rows to load, annotations, no cache, a page not cached or not picked from
        yet) takes the usual way.
        """
        if (
            self._iterable_class is not ModelIterable
            or self._select_related
            or self._prefetch
            or not self._use_cache
            or self._ttl == 0
            or self._query.annotations
        ):
            return None
        query, client = self._query, session.client  # read only: a shared query is not copied
        if query.model._meta.create_only:  # refused the usual way
            return None
        base_url, capabilities, zone = client.base_url, client.capabilities, client.time_zone
        known = _REPEATS.get(self._key)  # the plan by the number alone: no settings hashed
        if known is not None and known[0] is capabilities and known[1] == (base_url, zone):
            planned = known[2]
        else:  # no relations to resolve, no related ordering: see ``rememberable``
            planned = plan(query, base_url, capabilities, zone, key=self._key)
            if len(_REPEATS) >= _STEPS_SIZE:
                _REPEATS.clear()
            _REPEATS[self._key] = (capabilities, (base_url, zone), planned)
        if not planned.settled_by_first_page:
            return None
        if planned.local:
            planned.check_local(strict=query.server_only or session.strict)
        request = planned.first_request
        rows = session.kept_rows(request.path, request.params, planned, planned.page_size)
        if rows is None:
            _REPEATS.pop(self._key, None)  # the plan may be one forgotten since: ask again
            return None
        deferred = planned.deferred
        if deferred:
            return [self.model._adopt(raw, session, deferred) for raw in rows]
        return list(self.model._shared_rows(rows, session))


def rememberable(query: Query) -> bool:
    """Tell whether a step's query may stand for every later one of its key.

    Only where its plan would be remembered anyway (``query_shape``: plain lookups on values of
    known types), with no ordering by related rows' fields (a repeat reads no related rows,
    ``_repeat``), and no lookup's value warned when it was made (``Field.prep_warns``).
    """
    if query_shape(query) is None or query.related_ordering:
        return False
    return not any(lookup.field.prep_warns for lookup in query.where.lookups())


# The changes of the remembered steps (``QuerySet._step``): functions, not a closure per call.


def add_q(query: Query, args: tuple[Q, ...], kwargs: dict[str, Any], negated: bool) -> None:
    q = Q(*args, **kwargs)
    query.add_q(~q if negated else q)


def add_ordering(query: Query, *names: str | Expression | OrderBy) -> None:
    query.add_ordering(*names)


def set_limits(query: Query, low: int | None, high: int | None) -> None:
    query.set_limits(low, high)


def filter_step(method: str, kwargs: dict[str, Any]) -> Hashable | None:
    """Return ``filter(**kwargs)`` as a step, or ``None`` where a value has no exact key."""
    shapes = []
    for name, value in kwargs.items():
        shape = (str, value) if type(value) is str else value_shape(value)  # (as value_shape)
        if shape is None:
            return None
        shapes.append((name, shape))
    return (method, tuple(shapes))


def plain_bounds(low: Any, high: Any) -> bool:
    """Tell whether slice bounds are ``None`` or ints of at least 0 (``_check_index`` passes)."""
    return (low is None or (type(low) is int and low >= 0)) and (
        high is None or (type(high) is int and high >= 0)
    )
