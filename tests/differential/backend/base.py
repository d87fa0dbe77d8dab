"""Django's SQLite backend with exact text matching (the reference's database).

SQLite's ``LIKE`` ignores the case of ASCII letters only and its ``UPPER``/``LOWER`` change
ASCII letters only, so Django's ``contains``/``startswith``/``iexact``... over SQLite do not
mean what they mean on PostgreSQL. Here ``like()`` is replaced by a case-sensitive
implementation of the same pattern language, ``UPPER``/``LOWER`` by Python's, and the
case-insensitive lookups compare ``REF_FOLD`` (``str.casefold``) of both sides, which is how the
library compares them.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from django.db.backends.sqlite3 import base, operations

__all__ = ["DatabaseWrapper"]

FOLDED = ("iexact", "icontains", "istartswith", "iendswith")


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
        connection.create_function("upper", 1, _text(str.upper), deterministic=True)
        connection.create_function("lower", 1, _text(str.lower), deterministic=True)
        return connection
