"""Lookups: a registry of tiny classes, each with a name, a server form if any, and a predicate.

A lookup with ``server = EQUAL`` is answered by ``apiName=value`` on fields the model declares
filterable (repeated values mean OR); ``FROM``/``TO`` by ``apiName_from``/``apiName_to`` on
range-filterable fields. ``exact_on_server = False`` marks a server answer that only narrows
the rows, so the planner re-checks the predicate locally.

The value is kept as given and compared as given here; on a field with a ``Scale`` (whole
numbers, cents, days, milliseconds) the server form is made exact: a value the API cannot
hold matches nothing (``impossible()``, answered without a request), and a bound is sent as
the inclusive bound the scale gives (``gt 5`` is ``_from=6``, ``gte 499.995`` is
``_from=500.00``, ``lte 1E+30`` is the largest value the field holds).
"""

from __future__ import annotations

import copy
import datetime as dt
import decimal
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from asperion_orm.orm import fields
from asperion_orm.orm.fields import Field

if TYPE_CHECKING:
    from asperion_orm.orm.rows import RowReader

__all__ = ["ACCEPTED", "LOOKUPS", "LOOKUP_SEP", "Lookup", "lookups_for", "render"]

LOOKUP_SEP = "__"
EQUAL = "equal"
FROM = "_from"
TO = "_to"
MAX_IN_VALUES = 10_000

LOOKUPS: dict[str, type[Lookup]] = {}

EQUALITY = frozenset({"exact", "in", "isnull"})
COMPARISON = EQUALITY | {"gt", "gte", "lt", "lte", "range"}
TEXT = COMPARISON | {
    "iexact",
    "contains",
    "icontains",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
    "regex",
    "iregex",
}

# Which lookups a field accepts: the first class of its MRO found here decides.
ACCEPTED: dict[type[Field[Any]], frozenset[str]] = {
    fields.String: TEXT,
    fields.Boolean: EQUALITY,
    fields.Choice: EQUALITY,
    fields.Enum: EQUALITY,
    fields.List: frozenset({"isnull"}),
    fields.Lines: frozenset({"isnull"}),
    fields.Nested: frozenset({"isnull"}),
    fields.ForeignKey: COMPARISON - {"range"},  # Django's relations have no range
    fields.Field: COMPARISON,
}


def lookups_for(field: Field[Any]) -> frozenset[str]:
    """Return the names of the lookups ``field`` accepts."""
    kind = next(klass for klass in type(field).__mro__ if klass in ACCEPTED)
    return ACCEPTED[kind]


def render(field: Field[Any], value: Any) -> str:
    """Return the query-string text of a Python value (never via float)."""
    api = field.to_api(value)
    if isinstance(api, bool):
        return "true" if api else "false"
    if isinstance(api, decimal.Decimal):
        return format(api, "f")
    return str(api)


def _held(field: Field[Any], values: Iterable[Any]) -> list[Any]:
    """Return the values a stored value of ``field`` can equal."""
    scale = field.scale()
    return list(values) if scale is None else [value for value in values if scale.holds(value)]


