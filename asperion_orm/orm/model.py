"""``Model``: the declarative base class; instances wrap the raw API dict of one object."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Protocol, Self, TypeVar, cast, dataclass_transform

from asperion_orm import exceptions
from asperion_orm.exceptions import (
    ConfigurationError,
    FieldError,
    NotFound,
    ValidationError,
)
from asperion_orm.orm.fields import Field, ForeignKey, Nested
from asperion_orm.orm.lookups import LOOKUP_SEP
from asperion_orm.orm.manager import ManagerDescriptor, contribute_managers
from asperion_orm.orm.messages import DEFAULT_LANGUAGE, display_name, message
from asperion_orm.orm.options import Options
from asperion_orm.orm.registry import registry
from asperion_orm.orm.storage import ModelState, Stored
from asperion_orm.session import Session, current_session, current_session_or_none

__all__ = ["Model", "ModelState"]

NAME_LIKE = ("name", "code", "description", "number")

E = TypeVar("E", bound=Exception)


class Write(Protocol):
    """A session's write method (``post``, ``put``, ``patch``)."""

    def __call__(
        self, path: str, body: Mapping[str, Any], *, invalidates: Iterable[str] = ()
    ) -> dict[str, Any]: ...


_PER_COPY = frozenset({"_values", "_changed", "_related"})  # a copy changes its own


