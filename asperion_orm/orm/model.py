"""``Model``: the declarative base class; instances wrap the raw API dict of one object."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
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
from asperion_orm.session import Session, current_session, current_session_or_none

__all__ = ["Model", "ModelState"]

NAME_LIKE = ("name", "code", "description", "number")

E = TypeVar("E", bound=Exception)


class Write(Protocol):
    """A session's write method (``post``, ``put``, ``patch``)."""

    def __call__(
        self, path: str, body: Mapping[str, Any], *, invalidates: Iterable[str] = ()
    ) -> dict[str, Any]: ...


class ModelState:
    """Per-instance bookkeeping: raw dict, converted values, changes, session, related cache."""

    __slots__ = (
        "_changed",
        "_related",
        "adding",
        "deferred",
        "loader",
        "raw",
        "session",
        "tenant",
        "values",
    )

    def __init__(
        self, raw: dict[str, Any], *, adding: bool, session: Session | None = None
    ) -> None:
        self.raw = raw
        self.adding = adding
        self.session = session
        # The administration the object came from; kept when a pickle drops the session.
        self.tenant: int | None = None if session is None else session.tenant
        self.values: dict[str, Any] = {}
        # Made on first use: most loaded instances are only read, and each object costs.
        self._changed: set[str] | None = None
        self._related: dict[str, Any] | None = None
        # Fields left out by only()/defer(): the first read of one loads them all (``loader``,
        # the instance's ``refresh_from_db(fields=...)``).
        self.deferred: frozenset[str] = frozenset()
        self.loader: Callable[[Iterable[str]], None] | None = None

    @property
    def changed(self) -> set[str]:
        """Return the names of the fields assigned since loading (or since creation)."""
        if self._changed is None:
            self._changed = set()
        return self._changed

    @property
    def related(self) -> dict[str, Any]:
        """Return the related objects loaded so far, by foreign key (or reverse) name."""
        if self._related is None:
            self._related = {}
        return self._related

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the data, never the session (its client holds tokens and locks)."""
        state = {name: getattr(self, name) for name in self.__slots__}
        state.update(session=None, loader=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self, name, value)

    def value(self, field: Field[Any]) -> Any:
        """Return a field's Python value, converting the raw API value on first access."""
        if field.name not in self.values:
            if field.name in self.deferred:
                self.load_deferred()
            self.values[field.name] = field.load(self.raw.get(field.api_name), self.session)
        return self.values[field.name]

    def load_deferred(self) -> None:
        """Load the fields ``only()``/``defer()`` left out, all with one request."""
        assert self.loader is not None
        self.loader(self.deferred)

    def set(self, field: Field[Any], value: Any) -> None:
        """Store a value assigned by the caller and mark the field changed (no longer deferred)."""
        self.values[field.name] = value
        self.changed.add(field.name)
        if field.name in self.deferred:
            self.deferred -= {field.name}

    def related_object(self, field: ForeignKey) -> Any:
        """Return the object a foreign key points at, loading it on first access."""
        if field.name not in self.related:
            pk = self.value(field)
            queryset = field.target._meta.base_manager.using(self.session)
            self.related[field.name] = None if pk is None else queryset.get(pk=pk)
        return self.related[field.name]


