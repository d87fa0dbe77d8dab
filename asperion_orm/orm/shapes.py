"""``query_shape``: a hashable key for everything the planner reads of a ``Query``.

Two queries with the same key get the same plan, so a plan can be remembered per key: a
repeated query (``filter(city=...)[:20]`` in a request handler) is planned once. The key is
made only where it is certainly exact: plain field lookups on values of well-known types
(``Decimal("1.0")`` and ``Decimal("1.00")`` differ, as their renderings do), string
orderings, no annotations, grouping or combined queries. Anything else has no key and is
planned every time.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import threading
import zoneinfo
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar

from asperion_orm.orm import lookups
from asperion_orm.orm.fields import Field
from asperion_orm.orm.where import Where

if TYPE_CHECKING:
    from asperion_orm.orm.query import Query

__all__ = ["Memo", "query_shape", "value_shape"]

T = TypeVar("T")

# Values whose type and repr say all a plan takes from them.
PLAIN_VALUES = (str, int, decimal.Decimal, dt.date, dt.time, enum.Enum, type(None))


def query_shape(query: Query, *context: Hashable) -> tuple[Any, ...] | None:
    """Return a key equal for queries the planner treats alike (with ``context``), else ``None``."""
    if query.annotations or query.combinator or query.group_by:
        return None
    if not all(isinstance(name, str) for name in query.order_by):
        return None
    where = _where_shape(query.where)
    if where is None:
        return None
    rest = tuple(
        (name, value)
        for name, value in sorted(vars(query).items())
        if name not in ("where", "annotations", "combined")
    )
    key = (where, rest, context)
    try:
        hash(key)
    except TypeError:
        return None
    return key


def _where_shape(where: Where) -> tuple[Any, ...] | None:
    parts: list[Any] = []
    for child in where.children:
        part = _where_shape(child) if isinstance(child, Where) else _lookup_shape(child)
        if part is None:
            return None
        parts.append(part)
    return (where.connector, where.negated, tuple(parts))


def _lookup_shape(lookup: lookups.Lookup) -> tuple[Any, ...] | None:
    """Return a plain lookup's class, field and value; ``None`` for any other condition."""
    if type(lookup).__module__ != lookups.__name__:
        return None
    if not isinstance(lookup.field, Field) or lookup.field.model is None:
        return None
    value = _value_shape(lookup.value)
    return None if value is None else (type(lookup), lookup.field, value)


def _value_shape(value: Any) -> tuple[Any, ...] | None:
    if isinstance(value, tuple | list | frozenset):
        items = [_value_shape(item) for item in value]
        if any(item is None for item in items):
            return None
        return (type(value), tuple(items))
    if not isinstance(value, PLAIN_VALUES):
        return None
    return (type(value), repr(value))


_ZONES = (type(None), dt.timezone, zoneinfo.ZoneInfo)


def value_shape(value: Any) -> Hashable | None:
    """Return a key equal only for values a lookup treats alike, else ``None`` (a filter step).

    Stricter than a plan's key, as the lookup built for the first value stands for every later
    one of the same key: a time zone counts only where its repr names it (not a custom
    ``tzinfo``, whose repr may be its address), and no set (its order is not its value's).
    """
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return (kind, value)
    if kind is tuple or kind is list:
        items = [value_shape(item) for item in value]
        if any(item is None for item in items):
            return None
        return (kind, tuple(items))
    if isinstance(value, dt.datetime | dt.time) and type(value.tzinfo) not in _ZONES:
        return None
    if not isinstance(value, PLAIN_VALUES) or isinstance(value, frozenset):
        return None
    return (kind, repr(value))


class Memo:
    """Remember up to ``size`` results by key, forgetting the oldest first; thread-safe."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._found: dict[Hashable, Any] = {}
        self._lock = threading.Lock()
        self.find: Callable[[Hashable], Any] = self._found.get
        """Return the result remembered for a key, or ``None`` (``dict.get``: no call of ours)."""

    def put(self, key: Hashable, found: Any) -> None:
        """Remember ``found`` for ``key``, forgetting the oldest result if full."""
        with self._lock:
            if len(self._found) >= self.size:
                self._found.pop(next(iter(self._found)))
            self._found[key] = found

    def get(self, key: Hashable | None, make: Callable[[], T]) -> T:
        """Return the result remembered for ``key``, else ``make()`` (remembered unless no key)."""
        if key is None:
            return make()
        found: T | None = self._found.get(key)
        if found is None:
            found = make()
            with self._lock:
                if len(self._found) >= self.size:
                    self._found.pop(next(iter(self._found)))
                self._found[key] = found
        return found
