"""Transforms: functions of a field's value that a lookup compares instead (``date__year=2026``).

A filter key is a field, then zero or more transforms, then a lookup: ``date__year__gte``,
``created__date__range``; a bare transform means ``exact``. As in Django with ``USE_TZ``, a
transform reads a datetime in the client's time zone (``RowReader.time_zone``,
``Plan.time_zone``).

``year``, ``iso_year`` and ``date`` never decrease as the field grows, so a comparison of them is
a range of the field itself: ``Transformed.source_bounds`` gives the planner that range, which
it sends as ``<field>_from``/``<field>_to`` on range-filterable fields (for ``in``, the range
from the first value to the last, which the planner then verifies). Every other transform is
evaluated over the rows the server returns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, cast

from asperion_orm.exceptions import FieldError
from asperion_orm.orm import fields
from asperion_orm.orm.expressions import Col
from asperion_orm.orm.fields import Field
from asperion_orm.orm.lookups import FROM, LOOKUP_SEP, LOOKUPS, TO, Lookup, lookups_for

if TYPE_CHECKING:
    from asperion_orm.orm.rows import RowReader

__all__ = [
    "TRANSFORMS",
    "Transform",
    "Transformed",
    "make_lookup",
    "parse_key",
    "transforms_for",
]

TRANSFORMS: dict[str, type[Transform]] = {}

DATES = (fields.Date, fields.DateTime)
CLOCKS = (fields.DateTime, fields.Time)
# The API compares datetimes to the millisecond: the last instant of a day is midnight - 1 ms.
RESOLUTION = dt.timedelta(milliseconds=1)
# Lookups that Django answers from a year's first and last day, refusing years without a date.
YEAR_BOUNDED = frozenset({"exact", "gt", "gte", "lt", "lte"})

Span = tuple[Any, Any]


class Transform:
    """One named function of a value, from the fields in ``accepts`` to an ``output`` field."""

    name: ClassVar[str]
    accepts: ClassVar[tuple[type[Field[Any]], ...]] = DATES
    output: ClassVar[type[Field[Any]]] = fields.Integer

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in vars(cls):
            TRANSFORMS[cls.name] = cls

    def __init__(self, lhs: Field[Any]) -> None:
        self.lhs = lhs
        self.field: Field[Any] = self.output()
        self.field.name = f"{lhs.name}{LOOKUP_SEP}{self.name}"

    def __call__(self, value: Any, time_zone: dt.tzinfo) -> Any:
        """Return the transform of a non-null value (a datetime is read in ``time_zone``)."""
        if isinstance(value, dt.datetime):
            value = value.astimezone(time_zone)
        return self.extract(value)

    def extract(self, value: Any) -> Any:
        """Return the transform of a date, a local datetime or a time of day."""
        raise NotImplementedError

    def span(self, value: Any, time_zone: dt.tzinfo) -> Span | None:
        """Return the first and last input values whose transform is ``value``.

        ``None`` when the transform is not monotonic or the span has no representable end.
        """
        return None

    def check(self, lookup_name: str, value: Any) -> None:
        """Refuse a lookup value the transform cannot compare (hook for subclasses)."""

    def days(self, first: dt.date, last: dt.date, time_zone: dt.tzinfo) -> Span | None:
        """Return the span of the days ``first`` to ``last`` in the input's terms."""
        if not isinstance(self.lhs, fields.DateTime):
            return first, last
        start, end = _day_span(first, time_zone), _day_span(last, time_zone)
        return None if start is None or end is None else (start[0], end[1])


def _day_span(day: dt.date, time_zone: dt.tzinfo) -> Span | None:
    """Return the first and last millisecond of a local day, in UTC (``None`` past the ends)."""
    try:
        start = dt.datetime.combine(day, dt.time(), time_zone).astimezone(dt.UTC)
        after = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), time_zone)
        return start, after.astimezone(dt.UTC) - RESOLUTION
    except OverflowError:
        return None


class Year(Transform):
    name = "year"

    def extract(self, value: Any) -> int:
        return int(value.year)

    def span(self, value: Any, time_zone: dt.tzinfo) -> Span | None:
        if not _calendar_year(value):
            return None
        return self.days(dt.date(value, 1, 1), dt.date(value, 12, 31), time_zone)

    def check(self, lookup_name: str, value: Any) -> None:
        if lookup_name in YEAR_BOUNDED and not dt.MINYEAR <= value <= dt.MAXYEAR:
            raise ValueError(
                f"'{self.field.name}__{lookup_name}' needs a year from {dt.MINYEAR} to "
                f"{dt.MAXYEAR}, not {value} (year {value} is out of range)."
            )


class IsoYear(Year):
    name = "iso_year"

    def extract(self, value: Any) -> int:
        return int(value.isocalendar().year)

    def span(self, value: Any, time_zone: dt.tzinfo) -> Span | None:
        if not _calendar_year(value):
            return None
        try:
            weeks = dt.date(value, 12, 28).isocalendar().week  # the 28th is in the last week
            first = dt.date.fromisocalendar(value, 1, 1)
            last = dt.date.fromisocalendar(value, weeks, 7)
        except ValueError:
            return None
        return self.days(first, last, time_zone)


