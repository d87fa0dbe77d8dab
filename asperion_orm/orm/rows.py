"""``RowReader``: reads the fields of one raw API row as Python values, in a time zone.

Lookups and local steps evaluate rows through it: ``reader(field)`` is the field's Python
value, and ``reader.time_zone`` is the zone that date transforms (``__year``, ``__date``)
see a datetime in (the client's ``time_zone``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from asperion_orm.orm.fields import Field

__all__ = ["RowReader"]


class RowReader:
    """Read fields of one raw row: ``reader(field)`` returns the field's Python value."""

    __slots__ = ("raw", "time_zone")

    def __init__(self, raw: dict[str, Any], time_zone: dt.tzinfo = dt.UTC) -> None:
        self.raw = raw
        self.time_zone = time_zone

    def __call__(self, field: Field[Any]) -> Any:
        return field.to_python(self.raw.get(field.api_name))
