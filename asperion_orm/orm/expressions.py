"""Expressions: ``F``, ``Value``, arithmetic on them and ordering by them, evaluated per row.

An expression is built by the caller unresolved (``F("amount_incl_vat") * 2``); adding it to a
query resolves every name against the model and its annotations (``Col``, ``Ref``), checking
names and types before any request. A resolved expression computes its value from one row
through a ``RowReader``. Arithmetic follows Django: ``NULL`` propagates, ``Decimal`` stays
``Decimal`` (exact), an integer mixed with a ``Decimal`` gives a ``Decimal``, integer division
truncates towards zero, and a division by zero gives ``None`` (as SQLite answers it).
"""

from __future__ import annotations

import decimal
import operator
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from asperion_orm.exceptions import FieldError
from asperion_orm.orm import fields
from asperion_orm.orm.fields import Field

if TYPE_CHECKING:
    from asperion_orm.orm.rows import RowReader

__all__ = [
    "AnnotationField",
    "Col",
    "Column",
    "CombinedExpression",
    "Expression",
    "ExpressionWrapper",
    "F",
    "OrderBy",
    "Ref",
    "Scope",
    "Value",
]

ANNOTATION_PREFIX = "@"


class Scope(Protocol):
    """What resolves the names in an expression: a query's model and annotations."""

    def resolve_name(self, name: str, *, allow_joins: bool = True) -> Expression:
        """Return the resolved expression ``name`` stands for (a ``Col`` or a ``Ref``)."""

    def resolve_aggregate(self, aggregate: Any) -> Expression:
        """Return ``aggregate`` resolved against the query (its source and filter)."""


class Float(Field[float]):
    """The output type of float arithmetic (Django's ``FloatField``)."""

    python_types = (float, int)

    def coerce(self, value: Any) -> float:
        return float(value)


class Expression:
    """A value computed from a row; combine with ``+ - * / %`` and unary ``-``."""

    contains_aggregate: ClassVar[bool] = False

    # -- building ------------------------------------------------------------------------------

    def _combine(self, other: Any, connector: str, reverse: bool) -> CombinedExpression:
        other = other if isinstance(other, Expression) else Value(other)
        if reverse:
            return CombinedExpression(other, connector, self)
        return CombinedExpression(self, connector, other)

    def __add__(self, other: Any) -> CombinedExpression:
        return self._combine(other, "+", False)

    def __radd__(self, other: Any) -> CombinedExpression:
        return self._combine(other, "+", True)

    def __sub__(self, other: Any) -> CombinedExpression:
        return self._combine(other, "-", False)

    def __rsub__(self, other: Any) -> CombinedExpression:
        return self._combine(other, "-", True)

    def __mul__(self, other: Any) -> CombinedExpression:
        return self._combine(other, "*", False)

    def __rmul__(self, other: Any) -> CombinedExpression:
        return self._combine(other, "*", True)

    def __truediv__(self, other: Any) -> CombinedExpression:
        return self._combine(other, "/", False)

    def __rtruediv__(self, other: Any) -> CombinedExpression:
        return self._combine(other, "/", True)

    def __mod__(self, other: Any) -> CombinedExpression:
        return self._combine(other, "%", False)

    def __rmod__(self, other: Any) -> CombinedExpression:
        return self._combine(other, "%", True)

    def __neg__(self) -> CombinedExpression:
        return self._combine(-1, "*", False)  # as Django: -F("x") is F("x") * -1

    def __and__(self, other: Any) -> Any:
        raise NotImplementedError("Use Q() for & and | between conditions.")

    __or__ = __rand__ = __ror__ = __and__

    def asc(self, *, nulls_first: bool | None = None, nulls_last: bool | None = None) -> OrderBy:
        """Return an ascending ordering by this expression."""
        return OrderBy(self, descending=False, nulls_first=nulls_first, nulls_last=nulls_last)

    def desc(self, *, nulls_first: bool | None = None, nulls_last: bool | None = None) -> OrderBy:
        """Return a descending ordering by this expression."""
        return OrderBy(self, descending=True, nulls_first=nulls_first, nulls_last=nulls_last)

    # -- resolving and evaluating --------------------------------------------------------------

    def resolve(self, scope: Scope, *, allow_joins: bool = True) -> Expression:
        """Return a copy with every name resolved against ``scope``."""
        return self

    def evaluate(self, value_of: RowReader) -> Any:
        """Return the value for one row (``None`` for SQL's NULL)."""
        raise NotImplementedError

    def output_field(self) -> Field[Any] | None:
        """Return the field describing the value's type (``None`` when unknown: NULL)."""
        return None

    def columns(self) -> Iterator[Field[Any]]:
        """Yield the fields of the query's model that evaluating this expression reads."""
        return iter(())

    def children(self) -> tuple[Expression, ...]:
        """Return the sub-expressions."""
        return ()

    def walk(self) -> Iterator[Expression]:
        """Yield this expression and every sub-expression, depth first."""
        yield self
        for child in self.children():
            yield from child.walk()

    @property
    def has_aggregate(self) -> bool:
        """Return whether an aggregate is part of this expression (``Sum(...) + 1``)."""
        return any(node.contains_aggregate for node in self.walk())