def _calendar_year(value: Any) -> bool:
    """Tell whether ``value`` is a whole year that ``datetime.date`` holds."""
    return type(value) is int and dt.MINYEAR <= value <= dt.MAXYEAR


class Quarter(Transform):
    name = "quarter"

    def extract(self, value: Any) -> int:
        return (int(value.month) + 2) // 3


class Month(Transform):
    name = "month"

    def extract(self, value: Any) -> int:
        return int(value.month)


class Week(Transform):
    """The ISO week number (1 to 53), as Django's ``__week``."""

    name = "week"

    def extract(self, value: Any) -> int:
        return int(value.isocalendar().week)


class Day(Transform):
    name = "day"

    def extract(self, value: Any) -> int:
        return int(value.day)


class WeekDay(Transform):
    """The day of the week, 1 (Sunday) to 7 (Saturday), as Django's ``__week_day``."""

    name = "week_day"

    def extract(self, value: Any) -> int:
        return int(value.isoweekday()) % 7 + 1


class IsoWeekDay(Transform):
    """The ISO day of the week, 1 (Monday) to 7 (Sunday)."""

    name = "iso_week_day"

    def extract(self, value: Any) -> int:
        return int(value.isoweekday())


class Date(Transform):
    """The local date of a datetime."""

    name = "date"
    accepts = (fields.DateTime,)
    output = fields.Date

    def extract(self, value: Any) -> dt.date:
        day: dt.date = value.date()
        return day

    def span(self, value: Any, time_zone: dt.tzinfo) -> Span | None:
        return _day_span(value, time_zone)


class Time(Transform):
    """The local time of day of a datetime (naive, to the microsecond)."""

    name = "time"
    accepts = (fields.DateTime,)
    output = fields.Time

    def extract(self, value: Any) -> dt.time:
        moment: dt.time = value.time()
        return moment


class Hour(Transform):
    name = "hour"
    accepts = CLOCKS

    def extract(self, value: Any) -> int:
        return int(value.hour)


class Minute(Transform):
    name = "minute"
    accepts = CLOCKS

    def extract(self, value: Any) -> int:
        return int(value.minute)


class Second(Transform):
    name = "second"
    accepts = CLOCKS

    def extract(self, value: Any) -> int:
        return int(value.second)


def transforms_for(field: Field[Any]) -> frozenset[str]:
    """Return the names of the transforms ``field`` accepts."""
    return frozenset(name for name, kind in TRANSFORMS.items() if isinstance(field, kind.accepts))


# -- lookups on a transform ---------------------------------------------------------------------


class Transformed(Lookup):
    """A lookup on a transform of a field: ``date__year__gte=2025`` is ``gte`` on ``year``.

    Mixed into a lookup class by ``transformed()``; its ``field`` is the transform's output
    (named ``date__year``), ``source`` the model field the row holds. It has no server form of
    its own: the planner sends ``source_bounds()`` where the transforms allow.
    """

    server: ClassVar[tuple[str, ...]] = ()

    def __init__(self, source: Field[Any], transforms: Sequence[Transform], value: Any) -> None:
        self.source = source
        self.transforms = tuple(transforms)
        super().__init__(self.transforms[-1].field, value)
        self.transforms[-1].check(self.name, self.value)

    def __reduce__(self) -> tuple[Any, ...]:
        # The mixed class is made at run time: pickle the names it is made from.
        names = tuple(transform.name for transform in self.transforms)
        return _rebuild, (self.name, self.source, names, self.value)

    def columns(self) -> tuple[Field[Any], ...]:
        return (self.source,)

    def evaluate(self, value_of: RowReader) -> bool:
        value = value_of(self.source)
        for transform in self.transforms:
            if value is None:
                break
            value = transform(value, value_of.time_zone)
        return self.matches(value)

    def server_exact(self) -> bool:
        # The bounds answer exactly, but those of an ``in`` span the values between its own.
        return self.name != "in" or len(self.server_values()) < 2

    def params(self) -> list[tuple[str, str]]:
        return []

    def source_bounds(self, time_zone: dt.tzinfo) -> list[tuple[str, Any]]:
        """Return ``(suffix, value)`` bounds on ``source`` answering the lookup, or ``[]``.

        The values are inclusive and in the source field's terms (a datetime in UTC).
        """
        interval = self._interval()
        if interval is None or interval == (None, None):
            return []
        pairs = []
        for suffix, value, end in ((FROM, interval[0], 0), (TO, interval[1], 1)):
            if value is None:
                continue
            bound = self._source_value(value, end, time_zone)
            if bound is None:
                return []
            pairs.append((suffix, bound))
        return pairs

    def _interval(self) -> tuple[Any, Any] | None:
        """Return the closed interval of transformed values the lookup accepts (``None``: none).

        A bound is the one the output's scale gives (``year__gt=2025.5`` is ``year >= 2026``).
        """
        lookup: Any = self  # also a Bound, Range, In or Exact: transformed() mixes them in
        match self.name:
            case "gt" | "gte":
                return None if (low := lookup.bound()) is None else (low, None)
            case "lt" | "lte":
                return None if (high := lookup.bound()) is None else (None, high)
            case "range":
                return cast(tuple[Any, Any], lookup.bounds())
            case "in":
                values = lookup.server_values()
                return (min(values), max(values)) if values else None
            case "exact":
                return self.value, self.value
        return None

    def _source_value(self, value: Any, end: int, time_zone: dt.tzinfo) -> Any:
        """Return the first (``end=0``) or last (``end=1``) source value mapped to ``value``."""
        for transform in reversed(self.transforms):
            span = transform.span(value, time_zone)
            if span is None:
                return None
            value = span[end]
        return value


