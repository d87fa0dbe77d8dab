"""Django's SQLite backend with exact text matching (the reference's database).

SQLite's ``LIKE`` ignores the case of ASCII letters only and its ``UPPER``/``LOWER`` change
ASCII letters only, so Django's ``contains``/``startswith``/``iexact``... over SQLite do not
mean what they mean on PostgreSQL. Here ``like()`` is replaced by a case-sensitive
implementation of the same pattern language, ``UPPER``/``LOWER`` by Python's, and the
case-insensitive lookups compare ``REF_FOLD`` (``str.casefold``) of both sides, which is how the
library compares them.

SQLite also keeps decimals as floating point, so ``F("price") - F("purchase_price")`` would be
``0.00999999999999091``. Arithmetic (``+ - * / %``) goes through ``REF_ARITH``: integers as
SQLite computes them, anything else in ``Decimal`` from each float's shortest repr (the cents
the row holds), as PostgreSQL's ``numeric`` would.
"""

from __future__ import annotations

import operator
import re
from decimal import Decimal, DivisionByZero, InvalidOperation
from functools import lru_cache
from typing import Any

from django.db.backends.sqlite3 import base, operations

__all__ = ["DatabaseWrapper"]

FOLDED = ("iexact", "icontains", "istartswith", "iendswith")
ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
              "%%": operator.mod, "%": operator.mod}  # fmt: skip
"""Django's arithmetic connectors (``%%`` is modulo; SQL formatting may leave it ``%``)."""


@lru_cache(maxsize=1024)
def _pattern(pattern: str, escape: str | None) -> re.Pattern[str]:
    """Compile a ``LIKE`` pattern: ``%`` any text, ``_`` one character, ``escape`` quotes."""
    parts: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if escape is not None and char == escape:
            parts.append(re.escape(next(chars, "")))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def like(pattern: Any, value: Any, escape: Any = None) -> bool | None:
    """Return whether ``value`` matches the ``LIKE`` pattern, case-sensitively (SQL nulls)."""
    if pattern is None or value is None:
        return None
    return _pattern(str(pattern), escape).fullmatch(str(value)) is not None


def arith(connector: str, left: Any, right: Any) -> Any:
    """Return ``left <connector> right``: integers as SQLite does, other numbers in Decimal."""
    if left is None or right is None:
        return None
    compute = ARITHMETIC[connector]
    divides = compute in (operator.truediv, operator.mod)
    if isinstance(left, int) and isinstance(right, int):
        if not divides:
            return compute(left, right)
        if right == 0:
            return None
        quotient = abs(left) // abs(right) * (1 if (left < 0) == (right < 0) else -1)
        return quotient if compute is operator.truediv else left - quotient * right
    try:
        return float(compute(_decimal(left), _decimal(right)))
    except (DivisionByZero, InvalidOperation, ZeroDivisionError):
        return None


def _decimal(value: Any) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _text(convert: Any) -> Any:
    def function(value: Any) -> Any:
        return None if value is None else convert(str(value))

    return function


class DatabaseOperations(operations.DatabaseOperations):
    """Fold both sides of the case-insensitive lookups."""

    def lookup_cast(self, lookup_type: str, internal_type: str | None = None) -> str:
        if lookup_type in FOLDED:
            return "REF_FOLD(%s)"
        return super().lookup_cast(lookup_type, internal_type)

    def combine_expression(self, connector: str, sub_expressions: list[str]) -> str:
        if connector in ARITHMETIC and len(sub_expressions) == 2:
            return f"REF_ARITH('{connector}', {', '.join(sub_expressions)})"
        return super().combine_expression(connector, sub_expressions)


class DatabaseWrapper(base.DatabaseWrapper):
    """SQLite with case-sensitive ``LIKE`` and case-folded i-lookups."""

    ops_class = DatabaseOperations
    operators = {
        **base.DatabaseWrapper.operators,
        **{name: "LIKE REF_FOLD(%s) ESCAPE '\\'" for name in FOLDED},
    }
    pattern_ops = {
        **base.DatabaseWrapper.pattern_ops,
        "icontains": r"LIKE '%%' || REF_FOLD({}) || '%%' ESCAPE '\'",
        "istartswith": r"LIKE REF_FOLD({}) || '%%' ESCAPE '\'",
        "iendswith": r"LIKE '%%' || REF_FOLD({}) ESCAPE '\'",
    }

    def get_new_connection(self, conn_params: Any) -> Any:
        connection = super().get_new_connection(conn_params)
        connection.create_function("like", 2, like, deterministic=True)
        connection.create_function("like", 3, like, deterministic=True)
        connection.create_function("REF_FOLD", 1, _text(str.casefold), deterministic=True)
        connection.create_function("REF_ARITH", 3, arith, deterministic=True)
        connection.create_function("upper", 1, _text(str.upper), deterministic=True)
        connection.create_function("lower", 1, _text(str.lower), deterministic=True)
        return connection
