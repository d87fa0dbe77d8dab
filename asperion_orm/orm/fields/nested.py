"""Embedded objects: ``Nested`` (one or many path-less models) and ``Lines`` (invoice lines)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Never, overload

from asperion_orm.orm.fields.base import _M, Field, G, S

if TYPE_CHECKING:
    from asperion_orm.orm.model import Model
    from asperion_orm.session import Session


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