class F(Expression):
    """A reference to a field (or an annotation) of the row, as in Django: ``F("amount")``."""

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"F() needs a field name, not {name!r:.40}.")
        self.name = name

    def __repr__(self) -> str:
        return f"F({self.name})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, F) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("F", self.name))

    def resolve(self, scope: Scope, *, allow_joins: bool = True) -> Expression:
        return scope.resolve_name(self.name, allow_joins=allow_joins)

    def evaluate(self, value_of: RowReader) -> Any:
        raise FieldError(f"F({self.name!r}) is not resolved: use it in a QuerySet method.")


class Col(Expression):
    """A field of the query's model, resolved."""

    def __init__(self, field: Field[Any]) -> None:
        self.field = field

    def __repr__(self) -> str:
        return f"F({self.field.name})"

    def evaluate(self, value_of: RowReader) -> Any:
        return value_of(self.field)

    def output_field(self) -> Field[Any]:
        field = self.field
        return field.key_field() if isinstance(field, fields.ForeignKey) else field

    def columns(self) -> Iterator[Field[Any]]:
        yield self.field


class Ref(Expression):
    """A reference to an annotation of the query, resolved.

    It stands for the annotation's expression as it was when referenced (as in Django, where a
    later ``annotate()`` of the same name does not change an earlier filter). Computed values
    are stored in rows under ``@name`` (``prefix``) for ``values()`` and model attributes.
    """

    prefix: ClassVar[str] = ANNOTATION_PREFIX

    def __init__(self, name: str, source: Expression) -> None:
        self.name = name
        self.source = source
        self.field = AnnotationField(name, source.output_field())

    def __repr__(self) -> str:
        return f"F({self.name})"

    def evaluate(self, value_of: RowReader) -> Any:
        return self.source.evaluate(value_of)

    def output_field(self) -> Field[Any] | None:
        return self.source.output_field()

    def columns(self) -> Iterator[Field[Any]]:
        return self.source.columns()

    def children(self) -> tuple[Expression, ...]:
        return (self.source,)  # so an expression of an aggregate annotation is one too


class Column(Expression):
    """A value the rows already hold (an annotation read by an outer ``aggregate()``)."""

    def __init__(self, name: str, source: Expression) -> None:
        self.name = name
        self.source = source

    def __repr__(self) -> str:
        return repr(self.source)

    def evaluate(self, value_of: RowReader) -> Any:
        return value_of.raw.get(ANNOTATION_PREFIX + self.name)

    def output_field(self) -> Field[Any] | None:
        return self.source.output_field()


class Value(Expression):
    """A constant, as in Django: ``Value(Decimal("1.5"))``."""

    def __init__(self, value: Any, output_field: Field[Any] | None = None) -> None:
        if isinstance(value, Expression):
            raise TypeError("Value() takes a plain value, not an expression.")
        self.value = value
        self._output = output_field

    def __repr__(self) -> str:
        return f"Value({self.value!r})"

    def evaluate(self, value_of: RowReader) -> Any:
        return self.value

    def output_field(self) -> Field[Any] | None:
        if self._output is not None or self.value is None:
            return self._output
        kinds: list[tuple[type, Callable[[], Field[Any]]]] = [
            (bool, fields.Boolean),
            (int, fields.Integer),
            (decimal.Decimal, lambda: fields.Decimal(places=None)),
            (float, Float),
            (str, fields.String),
        ]
        return next((make() for kind, make in kinds if isinstance(self.value, kind)), Field())