# For type checkers (PEP 681): a model's annotated fields are its constructor's keyword
# arguments, of the types their descriptors take (``Debtor(nmae="x")`` is an error).
@dataclass_transform(kw_only_default=True)
class Model:
    """Base class of every resource: declare fields as class attributes and a ``Meta``.

    Annotate each field with its descriptor type (``name: fields.String[str] =
    fields.String(null=False)``) for type checkers to know the constructor's arguments.
    """

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
        self._state = ModelState({}, adding=True)
        for field in self._meta.fields.values():
            if (value := field.initial()) is not None:
                self._state.set(field, field.normalize(value))
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
        """Return an instance that keeps ``raw`` itself: for rows nobody else holds."""
        instance = cls.__new__(cls)
        instance._state = ModelState(raw, adding=False, session=session)
        if deferred:
            instance._defer(deferred)
        return instance

    def _defer(self, names: frozenset[str]) -> None:
        """Mark fields as not loaded: reading one fetches them (``GET /path/id``), as in Django."""
        self._state.deferred = names
        self._state.loader = self._load_deferred

    def _load_deferred(self, names: Iterable[str]) -> None:
        self.refresh_from_db(fields=names)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if self._state.deferred:
            self._state.loader = self._load_deferred

    def get_deferred_fields(self) -> set[str]:
        """Return the attribute names of the fields not loaded yet (``only()``, ``defer()``)."""
        return {self._meta.fields[name].attname for name in self._state.deferred}

    # -- identity and display ------------------------------------------------------------------

    @property
    def pk(self) -> Any:
        """Return the primary key (``id``)."""
        return self._state.value(self._meta.pk)

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
        return {f.api_name: f.to_api(self._state.value(f)) for f in fields if not f.read_only}

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
            value = self._state.value(f)
            if isinstance(f, Nested) and value is not None:
                found.update(f.item_errors(value, language))
            else:
                found[f.name] = f.validate(value, language)
        if self._state.adding:
            found.update(self._missing_required(language))
        return {name: messages for name, messages in found.items() if messages}

    def _language(self) -> str:
        session = self._state.session or current_session_or_none()
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
        return self._state.value(field)

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
            value = self._state.value(self._meta.fields[name])
            if value is None:
                continue
            manager = self._meta.base_manager.using(self._session_for(using, action="read"))
            holders = manager.filter(**{name: value}).cache(False).values_list("id", flat=True)
            if any(pk != self.pk for pk in holders[:2]):  # one request, never a local filter
                label = name.replace("_", " ").capitalize()
                errors[name] = [f"{type(self).__name__} with this {label} already exists."]
        return errors

    def _validate_remotely(self, using: Session | None) -> None:
        if not self._state.adding:
            raise ConfigurationError(
                f"This {type(self).__name__} exists already; the API validates new objects only "
                "(validateOnly on a create). Save it to have the server check a change."
            )
        self._meta.check_writable(adding=True)
        session = self._session_for(using)
        body = self._validated(self._state.changed)
        try:
            session.validate(self._meta.check_path(), body)
        except ValidationError as exc:
            raise ValidationError(self._rekeyed(exc.errors)) from exc

    def _missing_required(self, language: str) -> dict[str, list[str]]:
        return {
            field.name: [message(language, "required", field=display_name(field.api_name))]
            for field in self._meta.writable_fields()
            if field.required and self._state.value(field) is None
        }

    def _fields_named(self, names: Iterable[str]) -> list[Field[Any]]:
        return [self._meta.get_field(name) for name in names]

    def _load(self, raw: Mapping[str, Any], session: Session) -> None:
        """Take a fresh API body (after a read or write) and forget local changes."""
        self._state = ModelState(dict(raw), adding=False, session=session)

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
        self._meta.check_writable(adding=self._state.adding)
        session = self._session_for(using)
        if self._state.adding:
            body = self._validated(self._state.changed)
            self._send(session, session.post, self._meta.check_path(), body)
        elif full:
            self._send(session, session.put, self._detail_path(session), self._validated(None))
        elif names := set(self._changed_fields() if update_fields is None else update_fields):
            body = self._validated(names)
            self._send(session, session.patch, self._detail_path(session), body)

    def _changed_fields(self) -> set[str]:
        """Return the assigned fields, and those changed in place (``invoice.lines[0].price``)."""
        return self._state.changed | {
            name
            for name, value in self._state.values.items()
            if (field := self._meta.fields.get(name))
            and field.mutable
            and self._moved(field, value)
        }

    def _moved(self, field: Field[Any], value: Any) -> bool:
        """Return whether a value read from the API no longer serializes as it was read."""
        pristine = field.to_python(self._state.raw.get(field.api_name))
        return bool(field.to_api(value) != field.to_api(pristine))

    def delete(self, *, using: Session | None = None) -> None:
        """DELETE the object; its id becomes ``None``."""
        self._meta.check_writable()
        session = self._session_for(using, action="deleted")
        session.delete(self._detail_path(session), invalidates=self._meta.invalidates)
        self._state.raw.pop(self._meta.pk.api_name, None)
        self._state.values.pop("id", None)

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
            self._load(fresh._state.raw, session)
        else:
            self._reload(fresh._state.raw, names, session)

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
        state = self._state
        state.session, state.tenant = session, session.tenant
        for field in fields:
            state.raw[field.api_name] = raw.get(field.api_name)
            state.values.pop(field.name, None)
            state.changed.discard(field.name)
            state.related.pop(field.name, None)
        state.deferred -= {field.name for field in fields}
        if not state.deferred:
            state.loader = None

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
        for name in names:
            field = self._meta.fields[name]
            self._state.raw[field.api_name] = answer.get(field.api_name)
            self._state.changed.discard(name)
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
        return using or current_session(default=self._state.session)

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
        known = self._state.session
        session = using or current_session(default=known)
        tenant = self._state.tenant
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
