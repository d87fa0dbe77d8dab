"""Model fields: descriptors that convert one attribute between API JSON and Python.

A field has two conversions, ``to_python`` (API → Python, run lazily on first access) and
``to_api`` (Python → API, for writes and query strings); marshmallow 4 does the work underneath.
``load`` is ``to_python`` for a value read through a session: embedded objects made from it
remember that session, as the instance holding them does.
``normalize`` checks the type of a value a caller assigns, ``prep`` converts a lookup value as
Django does (compared as given, never rounded), ``scale`` tells which values the API can hold,
and ``validate`` runs the declared validators before a write.
"""

from asperion_orm.orm.fields.base import Field, camel_case
from asperion_orm.orm.fields.foreign_keys import ForeignKey
from asperion_orm.orm.fields.nested import Lines, Nested
from asperion_orm.orm.fields.scalars import (
    Boolean,
    Choice,
    Date,
    DateTime,
    Decimal,
    Email,
    Enum,
    Integer,
    List,
    String,
    Time,
)

__all__ = [
    "Boolean",
    "Choice",
    "Date",
    "DateTime",
    "Decimal",
    "Email",
    "Enum",
    "Field",
    "ForeignKey",
    "Integer",
    "Lines",
    "List",
    "Nested",
    "String",
    "Time",
    "camel_case",
]
