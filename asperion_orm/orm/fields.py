"""Model fields: descriptors that convert one attribute between API JSON and Python.

A field has two conversions, ``to_python`` (API → Python, run lazily on first access) and
``to_api`` (Python → API, for writes and query strings); marshmallow 4 does the work underneath.
``load`` is ``to_python`` for a value read through a session: embedded objects made from it
remember that session, as the instance holding them does.
``normalize`` checks the type of a value a caller assigns, ``prep`` converts a lookup value as
Django does (compared as given, never rounded), ``scale`` tells which values the API can hold,
and ``validate`` runs the declared validators before a write.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import math
import warnings
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, Never, Self, overload

from typing_extensions import TypeVar

from asperion_orm._lazy import LazyModule
from asperion_orm.exceptions import ValidationError
from asperion_orm.orm.messages import display_name, message
from asperion_orm.orm.scales import (
    DateScale,
    DecimalScale,
    IntegerScale,
    MomentScale,
    OneOf,
    Scale,
)
from asperion_orm.orm.stack import caller_level

if TYPE_CHECKING:
    import marshmallow
    from marshmallow import fields as mm
    from marshmallow import validate as mv

    from asperion_orm.orm.model import Model
    from asperion_orm.session import Session
else:
    # Imported when a field first converts or validates a value: marshmallow's validators take
    # longer to import than the ORM itself, and declaring models needs none of it.
    marshmallow = LazyModule("marshmallow")
    mm = LazyModule("marshmallow.fields")
    mv = LazyModule("marshmallow.validate")

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
]

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
    def _unchanged(self) -> Callable[[Any], bool] | None:
        """Return the test for raw values ``to_python`` returns as they are (see below)."""
        return _unchanged_by(self._mm)

    def marshmallow_field(self) -> mm.Field[Any]:
        """Return the marshmallow field that does the conversions."""
        return mm.Raw()

    @cached_property
    def _direct(self) -> Callable[[Any], bool] | None:
        """Return the test for raw values that are the Python value, unless a subclass converts.

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
        if self._unchanged is not None and self._unchanged(raw):
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
        # The hot path: a loaded, unchanged instance and a value the API sends as Python has it.
        if instance._values is None and self._direct is not None:
            value: G = instance._raw.get(self.api_name)  # type: ignore[assignment]
            if value is None or self._direct(value):
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


def _unchanged_by(field: mm.Field[Any]) -> Callable[[Any], bool] | None:
    """Return a test for raw values that ``field.deserialize`` would return as they are.

    Reading fields is the ORM's hottest loop; for the commonest values (a ``str`` within its
    length, an ``int``, a ``bool``) this test reaches marshmallow's answer without its cost.
    Any other field, validator or value goes through marshmallow.
    """
    kind, validators = type(field), field.validators
    if kind is mm.Integer and not validators:
        return lambda raw: type(raw) is int
    if kind is mm.Boolean and isinstance(field, mm.Boolean) and not validators:
        keeps = True in field.truthy and False in field.falsy
        return (lambda raw: type(raw) is bool) if keeps else None
    if kind is not mm.String:
        return None
    if not validators:
        return lambda raw: type(raw) is str
    limit = _max_length(validators)
    if limit is None:
        return None
    return lambda raw: type(raw) is str and len(raw) <= limit


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


