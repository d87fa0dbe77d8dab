"""Aggregates: ``Sum``, ``Count``, ``Avg``, ``Min``, ``Max``, each with a streaming accumulator.

The API cannot aggregate, so every aggregate is computed here over the rows as they stream
past: an accumulator holds a running total (and the values seen, with ``distinct=True``),
never the rows. The results are Django's: ``Sum`` of decimals is an exact ``Decimal``, ``Avg``
of decimals a ``Decimal`` of 15 significant digits (what Django returns for a ``DecimalField``
on SQLite), ``Avg`` of integers a ``float``; an empty set gives ``None`` (or ``default``) and
``Count`` gives ``0``.
"""

from __future__ import annotations

import decimal
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

from asperion_orm.exceptions import FieldError
from asperion_orm.orm import fields
from asperion_orm.orm.expressions import Expression, F, Float, Scope, Value, number_kind
from asperion_orm.orm.fields import Field
from asperion_orm.orm.q import Q

if TYPE_CHECKING:
    from asperion_orm.orm.fields import ForeignKey
    from asperion_orm.orm.query import Query
    from asperion_orm.orm.rows import RowReader
    from asperion_orm.orm.where import Where

__all__ = ["Accumulator", "Aggregate", "Avg", "Count", "Max", "Min", "Star", "Sum"]

# Django's DecimalField average on SQLite: a float, read back with 15 significant digits.
AVG_CONTEXT = decimal.Context(prec=15)


class Star(Expression):
    """``*`` in ``Count("*")``: every row counts."""

    def __repr__(self) -> str:
        return "*"

    def evaluate(self, value_of: RowReader) -> Any:
        return True


class Aggregate(Expression):
    """A value computed over many rows: a group, a query, or the related rows of one object."""

    name: ClassVar[str]
    allow_distinct: ClassVar[bool] = False
    empty_result: ClassVar[Any] = None
    numeric: ClassVar[bool] = False
    contains_aggregate = True

    def __init__(
        self,
        expression: str | Expression,
        *,
        distinct: bool = False,
        filter: Q | None = None,  # noqa: A002 - Django's name for it
        default: Any = None,
    ) -> None:
        if distinct and not self.allow_distinct:
            raise TypeError(f"{type(self).__name__} does not allow distinct.")
        if default is not None and self.empty_result is not None:
            raise TypeError(f"{type(self).__name__} does not allow default.")
        if filter is not None and not isinstance(filter, Q):
            raise TypeError(f"{type(self).__name__}(filter=...) takes a Q object.")
        self.source = _source(expression)
        self.distinct = distinct
        self.filter = filter
        self.default = default.value if isinstance(default, Value) else default
        # Set when resolved against a query.
        self.condition: Where | None = None
        self.relation: ForeignKey | None = None
        self.related_query: Query | None = None
        self.slot = ""

    def __repr__(self) -> str:
        extra = ", distinct=True" if self.distinct else ""
        if self.condition is not None:
            extra += f", filter={self.condition.shape()}"
        elif self.filter is not None:
            extra += f", filter={self.filter!r}"
        return f"{type(self).__name__}({self.source!r}{extra})"

    @property
    def default_alias(self) -> str:
        """Return the key of a positional aggregate: ``Sum("x")`` is ``x__sum``."""
        if isinstance(self.source, F):
            return f"{self.source.name}__{self.name.lower()}"
        raise TypeError("Complex aggregates require an alias.")

    def children(self) -> tuple[Expression, ...]:
        return (self.source,)

    def resolve(self, scope: Scope, *, allow_joins: bool = True) -> Expression:
        return scope.resolve_aggregate(self)

    def resolved(
        self,
        source: Expression,
        condition: Where | None,
        relation: tuple[ForeignKey, Query] | None = None,
    ) -> Aggregate:
        """Return a resolved copy reading ``source``; ``relation`` names the related rows."""
        if source.has_aggregate:
            raise FieldError(f"Cannot compute {self!r}: {source!r} is an aggregate.")
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy.source, copy.condition = source, condition
        copy.relation, copy.related_query = relation or (None, None)
        copy.slot = f"#{id(copy)}"
        copy.output_field()  # refuse a type the aggregate cannot take, before any request
        return copy

    def evaluate(self, value_of: RowReader) -> Any:
        """Return the result the grouping step stored in the row."""
        return value_of.raw.get(self.slot)

    def columns(self) -> Iterator[Field[Any]]:
        if self.relation is not None:
            return
        yield from self.source.columns()
        if self.condition is not None:
            for lookup in self.condition.lookups():
                yield from lookup.columns()

    def related_columns(self) -> Iterator[Field[Any]]:
        """Yield the fields of the related model this aggregate reads (with its ``filter``)."""
        yield from self.source.columns()
        if self.condition is not None:
            for lookup in self.condition.lookups():
                yield from lookup.columns()

    def output_field(self) -> Field[Any] | None:
        output = self.source.output_field()
        if self.numeric and output is not None and number_kind(output) is None:
            raise FieldError(
                f"{self.name} needs a number, and {self.source!r} is "
                f"{type(output).__name__}: use Min, Max or Count."
            )
        return output

    def accumulator(self) -> Accumulator:
        """Return a fresh accumulator for one group."""
        return Accumulator(self)

    def start(self) -> Any:
        """Return the state before any value."""
        return None

    def step(self, state: Any, value: Any) -> Any:
        """Return the state after one more non-null value."""
        raise NotImplementedError

    def finish(self, state: Any) -> Any:
        """Return the result from the final state."""
        return state


