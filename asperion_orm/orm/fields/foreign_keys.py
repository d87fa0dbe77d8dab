"""``ForeignKey``: a reference to another model, with its ``<name>_id`` attribute."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Never, Self, overload

from asperion_orm.orm.fields.base import _M, Field, G, S, camel_case
from asperion_orm.orm.messages import display_name
from asperion_orm.orm.scales import (
    Scale,
)

if TYPE_CHECKING:
    from asperion_orm.orm.model import Model


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
