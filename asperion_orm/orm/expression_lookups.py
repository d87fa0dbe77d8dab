"""Lookups that read computed values: on an annotation, or against an expression (``F()``).

Both are evaluated here, row by row (the API cannot compare two fields or filter on what it
does not hold), in SQL's three-valued logic: a comparison with a computed NULL is unknown, so
neither ``filter()`` nor ``exclude()`` keeps the row.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from asperion_orm.exceptions import FieldError
from asperion_orm.orm.expressions import AnnotationField, Col, Expression, Ref
from asperion_orm.orm.fields import Field
from asperion_orm.orm.lookups import LOOKUP_SEP, Lookup

if TYPE_CHECKING:
    from asperion_orm.orm.rows import RowReader

__all__ = ["AnnotationLookup", "ExpressionLookup"]


class AnnotationLookup(Lookup):
    """A lookup on an annotation: evaluated here, NULL is unknown (as SQL: ``NOT`` keeps it out)."""

    local_only = True

    def __init__(self, inner: Lookup, source: Expression) -> None:
        self.inner = inner
        self.source = source
        self.field = inner.field
        self.value = inner.value
        self.name = inner.name  # type: ignore[misc]

    def __repr__(self) -> str:
        return repr(self.inner)

    @property
    def contains_aggregate(self) -> bool:
        """Return whether the annotation is an aggregate (the condition is a HAVING)."""
        return self.source.has_aggregate

    def evaluate(self, value_of: RowReader) -> bool | None:
        actual = self.source.evaluate(value_of)  # the expression, as Django binds it
        if actual is None and self.inner.name != "isnull":
            return None
        return self.inner.matches(actual)

    def columns(self) -> tuple[Field[Any], ...]:
        return tuple(self.source.columns())


class ExpressionLookup(Lookup):
    """``field__lookup=<expression>``: compared here, row by row (the API cannot compare fields)."""

    local_only = True
    COMPARE: ClassVar[dict[str, Callable[[Any, Any], bool]]] = {
        "exact": operator.eq,
        "gt": operator.gt,
        "gte": operator.ge,
        "lt": operator.lt,
        "lte": operator.le,
    }

    def __init__(self, lhs: Expression, lookup: type[Lookup], rhs: Expression) -> None:
        if lookup.name not in self.COMPARE:
            raise FieldError(
                f"The lookup {lookup.name!r} cannot take an expression; use one of "
                f"{', '.join(sorted(self.COMPARE))}."
            )
        self.lhs = lhs
        self.rhs = rhs
        self.lookup = lookup
        self.field = lhs.field if isinstance(lhs, Col | Ref) else AnnotationField("expr", None)
        self.value = rhs
        self.name = lookup.name  # type: ignore[misc]
        self.compare = self.COMPARE[lookup.name]

    def __repr__(self) -> str:
        return f"{self.key}={self.rhs!r}"

    @property
    def key(self) -> str:
        name = self.lhs.name if isinstance(self.lhs, Ref) else self.field.name
        return f"{name}{LOOKUP_SEP}{self.name}"

    @property
    def contains_aggregate(self) -> bool:
        """Return whether either side holds an aggregate (the condition is a HAVING)."""
        return self.lhs.has_aggregate or self.rhs.has_aggregate

    def evaluate(self, value_of: RowReader) -> bool | None:
        """Compare as SQL inside ``exclude()`` with Django's extra ``IS NOT NULL`` terms.

        A NULL field on either side (a plain reference) makes the condition false, so
        ``exclude()`` keeps the row; a NULL computed value is unknown, so it does not.
        """
        left = self.lhs.evaluate(value_of)
        if left is None:
            return None if isinstance(self.lhs, Ref) else False
        right = self.rhs.evaluate(value_of)
        if right is None:
            return False if isinstance(self.rhs, Col) else None
        return bool(self.compare(left, right))

    def columns(self) -> tuple[Field[Any], ...]:
        return (*self.lhs.columns(), *self.rhs.columns())