class Integer(Field[int, G, S]):
    """A whole number; ``bool`` and numeric strings are refused."""

    @overload
    def __init__(
        self: Integer[int, Never],
        *,
        read_only: Literal[True],
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Integer[int | None, Never],
        *,
        read_only: Literal[True],
        null: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Integer[int],
        *,
        read_only: Literal[False] = ...,
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Integer[int | None],
        *,
        read_only: Literal[False] = ...,
        null: Literal[True] = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Integer[int | None],
        *,
        read_only: bool = ...,
        null: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)

    python_types = (int,)

    def marshmallow_field(self) -> mm.Field[Any]:
        return mm.Integer(strict=True)

    def scale(self) -> Scale:
        return IntegerScale(INT32_MIN, INT32_MAX)

    def prep(self, value: Any) -> Any:
        """Take what Django's ``int()`` takes: ``True`` is 1, ``"5"`` is 5, ``5.0`` is 5.

        A number with a fraction stays as given, so ``id=1.5`` matches nothing and
        ``id__gte=1.5`` starts at 2.
        """
        value = self.instance_pk(value)
        if isinstance(value, int):
            return int(value)
        if isinstance(value, str):
            return self._parse_int(value)
        if not isinstance(value, float | decimal.Decimal):
            raise TypeError(f"Field '{self.name}' expected a number but got {_short(value)}.")
        if not math.isfinite(value):
            raise ValueError(f"Field '{self.name}' expected a number but got {_short(value)}.")
        number = decimal.Decimal(value)
        return int(number) if number == number.to_integral_value() else number

    def _parse_int(self, text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise ValueError(
                f"Field '{self.name}' expected a number but got {_short(text)}."
            ) from None


class String(Field[str, G, S]):
    """Text, optionally limited to ``max_length`` characters."""

    python_types = (str,)

    @overload
    def __init__(
        self: String[str, Never],
        *,
        read_only: Literal[True],
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: String[str | None, Never],
        *,
        read_only: Literal[True],
        null: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: String[str],
        *,
        read_only: Literal[False] = ...,
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: String[str | None],
        *,
        read_only: Literal[False] = ...,
        null: Literal[True] = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: String[str | None],
        *,
        read_only: bool = ...,
        null: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    def __init__(self, *, max_length: int | None = None, **kwargs: Any) -> None:
        self.max_length = max_length
        super().__init__(**kwargs)

    def marshmallow_field(self) -> mm.Field[Any]:
        if self.max_length is None:
            return mm.String()
        return mm.String(validate=mv.Length(max=self.max_length))

    def check(self, value: Any, language: str, label: str) -> list[str]:
        if self.max_length is not None and len(value) > self.max_length:
            return [message(language, "max_length", field=label, limit=self.max_length)]
        return []

    def prep(self, value: Any) -> str:
        """Take any value as its text, as Django's ``CharField`` does (``name=5`` is ``"5"``)."""
        value = self.instance_pk(value)
        return value if isinstance(value, str) else str(value)


class Email(String[G, S]):
    """An e-mail address."""

    @overload
    def __init__(
        self: Email[str, Never],
        *,
        read_only: Literal[True],
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Email[str | None, Never],
        *,
        read_only: Literal[True],
        null: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Email[str],
        *,
        read_only: Literal[False] = ...,
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Email[str | None],
        *,
        read_only: Literal[False] = ...,
        null: Literal[True] = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Email[str | None],
        *,
        read_only: bool = ...,
        null: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    def __init__(self, **kwargs: Any) -> None:
        # String's overloads type a String; this one's type Email.
        super().__init__(**kwargs)  # type: ignore[misc]

    def marshmallow_field(self) -> mm.Field[Any]:
        return mm.Email()

    def check(self, value: Any, language: str, label: str) -> list[str]:
        problems = super().check(value, language, label)
        if Field.check(self, value, language, label):  # marshmallow's e-mail check
            problems.append(message(language, "email", field=label))
        return problems


class Boolean(Field[bool, G, S]):
    """``True`` or ``False``."""

    @overload
    def __init__(
        self: Boolean[bool, Never],
        *,
        read_only: Literal[True],
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Boolean[bool | None, Never],
        *,
        read_only: Literal[True],
        null: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Boolean[bool],
        *,
        read_only: Literal[False] = ...,
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Boolean[bool | None],
        *,
        read_only: Literal[False] = ...,
        null: Literal[True] = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Boolean[bool | None],
        *,
        read_only: bool = ...,
        null: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)

    python_types = (bool,)

    def marshmallow_field(self) -> mm.Field[Any]:
        return mm.Boolean()

    def prep(self, value: Any) -> bool:
        """Take what Django's ``BooleanField`` takes: ``1``, ``0``, ``"t"``, ``"False"``..."""
        if value in (True, False):
            return bool(value)
        if value in ("t", "True", "1"):
            return True
        if value in ("f", "False", "0"):
            return False
        raise ValueError(
            f"Field '{self.name}': {_short(value)} value must be either True or False."
        )


class Decimal(Field[decimal.Decimal, G, S]):
    """An exact number such as money; a ``float`` is refused, values are quantized to ``places``.

    A value that needs more than ``max_digits`` significant digits once quantized (the API's
    decimals hold 28) raises ``ValidationError`` naming the field, whether assigned or read
    from the API. A filter compares its value as given (``prep``), neither rounded nor refused.
    """

    python_types = (decimal.Decimal, int, str)

    @overload
    def __init__(
        self: Decimal[decimal.Decimal, Never],
        *,
        read_only: Literal[True],
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Decimal[decimal.Decimal | None, Never],
        *,
        read_only: Literal[True],
        null: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Decimal[decimal.Decimal],
        *,
        read_only: Literal[False] = ...,
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Decimal[decimal.Decimal | None],
        *,
        read_only: Literal[False] = ...,
        null: Literal[True] = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Decimal[decimal.Decimal | None],
        *,
        read_only: bool = ...,
        null: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    def __init__(
        self,
        *,
        places: int | None = 2,
        max_digits: int = MAX_DIGITS,
        rounding: str = decimal.ROUND_HALF_UP,
        **kwargs: Any,
    ) -> None:
        self.places = places
        self.max_digits = max_digits
        self.rounding = rounding
        super().__init__(**kwargs)

    def marshmallow_field(self) -> mm.Field[Any]:
        return mm.Decimal(places=self.places, rounding=self.rounding)

    def to_python(self, raw: Any) -> decimal.Decimal | None:
        # Quantize numbers here, so that one with too many digits is named as such (marshmallow
        # would call it "not a valid number"); marshmallow explains everything else.
        number = _decimal(raw)
        return self.fit(number) if number is not None else super().to_python(raw)

    def fit(self, number: decimal.Decimal) -> decimal.Decimal:
        """Return a finite number quantized to ``places``, or refuse one with too many digits."""
        context = decimal.Context(prec=self.max_digits, rounding=self.rounding)
        try:
            if self.places is not None:
                number = number.quantize(decimal.Decimal(1).scaleb(-self.places), context=context)
            elif max(len(number.as_tuple().digits), number.adjusted() + 1) > self.max_digits:
                raise decimal.InvalidOperation
        except decimal.InvalidOperation:
            message = (
                f"Ensure that there are no more than {self.max_digits} digits in total "
                "(the API's decimals hold no more)."
            )
            raise ValidationError({self.name: [message]}) from None
        return number

    def type_error(self, value: Any) -> None:
        if isinstance(value, float):
            raise TypeError(
                f"Field '{self.name}' refuses float {value!r}: pass Decimal({str(value)!r}) "
                "so the amount stays exact."
            )
        super().type_error(value)

    def coerce(self, value: Any) -> decimal.Decimal:
        return self.fit(self._number(value))

    def prep(self, value: Any) -> decimal.Decimal:
        """Return the number exactly as given: ``500.001`` is not rounded to ``500.00``."""
        if isinstance(value, bool) or not isinstance(value, self.python_types):
            self.type_error(value)
        return self._number(value)

    def scale(self) -> Scale | None:
        return None if self.places is None else DecimalScale(self.places, self.max_digits)

    def _number(self, value: Any) -> decimal.Decimal:
        try:
            number = decimal.Decimal(value)
        except decimal.InvalidOperation:
            message = f"Field '{self.name}' expected a number but got {_short(value)}."
            raise ValueError(message) from None
        if not number.is_finite():
            raise ValueError(f"Field '{self.name}' expected a finite number, got {number}.")
        return number


def _decimal(raw: Any) -> decimal.Decimal | None:
    """Return an API value (int, Decimal or numeric text) as a finite Decimal, else ``None``."""
    if isinstance(raw, bool) or not isinstance(raw, int | decimal.Decimal | str):
        return None
    try:
        number = decimal.Decimal(raw)
    except decimal.InvalidOperation:
        return None
    return number if number.is_finite() else None


class Date(Field[dt.date, G, S]):
    """A calendar date (a ``datetime`` is refused, but a lookup takes its date, as Django)."""

    @overload
    def __init__(
        self: Date[dt.date, Never],
        *,
        read_only: Literal[True],
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Date[dt.date | None, Never],
        *,
        read_only: Literal[True],
        null: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Date[dt.date],
        *,
        read_only: Literal[False] = ...,
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Date[dt.date | None],
        *,
        read_only: Literal[False] = ...,
        null: Literal[True] = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Date[dt.date | None],
        *,
        read_only: bool = ...,
        null: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)

    python_types = (dt.date, str)

    def marshmallow_field(self) -> mm.Field[Any]:
        return mm.Date()

    def scale(self) -> Scale:
        return DateScale()

    def prep(self, value: Any) -> Any:
        """Take a datetime as its date; an aware one in the client's zone, when planned."""
        if isinstance(value, dt.datetime):
            return value if value.tzinfo else value.date()
        return self.normalize(value)

    def in_zone(self, value: Any, time_zone: dt.tzinfo) -> Any:
        return value.astimezone(time_zone).date() if isinstance(value, dt.datetime) else value

    def coerce(self, value: Any) -> dt.date:
        if isinstance(value, dt.datetime):
            self.type_error(value)
        if isinstance(value, str):
            value = _parse(self, dt.date.fromisoformat, value)
        date: dt.date = value
        return date


class DateTime(Field[dt.datetime, G, S]):
    """A timezone-aware moment; naive values from the API are taken as UTC."""

    @overload
    def __init__(
        self: DateTime[dt.datetime, Never],
        *,
        read_only: Literal[True],
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: DateTime[dt.datetime | None, Never],
        *,
        read_only: Literal[True],
        null: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: DateTime[dt.datetime],
        *,
        read_only: Literal[False] = ...,
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: DateTime[dt.datetime | None],
        *,
        read_only: Literal[False] = ...,
        null: Literal[True] = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: DateTime[dt.datetime | None],
        *,
        read_only: bool = ...,
        null: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)

    python_types = (dt.datetime, str)

    def marshmallow_field(self) -> mm.Field[Any]:
        return mm.AwareDateTime(default_timezone=dt.UTC)

    def coerce(self, value: Any) -> dt.datetime:
        if isinstance(value, str):
            value = _parse(self, dt.datetime.fromisoformat, value)
        if value.tzinfo is None:
            raise ValueError(f"Field '{self.name}' needs a timezone-aware datetime, got {value!r}.")
        return value  # type: ignore[no-any-return]

    def prep(self, value: Any) -> dt.datetime:
        """Take a ``date`` as its midnight and a naive datetime in the client's time zone.

        As Django does with ``USE_TZ``, a naive value (a ``date`` included) warns, once per
        line of the caller's code; the zone is the one of the session the query runs in.
        """
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)
        elif isinstance(value, str):
            value = _parse(self, dt.datetime.fromisoformat, value)
        elif not isinstance(value, dt.datetime):
            self.type_error(value)
        if value.tzinfo is None:
            warnings.warn(
                f"DateTimeField {self.label} received a naive datetime while time zone support "
                "is active: it is taken in the client's time_zone.",
                RuntimeWarning,
                stacklevel=caller_level(),
            )
        return value  # type: ignore[no-any-return]

    def scale(self) -> Scale:
        return MomentScale()

    def in_zone(self, value: Any, time_zone: dt.tzinfo) -> Any:
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            return value.replace(tzinfo=time_zone)
        return value


class Time(Field[dt.time]):
    """A time of day without a zone (what ``__time`` of a datetime is compared with)."""

    python_types = (dt.time, str)

    def marshmallow_field(self) -> mm.Field[Any]:
        return mm.Time()

    def coerce(self, value: Any) -> dt.time:
        if isinstance(value, str):
            value = _parse(self, dt.time.fromisoformat, value)
        if value.tzinfo is not None:
            raise ValueError(
                f"Field '{self.name}' compares times of day in the client's time zone: "
                f"pass a naive time, not {value!r}."
            )
        return value  # type: ignore[no-any-return]


def _parse(field: Field[Any], parse: Any, text: str) -> Any:
    try:
        return parse(text)
    except ValueError:
        raise ValueError(f"Field '{field.name}' cannot parse {_short(text)}.") from None


class Choice(Field[Any, G, S]):
    """One of a fixed set of values."""

    def __init__(self, choices: Sequence[Any], **kwargs: Any) -> None:
        self.choices = tuple(choices)
        super().__init__(**kwargs)

    def marshmallow_field(self) -> mm.Field[Any]:
        return mm.Raw(validate=mv.OneOf(self.choices))

    def check(self, value: Any, language: str, label: str) -> list[str]:
        if value in self.choices:
            return []
        choices = ", ".join(str(choice) for choice in self.choices)
        return [message(language, "enum", field=label, value=value, choices=choices)]

    def coerce(self, value: Any) -> Any:
        if value not in self.choices:
            raise ValueError(f"Field '{self.name}' expects one of {self.choices!r}, got {value!r}.")
        return value

    def prep(self, value: Any) -> Any:
        """Take any value, as Django does: one that is not a choice matches nothing."""
        return value

    def scale(self) -> Scale:
        return OneOf(self.choices)


class Enum(Field[enum.Enum, G, S]):
    """A member of a Python ``enum.Enum``, sent as its value."""

    @overload
    def __init__(
        self: Enum[_E, Never],
        enum_type: type[_E],
        *,
        read_only: Literal[True],
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Enum[_E | None, Never],
        enum_type: type[_E],
        *,
        read_only: Literal[True],
        null: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Enum[_E],
        enum_type: type[_E],
        *,
        read_only: Literal[False] = ...,
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Enum[_E | None],
        enum_type: type[_E],
        *,
        read_only: Literal[False] = ...,
        null: Literal[True] = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Enum[_E | None],
        enum_type: type[_E],
        *,
        read_only: bool = ...,
        null: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    def __init__(self, enum_type: type[enum.Enum], **kwargs: Any) -> None:
        self.enum_type = enum_type
        super().__init__(**kwargs)

    @property
    def python_types(self) -> tuple[type, ...]:  # type: ignore[override]
        return (self.enum_type,)

    def marshmallow_field(self) -> mm.Field[Any]:
        return mm.Enum(self.enum_type, by_value=True)


class List(Field[list[Any], G, S]):
    """A JSON array of values of one inner field."""

    python_types = (list, tuple)
    mutable = True

    @overload
    def __init__(
        self: List[list[Any], Never],
        inner: Field[Any],
        *,
        read_only: Literal[True],
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: List[list[Any] | None, Never],
        inner: Field[Any],
        *,
        read_only: Literal[True],
        null: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: List[list[Any]],
        inner: Field[Any],
        *,
        read_only: Literal[False] = ...,
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: List[list[Any] | None],
        inner: Field[Any],
        *,
        read_only: Literal[False] = ...,
        null: Literal[True] = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: List[list[Any] | None],
        inner: Field[Any],
        *,
        read_only: bool = ...,
        null: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    def __init__(self, inner: Field[Any], **kwargs: Any) -> None:
        self.inner = inner
        super().__init__(**kwargs)

    def marshmallow_field(self) -> mm.Field[Any]:
        return mm.List(self.inner._mm)

    def coerce(self, value: Any) -> list[Any]:
        return [self.inner.normalize(item) for item in value]


class Nested(Field[Any, G, S]):
    """An embedded object (or a list of them with ``many=True``) declared as a path-less model."""

    mutable = True

    @overload
    def __init__(
        self: Nested[_M, Never],
        model: type[_M],
        *,
        many: Literal[False] = ...,
        read_only: Literal[True],
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Nested[_M | None, Never],
        model: type[_M],
        *,
        many: Literal[False] = ...,
        read_only: Literal[True],
        null: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Nested[_M],
        model: type[_M],
        *,
        many: Literal[False] = ...,
        read_only: Literal[False] = ...,
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Nested[_M | None],
        model: type[_M],
        *,
        many: Literal[False] = ...,
        read_only: Literal[False] = ...,
        null: Literal[True] = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Nested[list[_M], Never],
        model: type[_M],
        *,
        many: Literal[True],
        read_only: Literal[True],
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Nested[list[_M] | None, Never],
        model: type[_M],
        *,
        many: Literal[True],
        read_only: Literal[True],
        null: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Nested[list[_M]],
        model: type[_M],
        *,
        many: Literal[True],
        read_only: Literal[False] = ...,
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Nested[list[_M] | None],
        model: type[_M],
        *,
        many: Literal[True],
        read_only: Literal[False] = ...,
        null: Literal[True] = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Nested[Any],
        model: type[_M],
        *,
        many: bool = ...,
        read_only: bool = ...,
        null: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    def __init__(self, model: type[Model], *, many: bool = False, **kwargs: Any) -> None:
        self.nested_model = model
        self.many = many
        super().__init__(**kwargs)

    @property
    def python_types(self) -> tuple[type, ...]:  # type: ignore[override]
        return (list, tuple) if self.many else (self.nested_model,)

    def to_python(self, raw: Any) -> Any:
        return self.load(raw, None)

    def load(self, raw: Any, session: Session | None) -> Any:
        if raw is None:
            return None
        if self.many:
            return [self.nested_model.from_api(item, session) for item in raw]
        return self.nested_model.from_api(raw, session)

    def to_api(self, value: Any) -> Any:
        if value is None:
            return None
        if self.many:
            return [item.to_api() for item in value]
        return value.to_api()

    def coerce(self, value: Any) -> Any:
        if self.many and not all(isinstance(item, self.nested_model) for item in value):
            self.type_error(value)
        return list(value) if self.many else value

    def validate(self, value: Any, language: str = "en-US", label: str | None = None) -> list[str]:
        if value is None:
            return super().validate(value, language, label)
        return [msg for msgs in self.item_errors(value, language).values() for msg in msgs]

    def item_errors(self, value: Any, language: str = "en-US") -> dict[str, list[str]]:
        """Return the nested objects' messages keyed by dotted path (``lines[0].vat_code``)."""
        if not self.many:
            return {
                f"{self.name}.{key}": msgs for key, msgs in value.errors(language=language).items()
            }
        return {
            f"{self.name}[{index}].{key}": msgs
            for index, item in enumerate(value)
            for key, msgs in item.errors(language=language).items()
        }


class Lines(Nested[G, S]):
    """Nested lines, which the API wraps in an embedded envelope; Python sees a plain list.

    The API sends and takes ``{"_data": [...], "_meta": {"totalCount": n}}``; the attribute is a
    ``list`` of the line model, and a write sends the list back in that envelope.
    """

    @overload
    def __init__(
        self: Lines[list[_M], Never],
        model: type[_M],
        *,
        read_only: Literal[True],
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Lines[list[_M] | None, Never],
        model: type[_M],
        *,
        read_only: Literal[True],
        null: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Lines[list[_M]],
        model: type[_M],
        *,
        read_only: Literal[False] = ...,
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Lines[list[_M] | None],
        model: type[_M],
        *,
        read_only: Literal[False] = ...,
        null: Literal[True] = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: Lines[list[_M] | None],
        model: type[_M],
        *,
        read_only: bool = ...,
        null: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    def __init__(self, model: type[Model], **kwargs: Any) -> None:
        super().__init__(model, many=True, **kwargs)

    def load(self, raw: Any, session: Session | None) -> Any:
        if isinstance(raw, dict):
            raw = raw.get("_data") or []
        return super().load(raw, session)

    def to_api(self, value: Any) -> Any:
        data = super().to_api(value)
        if data is None:
            return None
        return {"_data": data, "_meta": {"totalCount": len(data)}}


class ForeignKey(Field[Any, G, S]):
    """A reference to another model: ``debtor_id`` holds the raw id, ``debtor`` loads the object.

    The id has the type of the target's primary key: an ``int`` for most resources, a ``str``
    for journals and VAT codes (``journal_id == "70"``). ``related_name`` installs a reverse
    accessor on the target model that returns a QuerySet of the objects pointing at it.
    """

    @overload
    def __init__(
        self: ForeignKey[_M, Never],
        to: type[_M],
        *,
        read_only: Literal[True],
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: ForeignKey[_M | None, Never],
        to: type[_M],
        *,
        read_only: Literal[True],
        null: bool = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: ForeignKey[_M],
        to: type[_M],
        *,
        read_only: Literal[False] = ...,
        null: Literal[False],
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(
        self: ForeignKey[_M | None],
        to: type[_M],
        *,
        read_only: Literal[False] = ...,
        null: Literal[True] = ...,
        **kwargs: Any,
    ) -> None: ...
    @overload
    def __init__(self: ForeignKey[Any], to: str, **kwargs: Any) -> None: ...
    def __init__(
        self, to: type[Model] | str, *, related_name: str | None = None, **kwargs: Any
    ) -> None:
        self.to = to
        self.related_name = related_name
        super().__init__(**kwargs)

    def key_field(self) -> Field[Any]:
        """Return the target's primary-key field, which converts and checks the raw id."""
        key: Field[Any] = self.target._meta.pk
        return key

    @property
    def python_types(self) -> tuple[type, ...]:  # type: ignore[override]
        return self.key_field().python_types

    def to_python(self, raw: Any) -> Any:
        return None if raw is None else self.key_field().to_python(raw)

    def to_api(self, value: Any) -> Any:
        return None if value is None else self.key_field().to_api(value)

    def coerce(self, value: Any) -> Any:
        return self.key_field().coerce(value)

    def validate(self, value: Any, language: str = "en-US", label: str | None = None) -> list[str]:
        label = label or display_name(self.api_name)
        if value is None:
            return super().validate(value, language, label)
        return self.key_field().validate(value, language, label)

    def prep(self, value: Any) -> Any:
        if isinstance(value, self.target):
            return self.normalize(value)
        if hasattr(type(value), "_meta"):  # an instance of another model
            raise ValueError(
                f'Cannot query "{value!r}": Must be "{self.target.__name__}" instance.'
            )
        return self.key_field().prep(value)

    def scale(self) -> Scale | None:
        return self.key_field().scale()

    def __set_name__(self, owner: type[Model], name: str) -> None:
        self.api_name = self.api_name or camel_case(f"{name}_id")
        super().__set_name__(owner, name)
        self.attname = f"{name}_id"
        setattr(owner, self.attname, ForeignKeyId(self))

    @property
    def target(self) -> type[Model]:
        """Return the referenced model class (string references are resolved at class setup)."""
        if isinstance(self.to, str):
            raise LookupError(f"{self!r} refers to {self.to!r}, which is not declared yet.")
        return self.to

    def normalize(self, value: Any) -> Any:
        """Return the id of an instance of the target model, or check a plain id."""
        if isinstance(value, self.target):
            if value.pk is None:
                self.type_error(value)
            return value.pk
        return super().normalize(value)

    @overload
    def __get__(self, instance: None, owner: Any) -> Self: ...
    @overload
    def __get__(self, instance: Model, owner: Any) -> G: ...
    def __get__(self, instance: Model | None, owner: Any) -> Self | G:
        if instance is None:
            return self
        value: G = instance._related_object(self)
        return value

    def __set__(self, instance: Model, value: S) -> None:
        self.check_settable()
        instance._set(self, None if value is None else self.normalize(value))
        instance._related_cache()[self.name] = value


class ForeignKeyId:
    """The ``<name>_id`` attribute of a foreign key: the raw id, without loading anything."""

    def __init__(self, field: ForeignKey) -> None:
        self.field = field

    @overload
    def __get__(self, instance: None, owner: Any) -> Self: ...
    @overload
    def __get__(self, instance: Model, owner: Any) -> Any: ...
    def __get__(self, instance: Model | None, owner: Any) -> Any:
        if instance is None:
            return self
        return instance._value(self.field)

    def __set__(self, instance: Model, value: Any) -> None:
        self.field.check_settable()
        instance._set(self.field, None if value is None else self.field.normalize(value))
        if instance._related:
            instance._related.pop(self.field.name, None)
