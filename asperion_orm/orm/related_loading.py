"""Loading related rows into a QuerySet's results: ``select_related()``,
``prefetch_related()`` and the related fields ``values()`` and ``order_by()`` read.

Each relation costs one batched request (ids in URL-bounded chunks), never one per object.
"""

# The methods are typed with their QuerySet as `self`: mypy asks a mixin self-type to be a
# supertype of the mixin, which QuerySet (its subclass) is not ("misc"); use sites still check.
# mypy: disable-error-code="misc"

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic

from typing_extensions import TypeVar

from asperion_orm.exceptions import FieldError
from asperion_orm.orm.fields import ForeignKey
from asperion_orm.orm.iterables import ModelIterable, RawIterable
from asperion_orm.orm.lookups import LOOKUP_SEP
from asperion_orm.orm.related_rows import PathField, attach, path_field, select_hops, sort_rows

if TYPE_CHECKING:
    from asperion_orm.orm.model import Model
    from asperion_orm.orm.query import Query
    from asperion_orm.orm.queryset import QuerySet
    from asperion_orm.session import Session

__all__ = ["RelatedLoading"]

M = TypeVar("M", bound="Model")
R = TypeVar("R", default=M)
Raw = dict[str, Any]


class RelatedLoading(Generic[M, R]):
    """``QuerySet``'s loading of related rows, one batched request per relation."""

    def _paths(self: QuerySet[M, R], query: Query) -> list[PathField]:
        """Return the fields of related rows that values() and the ordering read."""
        ordering = [  # a name without "__" is a field of the model (checked by order_by())
            path_field(self.model, n.lstrip("-"), what="order by")
            for n in query.ordering
            if isinstance(n, str) and LOOKUP_SEP in n
        ]
        fields = [f for f in (*self._row_fields, *ordering) if isinstance(f, PathField)]
        return list({field.name: field for field in fields}.values())

    def _with_paths(
        self: QuerySet[M, R],
        rows: list[Raw],
        paths: list[PathField],
        query: Query,
        session: Session,
    ) -> list[Raw]:
        """Copy the related rows' fields into ``rows``; order and slice by them if asked."""
        attach(
            rows, paths, lambda model, ids, names: self._related_rows(model, ids, names, session)
        )
        if query.related_ordering:
            rows = sort_rows(rows, query.ordering, self.model)[query.low_mark : query.high_mark]
        if self._iterable_class is ModelIterable:
            for row in rows:  # an instance keeps only the API's own fields
                for path in paths:
                    row.pop(path.api_name, None)
        return rows

    def _related_rows(
        self: QuerySet[M, R],
        model: type[Model],
        ids: list[Any],
        names: tuple[str, ...],
        session: Session,
    ) -> dict[Any, Raw]:
        """Return ``{id: raw row}`` of ``model`` with ``names``: one batched request."""
        queryset = model._meta.base_manager.using(session).cache(self._use_cache, ttl=self._ttl)
        queryset = queryset.filter(pk__in=ids).only(*names)
        queryset._iterable_class = RawIterable
        pk = model._meta.pk
        return {pk.to_python(row.get(pk.api_name)): row for row in queryset}

    def _select_into(self: QuerySet[M, R], objs: list[Any], session: Session) -> None:
        """Load the ``select_related`` relations of ``objs``, one batched request each."""
        if self._iterable_class is not ModelIterable or not objs:
            return
        for name in self._select_related:
            level = objs
            for field in select_hops(self.model, name):
                if any(field.name not in (obj._related or ()) for obj in level):
                    self._prefetch_forward(field, level, session)
                found = (obj._related_cache()[field.name] for obj in level)
                level = list({id(obj): obj for obj in found if obj is not None}.values())

    def _relation(self: QuerySet[M, R], name: str) -> ForeignKey:
        """Return the foreign key behind a prefetchable name (forward or ``related_name``)."""
        meta = self.model._meta
        field = meta.fields.get(name) or meta.related_objects.get(name)
        if not isinstance(field, ForeignKey):
            forward = [n for n, f in meta.fields.items() if isinstance(f, ForeignKey)]
            choices = ", ".join(sorted([*forward, *meta.related_objects])) or "(none)"
            raise FieldError(
                f"Cannot prefetch {name!r} on {meta.label}: it is not a relation. "
                f"Choices are: {choices}."
            )
        return field

    def _prefetch_into(self: QuerySet[M, R], objs: list[Any], session: Session) -> None:
        if self._iterable_class is not ModelIterable or not objs:
            return
        for name in self._prefetch:
            field = self._relation(name)
            if field.model is self.model and name == field.name:
                self._prefetch_forward(field, objs, session)
            else:
                self._prefetch_reverse(field, objs, session)

    def _prefetch_forward(
        self: QuerySet[M, R], field: ForeignKey, objs: list[Any], session: Session
    ) -> None:
        ids = {obj._value(field) for obj in objs} - {None}
        manager = field.target._meta.base_manager
        related = manager.using(session).cache(self._use_cache).in_bulk(ids)
        for obj in objs:
            obj._related_cache()[field.name] = related.get(obj._value(field))

    def _prefetch_reverse(
        self: QuerySet[M, R], field: ForeignKey, objs: list[Any], session: Session
    ) -> None:
        assert field.model is not None
        children = field.model._meta.base_manager.using(session).cache(self._use_cache)
        groups: dict[Any, list[Any]] = {obj.pk: [] for obj in objs}
        for child in children.filter(**{f"{field.name}__in": list(groups)}):
            groups[child._value(field)].append(child)
        for obj in objs:
            obj._related_cache()[f"{field.related_name}+"] = groups[obj.pk]