class Lookup:
    """A condition ``<field>__<name>=<value>`` on one field."""

    name: ClassVar[str]
    server: ClassVar[tuple[str, ...]] = ()
    exact_on_server: ClassVar[bool] = True
    # Evaluated here whatever the field (a lookup on an annotation or against an expression).
    local_only: ClassVar[bool] = False
    # Stands for values not known yet (``explain()`` of a relation): sent as ``params()``.
    placeholder: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in vars(cls):
            LOOKUPS[cls.name] = cls

    def __init__(self, field: Field[Any], value: Any) -> None:
        self.field = field
        self.value = self.prepare(value)

    def __repr__(self) -> str:
        return f"{self.key}={self.value!r}"

    @property
    def key(self) -> str:
        """Return the keyword spelling, e.g. ``name__icontains``."""
        return f"{self.field.name}{LOOKUP_SEP}{self.name}"

    def prepare(self, value: Any) -> Any:
        """Check the value the caller gave and convert it as Django would (never rounded)."""
        return self.field.prep(value)

    def zoned(self, time_zone: dt.tzinfo) -> Lookup:
        """Return this lookup with naive datetimes taken in ``time_zone`` (the client's)."""
        value, in_zone = self.value, self.field.in_zone
        if isinstance(value, tuple):
            zoned: Any = tuple(in_zone(item, time_zone) for item in value)
            same = all(new is old for new, old in zip(zoned, value, strict=True))
        else:
            zoned = in_zone(value, time_zone)
            same = zoned is value
        if same:
            return self
        clone = copy.copy(self)
        clone.value = zoned
        return clone

    def impossible(self) -> bool:
        """Return whether no value the API can hold satisfies the condition."""
        return False

    def server_values(self) -> list[Any]:
        """Return the values an equality sends (those a stored value can equal)."""
        return [self.value]

    def server_exact(self) -> bool:
        """Return whether the server form answers exactly (no local re-check needed)."""
        return self.exact_on_server

    def evaluate(self, value_of: RowReader) -> bool | None:
        """Return whether a row satisfies the condition (``value_of`` reads a field of the row).

        The one entry point for evaluating a lookup against a row: subclasses that read more
        than their own field (a transform of it, an expression on the right) override this.
        ``None`` is SQL's unknown (a comparison with a computed NULL): ``exclude()`` does not
        keep such a row either.
        """
        return self.matches(value_of(self.field))

    def columns(self) -> tuple[Field[Any], ...]:
        """Return the fields of the model that evaluating the lookup reads."""
        return (self.field,)

    def matches(self, actual: Any) -> bool:
        """Return whether a row's Python value satisfies the condition (``None`` never does)."""
        return actual is not None and self.test(actual)

    def test(self, actual: Any) -> bool:
        """Compare a non-null row value with the lookup's value."""
        raise NotImplementedError

    def params(self) -> list[tuple[str, str]]:
        """Return the query parameters of the server form."""
        api_name = self.field.api_name
        return [(api_name + suffix, render(self.field, self.value)) for suffix in self.server]


class Exact(Lookup):
    name = "exact"
    server = (EQUAL,)

    def test(self, actual: Any) -> bool:
        return bool(actual == self.value)

    def impossible(self) -> bool:
        return not self.server_values()

    def server_values(self) -> list[Any]:
        return _held(self.field, [self.value])

    def params(self) -> list[tuple[str, str]]:
        return [(self.field.api_name, render(self.field, self.value))]


class In(Lookup):
    name = "in"
    server = (EQUAL,)

    def prepare(self, value: Any) -> tuple[Any, ...]:
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
            raise TypeError(f"'{self.field.name}__in' needs a list of values, not {value!r:.80}.")
        items = [self.field.prep(item) for item in value if item is not None]
        if len(items) > MAX_IN_VALUES:
            raise ValueError(f"'{self.field.name}__in' takes at most {MAX_IN_VALUES} values.")
        return tuple(dict.fromkeys(items))

    def test(self, actual: Any) -> bool:
        return actual in self.value

    def impossible(self) -> bool:
        return not self.placeholder and not self.server_values()

    def server_values(self) -> list[Any]:
        return list(self.value) if self.placeholder else _held(self.field, self.value)

    def params(self) -> list[tuple[str, str]]:
        return [(self.field.api_name, render(self.field, item)) for item in self.server_values()]


