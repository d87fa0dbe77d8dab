"""``Where``: a resolved condition tree of lookups, evaluated against rows without I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from asperion_orm.orm.lookups import Lookup
from asperion_orm.orm.q import Q
from asperion_orm.orm.rows import RowReader

__all__ = ["ValueOf", "Where", "field_reader", "single"]

ValueOf = RowReader


def field_reader(raw: dict[str, Any], time_zone: dt.tzinfo = dt.UTC) -> RowReader:
    """Return a reader of the fields of a raw API row as Python values, in ``time_zone``."""
    return RowReader(raw, time_zone)


class Where:
    """A resolved condition tree: lookups and sub-trees joined by AND or OR, maybe negated."""

    def __init__(
        self,
        children: tuple[Where | Lookup, ...] = (),
        connector: str = Q.AND,
        negated: bool = False,
    ) -> None:
        self.children = children
        self.connector = connector
        self.negated = negated

    def __bool__(self) -> bool:
        return bool(self.children)

    def __repr__(self) -> str:
        return f"<Where {self.shape()}>"

    def add(self, node: Where) -> Where:
        """Return this AND-tree with ``node`` added as one more condition."""
        if not node:
            return self
        if node.connector == Q.AND and not node.negated:
            return Where(self.children + node.children)
        return Where((*self.children, node))

    def matches(self, value_of: ValueOf) -> bool:
        """Return whether a row satisfies the tree (``value_of`` reads a field of the row)."""
        return self.truth(value_of) is True

    def truth(self, value_of: ValueOf) -> bool | None:
        """Return the tree's value in SQL's three-valued logic (``None``: unknown)."""
        decisive = self.connector != Q.AND  # the value that settles the node: False for AND
        unknown = False
        for child in self.children:
            result = _match(child, value_of)
            if result is None:
                unknown = True
            elif result is decisive:
                return decisive != self.negated
        return None if unknown else (not decisive) != self.negated

    def shape(self) -> str:
        """Return the tree with field and lookup names but without values."""
        inner = f" {self.connector} ".join(_shape(child) for child in self.children)
        return f"NOT ({inner})" if self.negated else f"({inner})"

    def zoned(self, time_zone: dt.tzinfo) -> Where:
        """Return the tree with naive datetimes taken in ``time_zone`` (the client's zone)."""
        children = tuple(child.zoned(time_zone) for child in self.children)
        if all(new is old for new, old in zip(children, self.children, strict=True)):
            return self
        return Where(children, self.connector, self.negated)

    def lookups(self) -> Iterator[Lookup]:
        """Yield every lookup in the tree."""
        for child in self.children:
            yield from child.lookups() if isinstance(child, Where) else (child,)


def _match(node: Where | Lookup, value_of: ValueOf) -> bool | None:
    if isinstance(node, Where):
        return node.truth(value_of)
    result = node.evaluate(value_of)
    return result if result is None else bool(result)


def single(node: Where) -> Where | Lookup:
    """Return the only child of a plain one-condition node, else the node."""
    if len(node.children) == 1 and not node.negated:
        return node.children[0]
    return node


def _shape(node: Where | Lookup) -> str:
    return node.shape() if isinstance(node, Where) else node.key