def _truncating_div(left: Any, right: Any) -> Any:
    """Divide as SQL does: integers truncate towards zero; dividing by zero gives NULL."""
    if not right:
        return None
    if isinstance(left, int) and isinstance(right, int):
        quotient = abs(left) // abs(right)
        return quotient if (left < 0) == (right < 0) else -quotient
    return left / right


def _sql_mod(left: Any, right: Any) -> Any:
    """Take the remainder as SQL does: with the sign of the dividend; by zero gives NULL."""
    if not right:
        return None
    if isinstance(left, int) and isinstance(right, int):
        return left - right * _truncating_div(left, right)
    return left % right  # Decimal's % already keeps the dividend's sign; float's does not
    # (float % is only reached through ExpressionWrapper; Django's SQLite answers it the same)


OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": _truncating_div,
    "%": _sql_mod,
}

NUMBERS: dict[type[Field[Any]], str] = {
    fields.Integer: "int",
    fields.Decimal: "decimal",
    Float: "float",
}


def number_kind(field: Field[Any] | None) -> str | None:
    """Return ``"int"``, ``"decimal"`` or ``"float"`` for a numeric field, ``"null"`` for NULL.

    A choice of integers (an invoice's status) counts as an integer, as Django's
    ``IntegerField`` with choices.
    """
    if field is None:
        return "null"
    if isinstance(field, fields.Choice) and field.choices:
        numbers = all(isinstance(c, int) and not isinstance(c, bool) for c in field.choices)
        return "int" if numbers else None
    return next((kind for klass, kind in NUMBERS.items() if isinstance(field, klass)), None)


class CombinedExpression(Expression):
    """``lhs <connector> rhs``: arithmetic between two expressions."""

    def __init__(
        self, lhs: Expression, connector: str, rhs: Expression, output: Field[Any] | None = None
    ) -> None:
        self.lhs = lhs
        self.connector = connector
        self.rhs = rhs
        self._output = output

    def __repr__(self) -> str:
        return f"{self.lhs!r} {self.connector} {self.rhs!r}"

    def children(self) -> tuple[Expression, ...]:
        return (self.lhs, self.rhs)

    def resolve(self, scope: Scope, *, allow_joins: bool = True) -> CombinedExpression:
        lhs = self.lhs.resolve(scope, allow_joins=allow_joins)
        rhs = self.rhs.resolve(scope, allow_joins=allow_joins)
        resolved = CombinedExpression(lhs, self.connector, rhs, self._output)
        resolved._output = resolved.output_field()  # refuses types Django cannot combine
        return resolved

    def evaluate(self, value_of: RowReader) -> Any:
        left = self.lhs.evaluate(value_of)
        if left is None:
            return None
        right = self.rhs.evaluate(value_of)
        if right is None:
            return None
        if isinstance(left, float) != isinstance(right, float):  # mixed by ExpressionWrapper
            left, right = _convert(self._output, left), _convert(self._output, right)
        return OPERATORS[self.connector](left, right)

    def output_field(self) -> Field[Any] | None:
        if self._output is not None:
            return self._output
        left, right = self.lhs.output_field(), self.rhs.output_field()
        kinds = {number_kind(left), number_kind(right)} - {"null"}
        if None in kinds or kinds == {"decimal", "float"}:
            names = ", ".join(type(f).__name__ for f in (left, right) if f is not None)
            raise FieldError(
                f"Cannot infer type of {self.connector!r} expression involving these types: "
                f"{names}. Wrap it in ExpressionWrapper(..., output_field=...)."
            )
        for kind, make in (("decimal", _decimal), ("float", Float), ("int", fields.Integer)):
            if kind in kinds:
                return make()
        return left or right

    def columns(self) -> Iterator[Field[Any]]:
        yield from self.lhs.columns()
        yield from self.rhs.columns()


def _decimal() -> Field[Any]:
    return fields.Decimal(places=None)


