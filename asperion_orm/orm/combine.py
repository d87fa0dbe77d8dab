"""Row-set steps run here: ``distinct()`` rows and ``union``/``intersection``/``difference``.

Rows are compared by a key: the id for model instances, the selected values otherwise. Nothing
here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from asperion_orm.orm.fields import Field

__all__ = ["COMBINATORS", "combine", "distinct_rows", "row_key"]

Raw = dict[str, Any]
Key = Callable[[Raw], Hashable]

COMBINATORS = ("union", "intersection", "difference")


def row_key(fields: Sequence[Field[Any]]) -> Key:
    """Return the key of a raw row: the Python values of ``fields``, compared as Django's SQL."""
    return lambda raw: tuple(field.to_python(raw.get(field.api_name)) for field in fields)


def distinct_rows(rows: Iterable[Raw], key: Key) -> Iterator[Raw]:
    """Yield the first row of every key, in the order the rows come."""
    seen: set[Hashable] = set()
    for raw in rows:
        value = key(raw)
        if value not in seen:
            seen.add(value)
            yield raw


def combine(kind: str, parts: Sequence[Sequence[Raw]], key: Key, keep_all: bool) -> list[Raw]:
    """Return the rows of ``parts`` combined as SQL's UNION [ALL], INTERSECT or EXCEPT.

    Only ``union(all=True)`` keeps duplicates; the others are sets, sorted by key (the order
    SQLite happens to give; Django leaves it undefined without ``order_by()``).
    """
    if kind == "union" and keep_all:
        return [raw for part in parts for raw in part]
    first = {key(raw): raw for raw in reversed(parts[0])}  # the first row of every key
    if kind == "union":
        for part in parts[1:]:
            for raw in part:
                first.setdefault(key(raw), raw)
    else:
        others = [{key(raw) for raw in part} for part in parts[1:]]
        wanted = all if kind == "intersection" else _none
        first = {k: raw for k, raw in first.items() if wanted(k in other for other in others)}
    return [first[k] for k in sorted(first, key=_sortable)]


def _none(values: Iterable[bool]) -> bool:
    return not any(values)


def _sortable(key: Hashable) -> Any:
    """Sort ``None`` first, as SQLite does ascending."""
    values = key if isinstance(key, tuple) else (key,)
    return tuple((value is not None, value) for value in values)