def _source(expression: str | Expression) -> Expression:
    if expression == "*":
        return Star()
    if isinstance(expression, str):
        return F(expression)
    if isinstance(expression, Expression):
        return expression
    raise TypeError(f"An aggregate takes a field name or an expression, not {expression!r:.40}.")


class Accumulator:
    """The running state of one aggregate over one group of rows."""

    __slots__ = ("aggregate", "seen", "state")

    def __init__(self, aggregate: Aggregate) -> None:
        self.aggregate = aggregate
        self.seen: set[Any] | None = set() if aggregate.distinct else None
        self.state = aggregate.start()

    def add(self, value_of: RowReader, times: int = 1) -> None:
        """Take one row into account, ``times`` over (``filter=`` and NULLs leave it out).

        A row counts several times where a join repeats it; ``distinct=True`` counts once.
        """
        aggregate = self.aggregate
        if aggregate.condition is not None and not aggregate.condition.matches(value_of):
            return
        value = aggregate.source.evaluate(value_of)
        if value is None:
            return
        if self.seen is not None:
            if value in self.seen:
                return
            self.seen.add(value)
            times = 1
        state = aggregate.step(self.state, value)
        for _ in range(times - 1):
            state = aggregate.step(state, value)
        self.state = state

    def result(self) -> Any:
        """Return the aggregate's value (``default`` when there was nothing to aggregate)."""
        value = self.aggregate.finish(self.state)
        return self.aggregate.default if value is None else value


class Sum(Aggregate):
    """The total of the non-null values (exact for ``Decimal``)."""

    name = "Sum"
    allow_distinct = True
    numeric = True

    def output_field(self) -> Field[Any] | None:
        output = super().output_field()
        return fields.Integer() if number_kind(output) == "int" else output

    def step(self, state: Any, value: Any) -> Any:
        return value if state is None else state + value


class Count(Aggregate):
    """The number of non-null values (``Count("*")``: of rows); ``0`` for none."""

    name = "Count"
    allow_distinct = True
    empty_result = 0

    def __init__(
        self,
        expression: str | Expression = "*",
        *,
        distinct: bool = False,
        filter: Q | None = None,  # noqa: A002 - Django's name for it
        default: Any = None,
    ) -> None:
        if expression == "*" and distinct:
            raise ValueError("Star cannot be used with distinct.")
        super().__init__(expression, distinct=distinct, filter=filter, default=default)

    def output_field(self) -> Field[Any]:
        return fields.Integer()

    def start(self) -> Any:
        return 0

    def step(self, state: Any, value: Any) -> Any:
        return state + 1


class Avg(Aggregate):
    """The mean: a ``Decimal`` (15 significant digits) for decimals, else a ``float``."""

    name = "Avg"
    allow_distinct = True
    numeric = True

    def output_field(self) -> Field[Any] | None:
        output = super().output_field()
        return fields.Decimal(places=None) if isinstance(output, fields.Decimal) else Float()

    def step(self, state: Any, value: Any) -> Any:
        return (value, 1) if state is None else (state[0] + value, state[1] + 1)

    def finish(self, state: Any) -> Any:
        if state is None:
            return None
        total, count = state
        if isinstance(total, decimal.Decimal):
            return AVG_CONTEXT.divide(total, count)
        return total / count


class Max(Aggregate):
    """The largest non-null value."""

    name = "Max"

    def step(self, state: Any, value: Any) -> Any:
        return value if state is None or value > state else state


class Min(Aggregate):
    """The smallest non-null value."""

    name = "Min"

    def step(self, state: Any, value: Any) -> Any:
        return value if state is None or value < state else state