class IsNull(Lookup):
    name = "isnull"

    def prepare(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise ValueError(
                f"The QuerySet value for an isnull lookup must be True or False "
                f"('{self.field.name}__isnull={value!r:.80}')."
            )
        return value

    def matches(self, actual: Any) -> bool:
        return (actual is None) is self.value

    def impossible(self) -> bool:
        """A stored object always has an id: ``pk=None`` (``id__isnull=True``) matches nothing."""
        model = self.field.model
        return self.value and model is not None and self.field is model._meta.pk


class Bound(Lookup):
    """``gt``/``gte``/``lt``/``lte``: one inclusive server bound, ``edge`` of the field's scale.

    Without a scale a strict bound (``exact_on_server = False``) is sent as its value, which
    the server includes, and re-checked here.
    """

    edge: ClassVar[str]

    def bound(self) -> Any:
        """Return the inclusive bound to send; ``None`` when nothing the API holds qualifies."""
        scale = self.field.scale()
        return self.value if scale is None else getattr(scale, self.edge)(self.value)

    def impossible(self) -> bool:
        return self.bound() is None

    def server_exact(self) -> bool:
        return self.exact_on_server or self.field.scale() is not None

    def params(self) -> list[tuple[str, str]]:
        return [(self.field.api_name + self.server[0], render(self.field, self.bound()))]


class GreaterThan(Bound):
    name = "gt"
    server = (FROM,)
    edge = "above"
    exact_on_server = False

    def test(self, actual: Any) -> bool:
        return bool(actual > self.value)


class GreaterThanOrEqual(Bound):
    name = "gte"
    server = (FROM,)
    edge = "at_or_above"

    def test(self, actual: Any) -> bool:
        return bool(actual >= self.value)


class LessThan(Bound):
    name = "lt"
    server = (TO,)
    edge = "below"
    exact_on_server = False

    def test(self, actual: Any) -> bool:
        return bool(actual < self.value)


class LessThanOrEqual(Bound):
    name = "lte"
    server = (TO,)
    edge = "at_or_below"

    def test(self, actual: Any) -> bool:
        return bool(actual <= self.value)


class Range(Lookup):
    name = "range"
    server = (FROM, TO)

    def prepare(self, value: Any) -> tuple[Any, Any]:
        if not isinstance(value, list | tuple) or len(value) != 2 or None in value:
            raise TypeError(f"'{self.field.name}__range' needs (low, high), not {value!r:.80}.")
        return self.field.prep(value[0]), self.field.prep(value[1])

    def test(self, actual: Any) -> bool:
        return bool(self.value[0] <= actual <= self.value[1])

    def bounds(self) -> tuple[Any, Any]:
        """Return the inclusive bounds to send (``None`` for one nothing the API holds meets)."""
        scale, (low, high) = self.field.scale(), self.value
        if scale is None:
            return low, high
        return scale.at_or_above(low), scale.at_or_below(high)

    def impossible(self) -> bool:
        low, high = self.bounds()
        return low is None or high is None or bool(low > high)

    def params(self) -> list[tuple[str, str]]:
        api_name = self.field.api_name
        low, high = (render(self.field, item) for item in self.bounds())
        return [(api_name + FROM, low), (api_name + TO, high)]


class TextLookup(Lookup):
    """A string lookup; ``fold`` makes it case-insensitive (Unicode case folding)."""

    fold: ClassVar[bool] = False

    def prepare(self, value: Any) -> str:
        text = self.field.prep(value)
        if not isinstance(text, str):
            raise TypeError(f"'{self.key}' needs a str, not {value!r:.80}.")
        return text.casefold() if self.fold else text

    def test(self, actual: Any) -> bool:
        text = str(actual)
        return self.compare(text.casefold() if self.fold else text, self.value)

    def compare(self, text: str, value: str) -> bool:
        """Compare the row's text with the (folded) lookup value."""
        raise NotImplementedError


class IExact(TextLookup):
    name = "iexact"
    fold = True

    def compare(self, text: str, value: str) -> bool:
        return text == value


class Contains(TextLookup):
    name = "contains"

    def compare(self, text: str, value: str) -> bool:
        return value in text


class IContains(Contains):
    name = "icontains"
    fold = True


class StartsWith(TextLookup):
    name = "startswith"

    def compare(self, text: str, value: str) -> bool:
        return text.startswith(value)


class IStartsWith(StartsWith):
    name = "istartswith"
    fold = True


class EndsWith(TextLookup):
    name = "endswith"

    def compare(self, text: str, value: str) -> bool:
        return text.endswith(value)


class IEndsWith(EndsWith):
    name = "iendswith"
    fold = True


class Regex(TextLookup):
    """``re.search`` of a Python regular expression in the text, as Django on SQLite."""

    name = "regex"
    flags: ClassVar[re.RegexFlag] = re.NOFLAG

    def __init__(self, field: Field[Any], value: Any) -> None:
        super().__init__(field, value)
        try:
            self.pattern = re.compile(self.value, self.flags)
        except re.error as exc:
            raise ValueError(f"'{self.key}' needs a valid regular expression: {exc}.") from exc

    def test(self, actual: Any) -> bool:
        return self.pattern.search(str(actual)) is not None


class IRegex(Regex):
    name = "iregex"
    flags = re.IGNORECASE
