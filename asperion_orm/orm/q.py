"""``Q`` objects: filter conditions combined with ``&``, ``|`` and ``~``."""

from __future__ import annotations

from typing import Any

__all__ = ["Q"]

Condition = tuple[str, Any]


class Q:
    """A tree of keyword conditions, as in Django: ``Q(name="x") | ~Q(id__in=[1, 2])``."""

    AND = "AND"
    OR = "OR"

    def __init__(
        self, *args: Q | Condition, _connector: str = AND, _negated: bool = False, **kwargs: Any
    ) -> None:
        self.children: list[Q | Condition] = [*args, *sorted(kwargs.items())]
        self.connector = _connector
        self.negated = _negated

    def __repr__(self) -> str:
        inner = f" {self.connector} ".join(repr(child) for child in self.children)
        return f"<Q: {'NOT ' if self.negated else ''}({inner})>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Q):
            return NotImplemented
        return (self.connector, self.negated, self.children) == (
            other.connector,
            other.negated,
            other.children,
        )

    __hash__ = None  # type: ignore[assignment]

    def _combine(self, other: object, connector: str) -> Q:
        if not isinstance(other, Q):
            raise TypeError(f"Cannot combine Q with {type(other).__name__}.")
        if not other.children:
            return self._copy()
        if not self.children:
            return other._copy()
        return Q(*self._parts(connector), *other._parts(connector), _connector=connector)

    def _parts(self, connector: str) -> list[Q | Condition]:
        """Return what to splice into a node of ``connector`` (flattening ``a | b | c``)."""
        if self.connector == connector and not self.negated and len(self.children) > 1:
            return list(self.children)
        return [self]

    def _copy(self) -> Q:
        return Q(*self.children, _connector=self.connector, _negated=self.negated)

    def __and__(self, other: object) -> Q:
        return self._combine(other, self.AND)

    def __or__(self, other: object) -> Q:
        return self._combine(other, self.OR)

    def __invert__(self) -> Q:
        return Q(*self.children, _connector=self.connector, _negated=not self.negated)
