"""What a QuerySet yields for each raw row: models, dicts, tuples, flat values, dates.

Each ``RowIterable`` turns the raw rows of one query into its results (Django's
``ModelIterable`` and friends); the QuerySet picks one with ``values()``, ``values_list()``,
``dates()``...
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from asperion_orm.orm.expressions import Ref
from asperion_orm.orm.truncate import local_date, trunc_date, trunc_datetime

if TYPE_CHECKING:
    from asperion_orm.orm.fields import Field
    from asperion_orm.orm.planner import Plan
    from asperion_orm.orm.queryset import QuerySet
    from asperion_orm.session import Session

__all__ = [
    "DatesIterable",
    "FlatValuesListIterable",
    "ModelIterable",
    "NamedValuesListIterable",
    "RawIterable",
    "RowIterable",
    "ValuesIterable",
    "ValuesListIterable",
    "named_row",
    "reader",
]

Raw = dict[str, Any]


class RowIterable:
    """Turn the raw rows of a query into what the QuerySet yields (Django's ``ModelIterable``)."""

    def __init__(
        self, queryset: QuerySet[Any], session: Session, rows: Iterable[Raw], plan: Plan | None
    ) -> None:
        self.queryset = queryset
        self.session = session
        self.rows = rows
        self.plan = plan

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError


class RawIterable(RowIterable):
    """Yield the raw rows themselves (for fetching related rows' fields)."""

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)


class ModelIterable(RowIterable):
    """Yield a model instance per row (fields left out by ``only()`` are deferred)."""

    def __iter__(self) -> Iterator[Any]:
        model, session = self.queryset.model, self.session
        deferred = frozenset() if self.plan is None else self.plan.deferred
        annotations = list(self.queryset.query.annotations)
        # The instances copy a row before changing it, so they may keep it uncopied.
        if not annotations:
            if not deferred:
                made: Iterator[Any] = model._shared_rows(self.rows, session)
                return made
            return (model._adopt(raw, session, deferred) for raw in self.rows)
        return (_annotated(model._adopt(raw, session, deferred), annotations) for raw in self.rows)


class ValuesIterable(RowIterable):
    """Yield a dict of Python values per row (``values()``)."""

    def __iter__(self) -> Iterator[Any]:
        keys, session = self.queryset._row_keys, self.session
        readers = [reader(field, session) for field in self.queryset._row_fields]
        pairs = list(zip(keys, readers, strict=True))
        for raw in self.rows:
            yield {key: read(raw) for key, read in pairs}


class ValuesListIterable(RowIterable):
    """Yield a tuple of Python values per row (``values_list()``)."""

    def __iter__(self) -> Iterator[Any]:
        readers = [reader(field, self.session) for field in self.queryset._row_fields]
        return (tuple([read(raw) for read in readers]) for raw in self.rows)


class FlatValuesListIterable(RowIterable):
    """Yield one Python value per row (``values_list(name, flat=True)``)."""

    def __iter__(self) -> Iterator[Any]:
        return map(reader(self.queryset._row_fields[0], self.session), self.rows)


class NamedValuesListIterable(RowIterable):
    """Yield a namedtuple ``Row`` per row (``values_list(..., named=True)``)."""

    def __iter__(self) -> Iterator[Any]:
        readers = [reader(field, self.session) for field in self.queryset._row_fields]
        row = named_row(*self.queryset._row_keys)
        return (row(*[read(raw) for read in readers]) for raw in self.rows)


class DatesIterable(RowIterable):
    """Yield the distinct truncated dates (or datetimes) of one field, sorted (``dates()``)."""

    def __iter__(self) -> Iterator[Any]:
        field, session = self.queryset._row_fields[0], self.session
        kind, descending, tz, as_datetime = self.queryset._dates
        descending = descending == self.queryset.query.standard_ordering  # reverse() flips it
        zone = tz or session.time_zone
        found: set[dt.date] = set()
        for raw in self.rows:
            value = field.load(raw.get(field.api_name), session)
            if value is None:
                continue
            if as_datetime:
                found.add(trunc_datetime(value, kind, zone))
            else:
                found.add(trunc_date(local_date(value, zone), kind))
        return iter(sorted(found, reverse=descending))


def reader(field: Field[Any], session: Session) -> Callable[[Raw], Any]:
    """Return a function reading ``field``'s Python value from a raw row.

    A value the API sends as Python has it (``Field.__get__``'s hot path) is returned as is,
    without the calls through ``load`` and ``to_python``.
    """
    name, direct, load = field.api_name, field._direct, field.load
    if direct is None:
        return lambda raw: load(raw.get(name), session)
    kind, limit = direct

    def read(raw: Raw) -> Any:
        value = raw.get(name)
        if value is None or (type(value) is kind and (limit is None or len(value) <= limit)):
            return value
        return load(value, session)

    return read


@functools.lru_cache
def named_row(*names: str) -> Any:
    """Return the ``Row`` namedtuple class of ``names``, picklable as Django's."""
    base = namedtuple("Row", names)  # type: ignore[misc]

    def __reduce__(self: tuple[Any, ...]) -> tuple[Any, ...]:
        return _unpickle_row, (names, tuple(self))

    return type("Row", (base,), {"__reduce__": __reduce__, "__slots__": ()})


def _unpickle_row(names: tuple[str, ...], values: tuple[Any, ...]) -> Any:
    return named_row(*names)(*values)


def _annotated(obj: Any, names: list[str]) -> Any:
    """Move the annotations out of the instance's raw row into attributes, as Django sets them."""
    raw = obj._owned_raw()  # the row may be shared: the instance takes a copy of its own
    for name in names:
        obj.__dict__[name] = raw.pop(Ref.prefix + name, None)
    for key in [key for key in raw if key.startswith("#")]:
        del raw[key]
    return obj
