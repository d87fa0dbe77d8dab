"""The writing half of a QuerySet: create, bulk_create, bulk_update, get_or_create,
update_or_create, update and delete.

``WriteMethods`` is a base class of ``QuerySet``; each method resolves the session when it runs
and goes through the model's own ``save()``/``delete()``, so validation, retries and cache
invalidation are the model's.
"""

# The methods are typed with their QuerySet as `self`: mypy asks a mixin self-type to be a
# supertype of the mixin, which QuerySet (its subclass) is not ("misc"); use sites still check.
# mypy: disable-error-code="misc"

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, cast

from typing_extensions import TypeVar

from asperion_orm.exceptions import FieldError
from asperion_orm.orm.expressions import Expression
from asperion_orm.orm.query import Query
from asperion_orm.orm.rows import RowReader

if TYPE_CHECKING:
    from asperion_orm.orm.model import Model
    from asperion_orm.orm.queryset import QuerySet
    from asperion_orm.session import Session

__all__ = ["WriteMethods"]

M = TypeVar("M", bound="Model")
R = TypeVar("R", default=M)


class WriteMethods(Generic[M, R]):
    """``QuerySet``'s methods that POST, PATCH or DELETE."""

    def create(self: QuerySet[M, R], **kwargs: Any) -> M:
        """Create an object with a POST and return it as the API answered."""
        obj = self.model(**kwargs)
        obj.save(using=self._resolve_session())
        return obj

    def bulk_create(
        self: QuerySet[M, R], objs: Sequence[M], *, concurrency: int | None = None
    ) -> list[M]:
        """POST every new object, up to ``concurrency`` at a time; all are validated first."""
        self.model._meta.check_writable(adding=True)
        for obj in objs:
            obj._clean(obj._changed or ())
        session = self._resolve_session()
        session.each(lambda obj: obj.save(using=session), objs, concurrency)
        return list(objs)

    def bulk_update(
        self: QuerySet[M, R],
        objs: Iterable[M],
        fields: Sequence[str],
        batch_size: int | None = None,
    ) -> int:
        """PATCH ``fields`` of every object (concurrently); return how many objects matched.

        Every object is checked before the first request. As in Django, the objects are not
        reloaded, an object the API no longer has is not counted, and within a batch of
        ``batch_size`` objects the first of several with one id wins.
        """
        if batch_size is not None and batch_size <= 0:
            raise ValueError("Batch size must be a positive integer.")
        if not fields:
            raise ValueError("Field names must be given to bulk_update().")
        items = tuple(objs)
        if any(obj.pk is None for obj in items):
            raise ValueError("All bulk_update() objects must have a primary key set.")
        names = self._bulk_update_fields(fields)
        if not items:
            return 0
        self.model._meta.check_writable()
        session = self._resolve_session()
        for obj in items:
            obj._session_for(session)
            obj._clean(names)
        size = batch_size or len(items)
        return sum(
            _patch_batch(items[start : start + size], names, session)
            for start in range(0, len(items), size)
        )

    def _bulk_update_fields(self: QuerySet[M, R], fields: Sequence[str]) -> list[str]:
        meta = self.model._meta
        names = []
        for name in fields:
            if name in meta.related_objects:
                raise ValueError("bulk_update() can only be used with concrete fields.")
            field = meta.get_field(name)
            if field is meta.pk:
                raise ValueError("bulk_update() cannot be used with primary key fields.")
            if field.read_only:
                raise ValueError(
                    f"bulk_update() cannot change {meta.label}.{field.name}: the API sets it."
                )
            names.append(field.name)
        return list(dict.fromkeys(names))

    def get_or_create(
        self: QuerySet[M, R], defaults: Mapping[str, Any] | None = None, **kwargs: Any
    ) -> tuple[M, bool]:
        """Return ``(object, False)`` if it exists, else create it and return ``(object, True)``.

        Callable values in ``defaults`` are called only when the object is created.
        """
        try:
            return self._model_get(kwargs), False
        except self.model.DoesNotExist:
            return self.create(**_resolved(self._create_params(defaults, kwargs))), True

    def update_or_create(
        self: QuerySet[M, R],
        defaults: Mapping[str, Any] | None = None,
        create_defaults: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> tuple[M, bool]:
        """Update the matching object with ``defaults`` (PATCH), or create it.

        A new object gets ``create_defaults`` instead when given (Django 5.0); callable values
        are called only when used.
        """
        update = dict(defaults or {})
        self.model._meta.check_settable(update)
        try:
            obj = self._model_get(kwargs)
        except self.model.DoesNotExist:
            creating = update if create_defaults is None else create_defaults
            return self.create(**_resolved(self._create_params(creating, kwargs))), True
        for name, value in _resolved(update).items():
            setattr(obj, name, value)
        obj.save(update_fields=list(update), using=self._resolve_session())
        return obj, False

    def _model_get(self: QuerySet[M, R], kwargs: Mapping[str, Any]) -> M:
        """Return the one object matching ``kwargs`` (typed as the model, as Django's stubs)."""
        return cast("M", self.get(**kwargs))

    def _create_params(
        self: QuerySet[M, R], defaults: Mapping[str, Any] | None, kwargs: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Return what a create would get (Django's ``_extract_model_params``), checked."""
        params = {**_plain(dict(kwargs)), **(defaults or {})}
        if invalid := sorted(name for name in params if not self.model._meta.has_field(name)):
            raise FieldError(
                f"Invalid field name(s) for model {self.model._meta.label}: '"
                + "', '".join(invalid)
                + "'."
            )
        return params

    def update(self: QuerySet[M, R], **kwargs: Any) -> int:
        """PATCH ``kwargs`` onto every matching object; return how many were changed.

        A value may be an expression of the object's own fields (``F("x") + 1``): each object
        gets the value computed from what it holds.
        """
        self.model._meta.check_writable()
        self._not_support_combined_queries("update")
        self.model._meta.check_settable(kwargs)
        computed = {k: self._update_expression(v) for k, v in kwargs.items() if _is_expr(v)}
        plain = {name: value for name, value in kwargs.items() if name not in computed}
        probe = self.model.from_api({})
        for name, value in plain.items():
            setattr(probe, name, value)
        probe._clean(plain)
        session = self._resolve_session()
        objs: list[Any] = list(self.using(session))
        zone = session.time_zone

        def patch(obj: M) -> None:
            _patch(obj, _values_for(obj, plain, computed, zone), session)

        session.each(patch, objs)
        return len(objs)

    def _update_expression(self: QuerySet[M, R], value: Expression) -> Expression:
        query = Query(self.model)
        resolved = value.resolve(query, allow_joins=False)
        if resolved.has_aggregate:
            raise FieldError("Aggregate functions are not allowed in this query.")
        return resolved

    def delete(self: QuerySet[M, R]) -> tuple[int, dict[str, int]]:
        """DELETE every matching object; return Django's ``(count, {label: count})``."""
        self._not_support_combined_queries("delete")
        if self.query.is_sliced:
            raise TypeError("Cannot use 'limit' or 'offset' with delete().")
        self.model._meta.check_writable()
        session = self._resolve_session()
        objs: list[Any] = list(self.using(session))
        session.each(lambda obj: obj.delete(using=session), objs)
        return len(objs), {self.model.__name__: len(objs)}


def _is_expr(value: Any) -> bool:
    return isinstance(value, Expression)


def _values_for(
    obj: Any, plain: dict[str, Any], computed: dict[str, Expression], zone: Any
) -> dict[str, Any]:
    """Return the values to PATCH onto ``obj``: the plain ones, and expressions evaluated."""
    reader = RowReader(obj._raw, zone)
    return {**plain, **{name: e.evaluate(reader) for name, e in computed.items()}}


def _plain(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Return the keyword arguments that name fields, not lookups (for create)."""
    return {key: value for key, value in kwargs.items() if "__" not in key}


def _resolved(values: Mapping[str, Any]) -> dict[str, Any]:
    """Call the callable values (Django's ``resolve_callables``)."""
    return {name: value() if callable(value) else value for name, value in values.items()}


def _patch_batch(objs: Sequence[Any], names: list[str], session: Session) -> int:
    """PATCH one batch of ``bulk_update()``: once per id, the first object of each; count them."""
    unique: dict[Any, Any] = {}
    for obj in objs:
        unique.setdefault(obj.pk, obj)
    matched: list[bool] = []
    session.each(
        lambda obj: matched.append(obj._patch_fields(names, session)), list(unique.values())
    )
    return sum(matched)


def _patch(obj: Any, values: dict[str, Any], session: Session) -> None:
    for name, value in values.items():
        setattr(obj, name, value)
    obj.save(update_fields=list(values), using=session)