# For type checkers (PEP 681): a model's annotated fields are its constructor's keyword
# arguments, of the types their descriptors take (``Debtor(nmae="x")`` is an error).
@dataclass_transform(kw_only_default=True)
class Model(Stored):
    """Base class of every resource: declare fields as class attributes and a ``Meta``.

    Annotate each field with its descriptor type (``name: fields.String[str] =
    fields.String(null=False)``) for type checkers to know the constructor's arguments.
    A subclass may set attributes of its own: they go to a ``__dict__``, made on first use.
    """

    __slots__ = ("__dict__", "__weakref__")

    _meta: ClassVar[Options]
    DoesNotExist: ClassVar[type[exceptions.DoesNotExist]] = exceptions.DoesNotExist
    MultipleObjectsReturned: ClassVar[type[exceptions.MultipleObjectsReturned]] = (
        exceptions.MultipleObjectsReturned
    )
    objects = ManagerDescriptor()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._meta = Options(cls, cls.__dict__.get("Meta"))
        cls.DoesNotExist = _subclass_error(cls, cls.DoesNotExist)
        cls.MultipleObjectsReturned = _subclass_error(cls, cls.MultipleObjectsReturned)
        contribute_managers(cls)
        registry.register(cls)

    def __init__(self, **kwargs: Any) -> None:
        self._start({}, None, adding=True)
        for field in self._meta.fields.values():
            if (value := field.initial()) is not None:
                self._set(field, field.normalize(value))
        if unknown := [name for name in kwargs if not self._meta.has_field(name)]:
            raise TypeError(
                f"{type(self).__name__}() got unexpected keyword arguments {unknown}; "
                f"choices are: {', '.join(self._meta.choices(unknown[0]))}."
            )
        self._meta.check_settable(kwargs)
        for name, value in kwargs.items():
            setattr(self, name, value)

    @classmethod
    def from_api(cls, raw: Mapping[str, Any], session: Session | None = None) -> Self:
        """Return an instance wrapping a raw API object; fields convert on first access."""
        return cls._adopt(dict(raw), session)

    @classmethod
    def _adopt(
        cls, raw: dict[str, Any], session: Session | None, deferred: frozenset[str] = frozenset()
    ) -> Self:
        """Return an instance that keeps ``raw`` itself, copying it only before a change."""
        instance = cls.__new__(cls)
        instance._start(raw, session, shared=True)
        if deferred:
            instance._defer(deferred)
        return instance

    def _defer(self, names: frozenset[str]) -> None:
        """Mark fields as not loaded: reading one fetches them (``GET /path/id``), as in Django."""
        self._deferred = names
        if self._values is None:
            self._values = {}  # fields read through _value(), which loads a deferred one

    def __getstate__(self) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """Pickle the data and a subclass's own attributes, never the session.

        The session's client holds tokens and locks; an unpickled object keeps its tenant and
        finds a session of that tenant when it next talks to the API.
        """
        extra, slots = self._stored_state()
        return extra, {**slots, "_session": None, "_shared": False}

    def __copy__(self) -> Self:
        """Return a shallow copy that keeps the session; both copy the row before changing it."""
        extra, slots = self._stored_state()
        clone = type(self).__new__(type(self))
        for name, value in slots.items():
            setattr(clone, name, copy.copy(value) if name in _PER_COPY else value)
        if extra:
            clone.__dict__.update(extra)
        self._shared = clone._shared = True
        return clone

    def _stored_state(self) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """Return ``object``'s state of the instance: its ``__dict__`` (if any), its slots."""
        state = super().__getstate__()
        return cast("tuple[dict[str, Any] | None, dict[str, Any]]", state)

    @property
    def _state(self) -> ModelState:
        """Return Django's ``_state`` (``adding``, ``session``...), a view of the instance."""
        return ModelState(self)

    def get_deferred_fields(self) -> set[str]:
        """Return the attribute names of the fields not loaded yet (``only()``, ``defer()``)."""
        return {self._meta.fields[name].attname for name in self._deferred}

    # -- field storage (the field descriptors read and write through these) -------------

    def _value(self, field: Field[Any]) -> Any:
        """Return a field's Python value, converting the raw API value on first access.

        A value the conversion returns unchanged (a ``str``, an ``int``) is read from the row
        each time; one it made is kept, so that reads agree and in-place changes are seen.
        """
        name = field.name
        values = self._values
        if values is not None:
            if name in values:
                return values[name]
            if name in self._deferred:
                self.refresh_from_db(fields=self._deferred)
                return self._value(field)
        raw = self._raw_value(field.api_name)
        value = field.load(raw, self._session)
        if value is not raw:
            if values is None:
                values = self._values = {}
            values[name] = value
        return value

    def _set(self, field: Field[Any], value: Any) -> None:
        """Store a value assigned by the caller and mark the field changed (no longer deferred)."""
        if self._values is None:
            self._values = {}
        self._values[field.name] = value
        if self._changed is None:
            self._changed = set()
        self._changed.add(field.name)
        if field.name in self._deferred:
            self._deferred -= {field.name}

    def _related_object(self, field: ForeignKey) -> Any:
        """Return the object a foreign key points at, loading it on first access."""
        related = self._related_cache()
        if field.name not in related:
            pk = self._value(field)
            queryset = field.target._meta.base_manager.using(self._session)
            related[field.name] = None if pk is None else queryset.get(pk=pk)
        return related[field.name]

    # -- identity and display ------------------------------------------------------------------

    @property
    def pk(self) -> Any:
        """Return the primary key (``id``)."""
        return self._value(self._meta.pk)

    def __repr__(self) -> str:
        label = next((n for n in NAME_LIKE if n in self._meta.fields), None)
        text = f" {getattr(self, label)!r}" if label else ""
        return f"<{type(self).__name__} {self.pk}{text}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Model) or type(other)._meta is not self._meta:
            return NotImplemented
        return self.pk is not None and self.pk == other.pk

    def __hash__(self) -> int:
        if self.pk is None:
            raise TypeError("Model instances without an id are unhashable.")
        return hash((type(self).__name__, self.pk))

    # -- conversion ----------------------------------------------------------------------------

    def to_api(self, names: Iterable[str] | None = None) -> dict[str, Any]:
        """Return the JSON body of the writable fields (all, or the ones named)."""
        fields = self._fields_named(names) if names is not None else self._meta.writable_fields()
        return {f.api_name: f.to_api(self._value(f)) for f in fields if not f.read_only}

    def errors(
        self, names: Iterable[str] | None = None, *, language: str | None = None
    ) -> dict[str, list[str]]:
        """Return client-side validation messages keyed by attribute path (empty when valid).

        A nested object's messages are keyed by its dotted path (``lines[0].vat_code``). The
        messages are worded as the API's, in ``language`` (default: the language of the
        object's session, else of the active one, else "en-US").
        """
        language = language or self._language()
        fields = self._fields_named(names) if names is not None else self._meta.writable_fields()
        found: dict[str, list[str]] = {}
        for f in fields:
            value = self._value(f)
            if isinstance(f, Nested) and value is not None:
                found.update(f.item_errors(value, language))
            else:
                found[f.name] = f.validate(value, language)
        if self._adding:
            found.update(self._missing_required(language))
        return {name: messages for name, messages in found.items() if messages}

    def _language(self) -> str:
        session = self._session or current_session_or_none()
        return session.language if session is not None else DEFAULT_LANGUAGE

    def full_clean(
        self,
        exclude: Iterable[str] | None = None,
        validate_unique: bool = True,
        validate_constraints: bool = True,
        *,
        remote: bool = False,
        using: Session | None = None,
    ) -> None:
        """Raise ``ValidationError`` when a field (other than those in ``exclude``) is invalid.

        As Django's: ``clean_fields()``, then the ``clean()`` hook, then ``validate_unique()``
        for the fields that passed (the ``Meta.unique`` fields, one ``pageSize=2`` request each;
        none when the model declares none), every message collected. The API has no other
        constraints, so ``validate_constraints`` checks nothing. ``remote=True`` then asks the
        server too, for a new object (``POST …?validateOnly=true``): it raises the error a real
        save would, and creates nothing.
        """
        skipped = self._attribute_names(exclude)
        errors: dict[str, list[str]] = {}
        try:
            self.clean_fields(skipped)
        except ValidationError as exc:
            _merge(errors, exc.errors)
        try:
            self.clean()
        except ValidationError as exc:
            _merge(errors, exc.errors)
        if validate_unique:
            _merge(errors, self._unique_errors(skipped | set(errors), using))
        if errors:
            raise ValidationError(errors)
        if remote:
            self._validate_remotely(using)

    def clean_fields(self, exclude: Iterable[str] | None = None) -> None:
        """Raise ``ValidationError`` for every field (not in ``exclude``) whose value is invalid."""
        skipped = self._attribute_names(exclude)
        if errors := {k: v for k, v in self.errors().items() if k not in skipped}:
            raise ValidationError(errors)

    def clean(self) -> None:
        """Check the object as a whole: a hook for subclasses (raise ``ValidationError``)."""

    def validate_unique(self, exclude: Iterable[str] | None = None) -> None:
        """Raise ``ValidationError`` when another object has a ``Meta.unique`` value of this one."""
        if errors := self._unique_errors(self._attribute_names(exclude), None):
            raise ValidationError(errors)

    def validate_constraints(self, exclude: Iterable[str] | None = None) -> None:
        """Check nothing: the API declares no constraints besides ``Meta.unique``."""

    def serializable_value(self, field_name: str) -> Any:
        """Return the value of a field as stored (a foreign key's id, not the object)."""
        try:
            field = self._meta.get_field(field_name)
        except FieldError:
            return getattr(self, field_name)
        return self._value(field)

    def _attribute_names(self, names: Iterable[str] | None) -> set[str]:
        if isinstance(names, str):
            raise TypeError("exclude takes a list of field names, not a str.")
        return {self._meta.get_field(name).name for name in names or ()}

    def _clean(self, names: Iterable[str] | None) -> None:
        """Raise ``ValidationError`` when the fields about to be sent are not valid (no I/O)."""
        if errors := self.errors(names):
            raise ValidationError(errors)

    def _unique_errors(self, skipped: set[str], using: Session | None) -> dict[str, list[str]]:
        """Return Django's message for each ``Meta.unique`` value another object has."""
        errors: dict[str, list[str]] = {}
        for name in sorted(self._meta.unique - skipped):
            value = self._value(self._meta.fields[name])
            if value is None:
                continue
            manager = self._meta.base_manager.using(self._session_for(using, action="read"))
            holders = manager.filter(**{name: value}).cache(False).values_list("id", flat=True)
            if any(pk != self.pk for pk in holders[:2]):  # one request, never a local filter
                label = name.replace("_", " ").capitalize()
                errors[name] = [f"{type(self).__name__} with this {label} already exists."]
        return errors

    def _validate_remotely(self, using: Session | None) -> None:
        if not self._adding:
            raise ConfigurationError(
                f"This {type(self).__name__} exists already; the API validates new objects only "
                "(validateOnly on a create). Save it to have the server check a change."
            )
        self._meta.check_writable(adding=True)
        session = self._session_for(using)
        body = self._validated(self._changed or ())
        try:
            session.validate(self._meta.check_path(), body)
        except ValidationError as exc:
            raise ValidationError(self._rekeyed(exc.errors)) from exc

    def _missing_required(self, language: str) -> dict[str, list[str]]:
        return {
            field.name: [message(language, "required", field=display_name(field.api_name))]
            for field in self._meta.writable_fields()
            if field.required and self._value(field) is None
        }

    def _fields_named(self, names: Iterable[str]) -> list[Field[Any]]:
        return [self._meta.get_field(name) for name in names]

    def _load(self, raw: Mapping[str, Any], session: Session) -> None:
        """Take a fresh API body (after a read or write) and forget local changes."""
        self._start(dict(raw), session)

    # -- METHODS THAT CALL THE API -------------------------------------------------------------

    def save(
        self,
        *,
        update_fields: Iterable[str] | None = None,
        full: bool = False,
        using: Session | None = None,
        validate_only: bool = False,
    ) -> None:
        """POST when new, else PATCH the changed (or named) fields; ``full=True`` PUTs all.

        ``validate_only=True`` has the server validate a new object without creating it
        (``full_clean(remote=True)``).
        """
        if validate_only:
            self.full_clean(remote=True, using=using)
            return
        self._meta.check_writable(adding=self._adding)
        session = self._session_for(using)
        if self._adding:
            body = self._validated(self._changed or ())
            self._send(session, session.post, self._meta.check_path(), body)
        elif full:
            self._send(session, session.put, self._detail_path(session), self._validated(None))
        elif names := set(self._changed_fields() if update_fields is None else update_fields):
            body = self._validated(names)
            self._send(session, session.patch, self._detail_path(session), body)

    def _changed_fields(self) -> set[str]:
        """Return the assigned fields, and those changed in place (``invoice.lines[0].price``)."""
        return set(self._changed or ()) | {
            name
            for name, value in (self._values or {}).items()
            if (field := self._meta.fields.get(name))
            and field.mutable
            and self._moved(field, value)
        }

    def _moved(self, field: Field[Any], value: Any) -> bool:
        """Return whether a value read from the API no longer serializes as it was read."""
        pristine = field.to_python(self._raw.get(field.api_name))
        return bool(field.to_api(value) != field.to_api(pristine))

    def delete(self, *, using: Session | None = None) -> None:
        """DELETE the object; its id becomes ``None``."""
        self._meta.check_writable()
        session = self._session_for(using, action="deleted")
        session.delete(self._detail_path(session), invalidates=self._meta.invalidates)
        self._owned_raw().pop(self._meta.pk.api_name, None)
        if self._values is not None:
            self._values.pop("id", None)

    def refresh_from_db(
        self,
        using: Session | None = None,
        fields: Iterable[str] | None = None,
        from_queryset: Any = None,
    ) -> None:
        """Reload the object with one ``GET /path/id``, dropping unsaved changes.

        With ``fields``, only those are reloaded: other values, changed or not, stay as they
        are. ``from_queryset`` reads through that QuerySet (its manager's filters apply).
        """
        names = None if fields is None else self._refreshable(fields)
        if names is not None and not names:
            return
        session = self._session_for(using, action="read")
        queryset = self._meta.base_manager.all() if from_queryset is None else from_queryset
        fresh = queryset.using(session).cache(False).get(pk=self.pk)
        if names is None:
            self._load(fresh._raw, session)
        else:
            self._reload(fresh._raw, names, session)

    def _refreshable(self, fields: Iterable[str]) -> list[Field[Any]]:
        if isinstance(fields, str):
            raise TypeError("refresh_from_db(fields=...) takes a list of field names, not a str.")
        names = list(fields)
        if any(LOOKUP_SEP in name for name in names):
            raise ValueError(
                f'Found "{LOOKUP_SEP}" in fields argument. Relations and transforms are not '
                "allowed in fields."
            )
        return [self._meta.get_field(name) for name in names]

    def _reload(self, raw: Mapping[str, Any], fields: list[Field[Any]], session: Session) -> None:
        """Take the named fields of a fresh API body; the others stay as they are."""
        self._session, self._tenant = session, session.tenant
        own = self._owned_raw()
        for field in fields:
            own[field.api_name] = raw.get(field.api_name)
            if self._values:
                self._values.pop(field.name, None)
            if self._changed:
                self._changed.discard(field.name)
            if self._related:
                self._related.pop(field.name, None)
        self._deferred -= {field.name for field in fields}

    def _patch_fields(self, names: list[str], session: Session) -> bool:
        """PATCH the named fields only, keeping the rest as is; ``False`` when the object is gone.

        For ``bulk_update()``, which, as in Django, leaves the objects' other values alone.
        """
        body = self.to_api(names)
        try:
            answer = session.patch(
                self._detail_path(session), body, invalidates=self._meta.invalidates
            )
        except NotFound:
            return False
        except ValidationError as exc:
            raise ValidationError(self._rekeyed(exc.errors)) from exc
        own = self._owned_raw()
        for name in names:
            field = self._meta.fields[name]
            own[field.api_name] = answer.get(field.api_name)
            if self._changed:
                self._changed.discard(name)
        return True

    # -- async twins (Django's names): the sync method on the session's async worker threads ---

    async def asave(
        self,
        *,
        update_fields: Iterable[str] | None = None,
        full: bool = False,
        using: Session | None = None,
        validate_only: bool = False,
    ) -> None:
        """Await ``save()`` without blocking the event loop."""
        session = self._async_session(using)
        await session.run(
            self.save,
            update_fields=update_fields,
            full=full,
            using=using,
            validate_only=validate_only,
        )

    async def adelete(self, *, using: Session | None = None) -> None:
        """Await ``delete()`` without blocking the event loop."""
        await self._async_session(using).run(self.delete, using=using)

    async def arefresh_from_db(
        self,
        using: Session | None = None,
        fields: Iterable[str] | None = None,
        from_queryset: Any = None,
    ) -> None:
        """Await ``refresh_from_db()`` without blocking the event loop."""
        session = self._async_session(using)
        await session.run(self.refresh_from_db, using, fields, from_queryset)

    def _async_session(self, using: Session | None) -> Session:
        """Return the session whose threads run an async twin (the sync method checks it)."""
        return using or current_session(default=self._session)

    def _send(self, session: Session, method: Write, path: str, body: dict[str, Any]) -> None:
        try:
            answer = method(path, body, invalidates=self._meta.invalidates)
        except ValidationError as exc:
            raise ValidationError(self._rekeyed(exc.errors)) from exc
        self._load(answer, session)

    def _rekeyed(self, errors: Mapping[str, list[str]]) -> dict[str, list[str]]:
        """Key server messages by attribute path instead of API path (``lines[0].vat_code``)."""
        rekeyed: dict[str, list[str]] = {}
        for key, messages in errors.items():
            rekeyed.setdefault(python_path(self._meta, key), []).extend(messages)
        return rekeyed

    def _validated(self, names: Iterable[str] | None) -> dict[str, Any]:
        if names is not None:
            # Declaration order, not set order: the same save always sends the same body.
            wanted = {self._meta.get_field(name).name for name in names}
            names = [
                name
                for name, field in self._meta.fields.items()
                if name in wanted and not field.read_only
            ]
        self._clean(names)
        return self.to_api(names)

    def _detail_path(self, session: Session) -> str:
        if self.pk is None:
            raise ConfigurationError(f"{type(self).__name__} has no id: save it first.")
        return session.path(self._meta.check_path(), self.pk)

    def _session_for(self, using: Session | None, action: str = "saved") -> Session:
        """Return the session to act through: never one of another administration."""
        session = using or current_session(default=self._session)
        tenant = self._tenant
        if tenant is not None and tenant != session.tenant:
            raise ConfigurationError(
                f"This {type(self).__name__} belongs to administration {tenant}; "
                f"it cannot be {action} through administration "
                f"{session.tenant}."
            )
        return session


_SEGMENT = re.compile(r"([^.\[\]]+)((?:\[\d+\])*)")


def python_path(meta: Options, key: str) -> str:
    """Return a server error key as a dotted attribute path.

    ``lines._data[0].vatCode`` and ``Lines[0].VatCode`` become ``lines[0].vat_code``; the
    envelope's ``_data`` is left out, and a name no field has is kept as the server wrote it.
    """
    path = ""
    current: Options | None = meta
    for name, indexes in _SEGMENT.findall(key):
        if name == "_data" and path:
            path += indexes
            continue
        field = current.field_for_api_name(name) if current else None
        path += ("." if path else "") + (field.name if field else name) + indexes
        current = field.nested_model._meta if isinstance(field, Nested) else None
    return path or key


def _merge(errors: dict[str, list[str]], more: Mapping[str, list[str]]) -> None:
    for name, messages in more.items():
        errors.setdefault(name, []).extend(messages)


def _subclass_error(model: type[Model], inherited: type[E]) -> type[E]:
    """Return the model's own subclass of an error class it inherited (as Django does)."""
    name = inherited.__name__
    namespace = {"__module__": model.__module__, "__qualname__": f"{model.__qualname__}.{name}"}
    return cast("type[E]", type(name, (inherited,), namespace))
