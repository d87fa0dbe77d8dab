"""The JSON text of single rows, kept per shape so list pages need not encode them again."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

__all__ = ["FragmentCache"]

SHAPES = 8
"""Shapes kept per table (resource shown, fields chosen, base URL), least recently used out."""
BUDGET = 32_000_000
"""Characters kept per table; past it the cache starts again (a full scan of 100,000
debtors is about 80 MB of text, and repeating one gains nothing from a partial cache)."""


class FragmentCache:
    """Each row's text per shape until a write touches the row, within ``SHAPES`` and ``BUDGET``."""

    def __init__(self, budget: int = BUDGET) -> None:
        """Start empty; keep at most ``budget`` characters."""
        self._budget = budget
        self._shapes: OrderedDict[Hashable, dict[Any, str]] = OrderedDict()
        self._size = 0
        self.encodes = 0
        """How many rows were encoded rather than taken from the cache."""

    def texts(
        self,
        shape: Hashable,
        ids: Iterable[Any],
        rows: Mapping[Any, Any],
        encode: Callable[[Any], str],
    ) -> list[str]:
        """Return ``encode(rows[id])`` for every id, encoding only rows not cached for ``shape``."""
        cache = self._shapes.get(shape)
        if cache is None:
            cache = self._shapes[shape] = {}
            if len(self._shapes) > SHAPES:
                self._size -= _length(self._shapes.popitem(last=False)[1])
        else:
            self._shapes.move_to_end(shape)
        found = []
        for row_id in ids:
            text = cache.get(row_id)
            if text is None:
                text = encode(rows[row_id])
                self.encodes += 1
                if self._size + len(text) > self._budget:
                    self.clear()
                    cache = self._shapes[shape] = {}
                cache[row_id] = text
                self._size += len(text)
            found.append(text)
        return found

    def forget(self, row_id: Any) -> None:
        """Drop the text of a row that was written (or deleted), in every shape."""
        for cache in self._shapes.values():
            text = cache.pop(row_id, None)
            if text is not None:
                self._size -= len(text)

    def clear(self) -> None:
        """Drop every text."""
        self._shapes.clear()
        self._size = 0


def _length(cache: Mapping[Any, str]) -> int:
    return sum(len(text) for text in cache.values())
