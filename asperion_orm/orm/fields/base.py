"""The ``Field`` base class: a descriptor converting one attribute between API JSON and Python.

Also the constants of the API's number ranges and ``camel_case``.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, overload

from typing_extensions import TypeVar

from asperion_orm.exceptions import ValidationError
from asperion_orm.orm.fields._mm import marshmallow, mm, mv
from asperion_orm.orm.messages import display_name, message
from asperion_orm.orm.scales import (
    Scale,
)

if TYPE_CHECKING:
    from asperion_orm.orm.model import Model
    from asperion_orm.session import Session


T = TypeVar("T")
"""A field's Python type (``str``), what its conversions take and return."""
G = TypeVar("G", default=Any)
"""What reading the attribute gives: ``str``, or ``str | None`` for a nullable field."""
S = TypeVar("S", default=G)
"""What assigning to the attribute takes: ``G``, or ``Never`` for a read-only field."""
_M = TypeVar("_M", bound="Model")
_E = TypeVar("_E", bound=enum.Enum)

NOT_PROVIDED: Any = object()

MAX_DIGITS = 28
"""The significant digits the API's decimals (.NET ``decimal``) hold; no longer number is sent."""

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
"""The range of the API's integers (ids and other whole numbers are 32-bit)."""


def camel_case(name: str) -> str:
    """Return the API spelling of a Python attribute name: ``debtor_id`` → ``debtorId``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class Field(Generic[T, G, S]):
    """One declared attribute of a model, stored in the instance's raw API dict."""

    python_types: ClassVar[tuple[type, ...]] = (object,)
    # Values that can change in place (a list, an embedded object): save() compares them.
    mutable: ClassVar[bool] = False
    # prep() may warn about a value (once per line of the caller's code), so a filter() on the
    # field is not remembered (``QuerySet._step``): each call makes its lookup and warns anew.
    prep_warns: ClassVar[bool] = False

    def __init__(
        self,
        *,
        api_name: str | None = None,
        read_only: bool = False,
        required: bool = False,
        null: bool = True,
        default: Any = NOT_PROVIDED,
    ) -> None:
        self.read_only = read_only
        self.required = required
        self.null = null
        self.default = default
        self.name = ""
        self.attname = ""
        self.api_name = api_name or ""
        self.model: type[Model] | None = None

    @cached_property
    def _mm(self) -> mm.Field[Any]:
        """Return the marshmallow field, made on first use (then a plain attribute)."""
        return self.marshmallow_field()

    @cached_property
    def _unchanged(self) -> Direct | None:
        """Return which raw values ``to_python`` returns as they are (see ``_unchanged_by``)."""
        return _unchanged_by(self._mm)

    def marshmallow_field(self) -> mm.Field[Any]:
        """Return the marshmallow field that does the conversions."""
        return mm.Raw()

    @cached_property
    def _direct(self) -> Direct | None:
        """Return which raw values are the Python value, unless a subclass converts.

        Reading an attribute (``__get__``) and ``values_list()`` return such a value from the
        row as it is, without the calls through ``load`` and ``to_python``.
        """
        kind = type(self)
        plain = kind.load is Field.load and kind.to_python is Field.to_python
        return self._unchanged if plain else None

    def __set_name__(self, owner: type[Model], name: str) -> None:
        self.name = self.attname = name
        self.api_name = self.api_name or camel_case(name)
        self.model = owner

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.label}>"

    @property
    def label(self) -> str:
        """Return ``Model.field``, as messages name the field."""
        return f"{self.model.__name__ if self.model else '?'}.{self.name}"

    def __reduce__(self) -> str | tuple[Any, ...]:
        """Pickle a model's field as a reference to it, as Django does (for pickled queries)."""
        if self.model is None:
            return super().__reduce__()
        return _model_field, (self.model, self.name)

    # -- the two conversions -------------------------------------------------------------------

    def to_python(self, raw: Any) -> T | None:
        """Convert a value as the API sends it into the Python value."""
        if raw is None:
            return None
        if is_direct(self._unchanged, raw):
            return raw  # type: ignore[no-any-return]
        try:
            value: T = self._mm.deserialize(raw)
        except marshmallow.ValidationError as exc:
            raise ValidationError({self.name: _messages(exc)}) from exc
        return value

    def to_api(self, value: T | None) -> Any:
        """Convert a Python value into its JSON form for the API."""
        if value is None:
            return None
        return self._mm.serialize("value", {"value": value})

    def load(self, raw: Any, session: Session | None) -> T | None:
        """Convert a value read through ``session``; objects made from it remember the session."""
        return self.to_python(raw)

    # -- checks on values handed in by callers -------------------------------------------------

    def normalize(self, value: Any) -> T:
        """Return ``value`` as this field's Python type, or raise ``TypeError``/``ValueError``."""
        if isinstance(value, bool) and bool not in self.python_types:
            self.type_error(value)
        if not isinstance(value, self.python_types):
            self.type_error(value)
        return self.coerce(value)

    def coerce(self, value: Any) -> T:
        """Turn an accepted input type into the Python type (hook for subclasses)."""
        return value  # type: ignore[no-any-return]

    def type_error(self, value: Any) -> None:
        """Raise the ``TypeError`` for a value of the wrong type."""
        expected = " or ".join(t.__name__ for t in self.python_types)
        raise TypeError(f"Field '{self.name}' expected {expected} but got {_short(value)}.")

    def validate(self, value: Any, language: str = "en-US", label: str | None = None) -> list[str]:
        """Return the messages of the declared validators for ``value`` (empty when valid).

        Worded as the API's own in ``language``; ``label`` names the field (its API name).
        """
        label = label or display_name(self.api_name or self.name)
        if value is None:
            return [] if self.null else [message(language, "not_null", field=label)]
        return self.check(value, language, label)

    def check(self, value: Any, language: str, label: str) -> list[str]:
        """Return the messages for a value that is not ``None`` (hook for subclasses)."""
        try:
            self._mm.deserialize(self.to_api(value))
        except marshmallow.ValidationError as exc:
            return [message(language, "invalid", field=label, reason=m) for m in _messages(exc)]
        return []

    # -- attribute access ----------------------------------------------------------------------

    @overload
    def __get__(self, instance: None, owner: Any) -> Self: ...
    @overload
    def __get__(self, instance: Model, owner: Any) -> G: ...
    def __get__(self, instance: Model | None, owner: Any) -> Self | G:
        if instance is None:
            return self
        # The hot path: a loaded, unchanged instance and a value the API sends as Python has it
        # (``is_direct`` written out: a call per read would cost a third of the read).
        direct = self._direct
        if instance._values is None and direct is not None:
            value: G = instance._raw.get(self.api_name)  # type: ignore[assignment]
            if value is None:
                return value
            kind, limit = direct
            if type(value) is kind and (limit is None or len(value) <= limit):  # type: ignore[arg-type]
                return value
        value = instance._value(self)
        return value

    def __set__(self, instance: Model, value: S) -> None:
        self.check_settable()
        instance._set(self, None if value is None else self.normalize(value))

    def check_settable(self) -> None:
        """Refuse an assignment to a field the API sets (``AttributeError``, as a property)."""
        if self.read_only:
            raise AttributeError(f"{self!r} is read-only: the API sets it.")

    # -- values handed to lookups --------------------------------------------------------------

    def prep(self, value: Any) -> Any:
        """Return a lookup value as it is compared (Django's ``get_prep_value``).

        Unlike an assignment, nothing is rounded or limited to what the API stores: the value
        is compared as given. The primary key also takes an instance of its own model.
        """
        return self.normalize(self.instance_pk(value))

    def instance_pk(self, value: Any) -> Any:
        """Return the pk of an instance of this field's model when this is its primary key."""
        model = self.model
        if model is None or not isinstance(value, model) or model._meta.pk is not self:
            return value
        if value.pk is None:
            raise ValueError(f"Cannot filter {self!r} by an unsaved {model.__name__}.")
        return value.pk

    def scale(self) -> Scale | None:
        """Return the values the API can hold for this field, or ``None`` (sent as given)."""
        return None

    def in_zone(self, value: Any, time_zone: dt.tzinfo) -> Any:
        """Return a lookup value with a naive datetime taken in ``time_zone``."""
        return value

    def initial(self) -> Any:
        """Return the value a new instance starts with."""
        if self.default is NOT_PROVIDED:
            return None
        return self.default() if callable(self.default) else self.default


