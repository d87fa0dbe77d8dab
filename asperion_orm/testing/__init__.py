"""A local, stateful emulator of the Asperion API for tests: ``with Sandbox() as sandbox: ...``.

Importing this package is cheap; the server and the emulator load when first used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from asperion_orm.testing.emulator.middleware import LogEntry
    from asperion_orm.testing.sandbox import Sandbox

__all__ = ["LogEntry", "Sandbox"]

_LAZY = {
    "Sandbox": "asperion_orm.testing.sandbox",
    "LogEntry": "asperion_orm.testing.emulator.middleware",
}


def __getattr__(name: str) -> Any:
    """Import the public names on first use."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
