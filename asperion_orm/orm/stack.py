"""``caller_level``: the ``stacklevel`` that points a warning at the user's line of code."""

from __future__ import annotations

import sys

__all__ = ["caller_level"]


def caller_level() -> int:
    """Return the stack level, seen from the caller, of the first frame outside this package."""
    frame, level = sys._getframe(1), 1
    while frame.f_back and frame.f_globals.get("__name__", "").startswith("asperion_orm"):
        frame, level = frame.f_back, level + 1
    return level