def _model_field(model: type[Model], name: str) -> Field[Any]:
    """Return the field ``name`` of ``model`` (the implicit ``id`` of an embedded model too)."""
    meta = model._meta
    return meta.fields.get(name) or meta.pk


Direct = tuple[type[Any], int | None]
"""Raw values that are their own Python value: of exactly this type, and (for a ``str``) at
most this long when a length is given."""


def is_direct(direct: Direct | None, raw: Any) -> bool:
    """Tell whether ``raw`` is among the values ``direct`` describes."""
    if direct is None:
        return False
    kind, limit = direct
    return type(raw) is kind and (limit is None or len(raw) <= limit)


def _unchanged_by(field: mm.Field[Any]) -> Direct | None:
    """Return which raw values ``field.deserialize`` would return as they are.

    Reading fields is the ORM's hottest loop; for the commonest values (a ``str`` within its
    length, an ``int``, a ``bool``) a type test reaches marshmallow's answer without its cost.
    Any other field, validator or value goes through marshmallow.
    """
    kind, validators = type(field), field.validators
    if kind is mm.Integer and not validators:
        return int, None
    if kind is mm.Boolean and isinstance(field, mm.Boolean) and not validators:
        keeps = True in field.truthy and False in field.falsy
        return (bool, None) if keeps else None
    if kind is not mm.String:
        return None
    if not validators:
        return str, None
    limit = _max_length(validators)
    if limit is None:
        return None
    return str, limit


def _max_length(validators: Sequence[Any]) -> int | None:
    """Return N when the only validator is ``Length(max=N)``."""
    if len(validators) != 1 or type(validators[0]) is not mv.Length:
        return None
    length = validators[0]
    return length.max if length.min is None and length.equal is None else None


def _messages(exc: marshmallow.ValidationError) -> list[str]:
    messages = exc.messages
    if isinstance(messages, dict):
        return [str(m) for value in messages.values() for m in _flat(value)]
    return [str(m) for m in _flat(messages)]


def _flat(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return [item for part in value for item in _flat(part)]
    if isinstance(value, dict):
        return [item for part in value.values() for item in _flat(part)]
    return [value]