class ExpressionWrapper(Expression):
    """An expression with its output type given, for mixes Django cannot infer."""

    def __init__(self, expression: Expression, output_field: Field[Any]) -> None:
        if not isinstance(expression, Expression):
            raise TypeError("ExpressionWrapper() wraps an expression such as F('x') * 2.")
        self.expression = expression
        self._output = output_field

    def __repr__(self) -> str:
        return repr(self.expression)

    def children(self) -> tuple[Expression, ...]:
        return (self.expression,)

    def resolve(self, scope: Scope, *, allow_joins: bool = True) -> Expression:
        inner = self.expression
        if isinstance(inner, CombinedExpression):
            lhs = inner.lhs.resolve(scope, allow_joins=allow_joins)
            rhs = inner.rhs.resolve(scope, allow_joins=allow_joins)
            inner = CombinedExpression(lhs, inner.connector, rhs, self._output)
        else:
            inner = inner.resolve(scope, allow_joins=allow_joins)
        return ExpressionWrapper(inner, self._output)

    def evaluate(self, value_of: RowReader) -> Any:
        value = self.expression.evaluate(value_of)
        if value is None or not isinstance(self._output, fields.Decimal | fields.Integer | Float):
            return value
        return _convert(self._output, value)

    def output_field(self) -> Field[Any]:
        return self._output

    def columns(self) -> Iterator[Field[Any]]:
        return self.expression.columns()


def _convert(output: Field[Any] | None, value: Any) -> Any:
    """Return a number as the output type asks (a float goes to Decimal through its text)."""
    if isinstance(output, fields.Integer):
        return int(value)
    if isinstance(output, Float):
        return float(value)
    if isinstance(output, fields.Decimal) and isinstance(value, float):
        return decimal.Decimal(str(value))
    return value


class OrderBy:
    """An ordering by an expression: ``F("x").desc(nulls_last=True)``."""

    def __init__(
        self,
        expression: Expression,
        *,
        descending: bool = False,
        nulls_first: bool | None = None,
        nulls_last: bool | None = None,
    ) -> None:
        if nulls_first and nulls_last:
            raise ValueError("nulls_first and nulls_last are mutually exclusive")
        if nulls_first is False or nulls_last is False:
            raise ValueError("nulls_first and nulls_last values must be True or None.")
        self.expression = expression
        self.descending = descending
        self.nulls_first = nulls_first
        self.nulls_last = nulls_last

    def __repr__(self) -> str:
        nulls = " nulls first" if self.nulls_first else " nulls last" if self.nulls_last else ""
        return f"{'-' if self.descending else ''}{self.expression!r}{nulls}"

    def resolve(self, scope: Scope) -> OrderBy:
        """Return a copy with the expression's names resolved."""
        return self._copy(self.expression.resolve(scope), self.descending)

    def rebind(self, expression: Expression) -> OrderBy:
        """Return the same ordering by another expression."""
        return self._copy(expression, self.descending)

    def reversed(self) -> OrderBy:
        """Return the opposite ordering (NULLs move to the other end, as in Django)."""
        first = True if self.nulls_last else None
        last = True if self.nulls_first else None
        return OrderBy(
            self.expression, descending=not self.descending, nulls_first=first, nulls_last=last
        )

    def _copy(self, expression: Expression, descending: bool) -> OrderBy:
        return OrderBy(
            expression,
            descending=descending,
            nulls_first=self.nulls_first,
            nulls_last=self.nulls_last,
        )

    def nulls_high(self) -> bool:
        """Return whether NULL sorts after every value in ascending terms.

        Without ``nulls_first``/``nulls_last`` NULL is the smallest value, as in SQLite:
        first ascending, last descending.
        """
        if self.nulls_first is None and self.nulls_last is None:
            return False
        return bool(self.nulls_last) != self.descending


class AnnotationField(Field[Any]):
    """The value of an annotation, stored in a row under ``@name`` once computed."""

    def __init__(self, name: str, output: Field[Any] | None) -> None:
        super().__init__(api_name=ANNOTATION_PREFIX + name)
        self.name = self.attname = name
        self.output = output  # checks lookup values (never changed: it may be a model's field)

    def __repr__(self) -> str:
        return f"<AnnotationField {self.name}>"

    def to_python(self, raw: Any) -> Any:
        return raw

    def prep(self, value: Any) -> Any:
        """Check a lookup value as the annotation's type takes it, compared as given."""
        return value if self.output is None else self.output.prep(value)
