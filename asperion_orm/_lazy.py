"""``LazyModule``: a module imported on first attribute access, for a costly dependency."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["LazyModule"]


class LazyModule:
    """Stand in for the module ``name`` and import it when an attribute is first read.

    For dependencies that take long to import and are not needed by every program (type
    checkers see the real module through an ``if TYPE_CHECKING:`` import).
    """

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return f"LazyModule({self._name!r})"

    def __getattr__(self, attribute: str) -> Any:
        # Only reached for a name not read before: the value is kept on the stand-in, so a
        # hot path (the retry loop of every request) pays for the import machinery once.
        value = getattr(importlib.import_module(self._name), attribute)
        setattr(self, attribute, value)
        return value
