"""marshmallow, imported when a field first converts or validates a value.

marshmallow's validators take longer to import than the ORM itself, and declaring models needs
none of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from asperion_orm._lazy import LazyModule

if TYPE_CHECKING:
    import marshmallow as marshmallow
    from marshmallow import fields as mm
    from marshmallow import validate as mv
else:
    marshmallow = LazyModule("marshmallow")
    mm = LazyModule("marshmallow.fields")
    mv = LazyModule("marshmallow.validate")

__all__ = ["marshmallow", "mm", "mv"]