_MIXED: dict[type[Lookup], type[Transformed]] = {}


def transformed(lookup: type[Lookup]) -> type[Transformed]:
    """Return ``lookup`` on a transform (``Transformed`` mixed into the lookup class, once)."""
    mixed = _MIXED.get(lookup)
    if mixed is None:
        made = type(f"Transformed{lookup.__name__}", (Transformed, lookup), {})
        mixed = _MIXED[lookup] = cast(type[Transformed], made)
    return mixed


def _rebuild(lookup_name: str, source: Field[Any], names: Sequence[str], value: Any) -> Lookup:
    """Return a pickled ``Transformed`` lookup, made again from its names."""
    transforms: list[Transform] = []
    for name in names:
        transforms.append(TRANSFORMS[name](transforms[-1].field if transforms else source))
    return transformed(LOOKUPS[lookup_name])(source, transforms, value)


# -- parsing a filter key -----------------------------------------------------------------------


def make_lookup(field: Field[Any], names: Sequence[str], value: Any, label: str) -> Lookup:
    """Return the lookup for ``field__<transforms>__<lookup>=value``, checking names and value.

    ``names`` are the parts of the key after the field; none, or a final transform, means
    ``exact``. ``label`` names the model in errors.
    """
    transforms, lookup_name = parse_key(field, names, label)
    if value is None:
        lhs = transforms[-1].field if transforms else field
        lookup_name, value = _none_lookup(lhs, lookup_name), True
    if not transforms:
        return LOOKUPS[lookup_name](field, value)
    return transformed(LOOKUPS[lookup_name])(field, transforms, value)


def parse_key(field: Field[Any], names: Sequence[str], label: str) -> tuple[list[Transform], str]:
    """Return the transforms and the lookup name of ``field__<names>``, checking them."""
    *chain, lookup_name = names or ["exact"]
    transforms: list[Transform] = []
    lhs = field
    for index, name in enumerate(chain):
        transforms.append(_transform(lhs, name, LOOKUP_SEP.join(names[index:]), label))
        lhs = transforms[-1].field
    if lookup_name in transforms_for(lhs):
        transforms.append(_transform(lhs, lookup_name, lookup_name, label))
        lhs, lookup_name = transforms[-1].field, "exact"
    if lookup_name not in lookups_for(lhs) or lookup_name not in LOOKUPS:
        raise _unsupported(lhs, lookup_name, label)
    return transforms, lookup_name


def _transform(lhs: Field[Any], name: str, rest: str, label: str) -> Transform:
    kind = TRANSFORMS.get(name)
    if kind is None or not isinstance(lhs, kind.accepts):
        raise _unsupported(lhs, rest, label)
    return kind(lhs)


def _unsupported(lhs: Field[Any], name: str, label: str) -> FieldError:
    choices = ", ".join(sorted(lookups_for(lhs) | transforms_for(lhs)))
    return FieldError(
        f"Unsupported lookup {name!r} for {type(lhs).__name__} field {label}.{lhs.name}. "
        f"Choices are: {choices}."
    )


def _none_lookup(lhs: Field[Any], lookup_name: str) -> str:
    """Return ``isnull`` for ``exact=None`` (as Django), refusing ``None`` elsewhere."""
    if lookup_name not in ("exact", "iexact"):
        raise ValueError(f"Cannot use None as a query value ({lhs.name}__{lookup_name}).")
    return "isnull"


class TransformedCol(Col):
    """A field of the query's model seen through transforms (``date__year`` beside an ``F()``)."""

    def __init__(self, field: Field[Any], transforms: Sequence[Transform]) -> None:
        super().__init__(field)
        self.transforms = tuple(transforms)

    def __repr__(self) -> str:
        return f"F({self.transforms[-1].field.name})"

    def evaluate(self, value_of: RowReader) -> Any:
        value = value_of(self.field)
        for transform in self.transforms:
            if value is None:
                return None
            value = transform(value, value_of.time_zone)
        return value

    def output_field(self) -> Field[Any]:
        return self.transforms[-1].field
