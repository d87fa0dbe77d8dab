"""Fields of single values: numbers, text, e-mail, booleans, decimals, dates, times, choices,
enums and lists of plain values.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, Never, overload

from asperion_orm.exceptions import ValidationError
from asperion_orm.orm.fields._mm import mm, mv
from asperion_orm.orm.fields.base import _E, INT32_MAX, INT32_MIN, MAX_DIGITS, Field, G, S, _short
from asperion_orm.orm.messages import message
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
    pass


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
    prep_warns = True  # a naive value

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
