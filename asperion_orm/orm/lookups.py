"""Lookups: a registry of tiny classes, each with a name, a server form if any, and a predicate.

A lookup with ``server = EQUAL`` is answered by ``apiName=value`` on fields the model declares
filterable (repeated values mean OR); ``FROM``/``TO`` by ``apiName_from``/``apiName_to`` on
range-filterable fields. ``exact_on_server = False`` marks a server answer that only narrows
the rows, so the planner re-checks the predicate locally; a strict ``gt``/``lt`` on a discrete
field (integers, dates) is exact after all, sent as the inclusive bound next to its value.
"""

from __future__ import annotations

import decimal
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
        """Check and normalise the value the caller gave."""
        return self.field.normalize(value)

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

    def params(self) -> list[tuple[str, str]]:
        return [(self.field.api_name, render(self.field, self.value))]


class In(Lookup):
    name = "in"
    server = (EQUAL,)

    def prepare(self, value: Any) -> tuple[Any, ...]:
        if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
            raise TypeError(f"'{self.field.name}__in' needs a list of values, not {value!r:.80}.")
        items = [self.field.normalize(item) for item in value if item is not None]
        if len(items) > MAX_IN_VALUES:
            raise ValueError(f"'{self.field.name}__in' takes at most {MAX_IN_VALUES} values.")
        return tuple(dict.fromkeys(items))

    def test(self, actual: Any) -> bool:
        return actual in self.value

    def params(self) -> list[tuple[str, str]]:
        return [(self.field.api_name, render(self.field, item)) for item in self.value]


class IsNull(Lookup):
    name = "isnull"

    def prepare(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise TypeError(f"'{self.field.name}__isnull' needs True or False, not {value!r:.80}.")
        return value

    def matches(self, actual: Any) -> bool:
        return (actual is None) is self.value


class StrictBound(Lookup):
    """``gt``/``lt``: the server bounds are inclusive, so a discrete field sends the next value."""

    exact_on_server = False
    by: ClassVar[int]

    def server_exact(self) -> bool:
        return self.field.step(self.value, self.by) is not None

    def params(self) -> list[tuple[str, str]]:
        bound = self.field.step(self.value, self.by)
        value = self.value if bound is None else bound
        return [(self.field.api_name + self.server[0], render(self.field, value))]


class GreaterThan(StrictBound):
    name = "gt"
    server = (FROM,)
    by = 1

    def test(self, actual: Any) -> bool:
        return bool(actual > self.value)


class GreaterThanOrEqual(Lookup):
    name = "gte"
    server = (FROM,)

    def test(self, actual: Any) -> bool:
        return bool(actual >= self.value)


class LessThan(StrictBound):
    name = "lt"
    server = (TO,)
    by = -1

    def test(self, actual: Any) -> bool:
        return bool(actual < self.value)


class LessThanOrEqual(Lookup):
    name = "lte"
    server = (TO,)

    def test(self, actual: Any) -> bool:
        return bool(actual <= self.value)


class Range(Lookup):
    name = "range"
    server = (FROM, TO)

    def prepare(self, value: Any) -> tuple[Any, Any]:
        if not isinstance(value, list | tuple) or len(value) != 2 or None in value:
            raise TypeError(f"'{self.field.name}__range' needs (low, high), not {value!r:.80}.")
        return self.field.normalize(value[0]), self.field.normalize(value[1])

    def test(self, actual: Any) -> bool:
        return bool(self.value[0] <= actual <= self.value[1])

    def params(self) -> list[tuple[str, str]]:
        api_name = self.field.api_name
        low, high = (render(self.field, item) for item in self.value)
        return [(api_name + FROM, low), (api_name + TO, high)]


class TextLookup(Lookup):
    """A string lookup; ``fold`` makes it case-insensitive (Unicode case folding)."""

    fold: ClassVar[bool] = False

    def prepare(self, value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError(f"'{self.key}' needs a str, not {value!r:.80}.")
        return value.casefold() if self.fold else value

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
