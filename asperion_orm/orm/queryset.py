"""``QuerySet``: lazy and chainable (every call returns a clone), results cached, Django semantics.

Building a QuerySet never touches the network; the methods under the banner below do, through
the session resolved when they run (``using()`` or the active ``with client.tenant(...)``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from asperion_orm.exceptions import FieldError, NotFound, NotSupportedError
from asperion_orm.orm.aggregates import Aggregate, Count, Star
from asperion_orm.orm.expressions import Col, Expression, OrderBy, Ref
from asperion_orm.orm.fetcher import Fetcher
from asperion_orm.orm.fields import Field, ForeignKey
from asperion_orm.orm.grouping import aggregate_rows
from asperion_orm.orm.planner import Plan, plan
from asperion_orm.orm.q import Q
from asperion_orm.orm.query import Query
from asperion_orm.orm.rows import RowReader
from asperion_orm.orm.where import field_reader
from asperion_orm.session import (
    DEFAULT_BASE_URL,
    Session,
    current_session,
    current_session_or_none,
)

if TYPE_CHECKING:
    from asperion_orm.orm.model import Model
    from asperion_orm.orm.options import Options

__all__ = [
    "FlatValuesListIterable",
    "ModelIterable",
    "QuerySet",
    "RowIterable",
    "ValuesIterable",
    "ValuesListIterable",
]

M = TypeVar("M", bound="Model")
Raw = dict[str, Any]

MAX_GET_RESULTS = 21


# -- ROW SHAPES: what a QuerySet yields for each raw row ----------------------------------------


class RowIterable:
    """Turn the raw rows of a query into what the QuerySet yields (Django's ``ModelIterable``)."""

    def __init__(
        self, queryset: QuerySet[Any], session: Session, rows: Iterable[Raw], plan: Plan | None
    ) -> None:
        self.queryset = queryset
        self.session = session
        self.rows = rows
        self.plan = plan

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError


class ModelIterable(RowIterable):
    """Yield a model instance per row (fields left out by ``only()`` are deferred)."""

    def __iter__(self) -> Iterator[Any]:
        model, session = self.queryset.model, self.session
        deferred = _deferred(model._meta, self.plan)
        annotations = list(self.queryset.query.annotations)
        # Each row was parsed for this query alone, so the instance may keep it uncopied.
        if not annotations:
            return (model._adopt(raw, session, deferred) for raw in self.rows)
        return (_annotated(model._adopt(raw, session, deferred), annotations) for raw in self.rows)


class ValuesIterable(RowIterable):
    """Yield a dict of Python values per row (``values()``)."""

    def __iter__(self) -> Iterator[Any]:
        keys, fields, session = self.queryset._row_keys, self.queryset._row_fields, self.session
        pairs = list(zip(keys, fields, strict=True))
        for raw in self.rows:
            yield {key: field.load(raw.get(field.api_name), session) for key, field in pairs}


class ValuesListIterable(RowIterable):
    """Yield a tuple of Python values per row (``values_list()``)."""

    def __iter__(self) -> Iterator[Any]:
        fields, session = self.queryset._row_fields, self.session
        return (tuple(f.load(raw.get(f.api_name), session) for f in fields) for raw in self.rows)


class FlatValuesListIterable(RowIterable):
    """Yield one Python value per row (``values_list(name, flat=True)``)."""

    def __iter__(self) -> Iterator[Any]:
        field, session = self.queryset._row_fields[0], self.session
        return (field.load(raw.get(field.api_name), session) for raw in self.rows)


class QuerySet(Generic[M]):
    """A lazy query over one model's API resource."""

    def __init__(
        self, model: type[M], query: Query | None = None, session: Session | None = None
    ) -> None:
        self.model = model
        self.query = query or Query(model)
        self._session = session
        self._result_cache: list[Any] | None = None
        self._iterable_class: type[RowIterable] = ModelIterable
        self._row_fields: tuple[Field[Any], ...] = ()
        self._row_keys: tuple[str, ...] = ()
        self._prefetch: tuple[str, ...] = ()
        self._use_cache = True
        self._ttl: float | None = None

    def __repr__(self) -> str:
        if self._result_cache is not None:
            return f"<QuerySet {self._result_cache!r}>"
        return f"<QuerySet {self.model.__name__}: {str(self.query).splitlines()[0]}>"

    def _chain(self) -> QuerySet[M]:
        """Return a copy to change; the copy has no results yet."""
        clone = object.__new__(type(self))  # copy.copy() without its generic protocol
        clone.__dict__.update(self.__dict__)
        clone.query = self.query.clone()
        clone._result_cache = None
        return clone

    # -- chainable methods ---------------------------------------------------------------------

    def all(self) -> QuerySet[M]:
        """Return a copy of this QuerySet."""
        return self._chain()

    def filter(self, *args: Q, **kwargs: Any) -> QuerySet[M]:
        """Return rows matching every condition (``Q`` objects and keyword lookups)."""
        return self._filter(Q(*args, **kwargs))

    def exclude(self, *args: Q, **kwargs: Any) -> QuerySet[M]:
        """Return rows not matching the conditions taken together."""
        return self._filter(~Q(*args, **kwargs))

    def _filter(self, q: Q) -> QuerySet[M]:
        if self.query.is_sliced:
            raise TypeError("Cannot filter a query once a slice has been taken.")
        clone = self._chain()
        clone.query.add_q(q)
        return clone

    def order_by(self, *names: str | Expression | OrderBy) -> QuerySet[M]:
        """Order by fields, annotations or expressions; no names clears the ordering.

        ``"-name"`` is descending; ``F("x").desc(nulls_last=True)`` places NULLs explicitly.
        """
        if self.query.is_sliced:
            raise TypeError("Cannot reorder a query once a slice has been taken.")
        clone = self._chain()
        clone.query.add_ordering(*names)
        return clone

    def reverse(self) -> QuerySet[M]:
        """Reverse the ordering."""
        if self.query.is_sliced:
            raise TypeError("Cannot reverse a query once a slice has been taken.")
        clone = self._chain()
        clone.query.standard_ordering = not clone.query.standard_ordering
        return clone

    def only(self, *names: str) -> QuerySet[M]:
        """Ask the server only for these fields (``fields=``); others read as ``None``."""
        clone = self._chain()
        clone.query.only = tuple(field.name for field in self._fields(names).values())
        return clone

    def values(self, *names: str) -> QuerySet[Any]:
        """Yield dicts of Python values instead of model instances."""
        return self._rows_as(ValuesIterable, names)

    def values_list(self, *names: str, flat: bool = False) -> QuerySet[Any]:
        """Yield tuples of values (or the values themselves with ``flat=True``)."""
        if flat and len(names) != 1:
            raise TypeError(
                "'flat' is not valid when values_list is called with more than one field."
            )
        return self._rows_as(FlatValuesListIterable if flat else ValuesListIterable, names)

    def _rows_as(self, kind: type[RowIterable], names: Sequence[str]) -> QuerySet[Any]:
        clone: QuerySet[Any] = self._chain()
        fields = self._fields(names) if names else self._all_fields()
        if not names:  # values() yields the annotations too
            fields.update(self._fields(self.query.annotations))
        clone._iterable_class = kind
        clone._row_fields = tuple(fields.values())
        clone._row_keys = tuple(fields)
        clone.query.values_select = tuple(fields)
        model_fields = self.model._meta.fields.values()
        clone.query.only = tuple(f.name for f in fields.values() if f in model_fields)
        return clone

    def _fields(self, names: Iterable[str]) -> dict[str, Field[Any]]:
        annotations = self.query.annotations
        return {
            name: Ref(name, annotations[name]).field
            if name in annotations
            else self.model._meta.get_field(name)
            for name in names
        }

    def annotate(self, *args: Expression, **kwargs: Expression) -> QuerySet[M]:
        """Add computed values: expressions per row, aggregates per group (Django's rules).

        On model rows each row is its own group (``Sum("sales_invoices__amount_incl_vat")``
        aggregates its related rows, fetched in batched requests); after ``values(...)`` the
        rows group by the selected fields (``GROUP BY``). A positional aggregate is named as
        Django names it (``Sum("x")`` is ``x__sum``).
        """
        annotations = _named("annotate", args, kwargs)
        clone = self._chain()
        for name, expression in annotations.items():
            clone.query.add_annotation(name, expression)
        if clone._iterable_class is not ModelIterable:
            added = clone._fields(annotations)
            clone._row_fields += tuple(added.values())
            clone._row_keys += tuple(added)
        return clone

    def _all_fields(self) -> dict[str, Field[Any]]:
        return {field.attname: field for field in self.model._meta.fields.values()}

    def prefetch_related(self, *names: str) -> QuerySet[M]:
        """Load these relations for every result in batched requests (no N+1)."""
        for name in names:
            self._relation(name)
        clone = self._chain()
        clone._prefetch = (*self._prefetch, *names) if names else ()
        return clone

    def using(self, session: Session | None) -> QuerySet[M]:
        """Run against ``session`` instead of the active one."""
        clone = self._chain()
        clone._session = session
        return clone

    def cache(self, enabled: bool = True, *, ttl: float | None = None) -> QuerySet[M]:
        """Turn the response cache off, or set its lifetime for this query."""
        clone = self._chain()
        clone._use_cache, clone._ttl = enabled, ttl
        return clone

    def with_params(self, **params: str | int | bool) -> QuerySet[M]:
        """Send server parameters that are not filters (``ActiveState="All"``) on every request.

        Names must not clash with paging, ordering or a field's filter parameters.
        """
        clone = self._chain()
        clone.query.add_params(params)
        return clone

    def none(self) -> QuerySet[M]:
        """Return a QuerySet that matches nothing and never sends a request."""
        clone = self._chain()
        clone.query.set_empty()
        return clone

    def server_only(self) -> QuerySet[M]:
        """Raise ``QueryError`` instead of evaluating any step locally."""
        clone = self._chain()
        clone.query.server_only = True
        return clone

    @property
    def ordered(self) -> bool:
        """Return whether the results have a defined order (groups ignore Meta.ordering)."""
        default = self.query.default_ordering and bool(self.model._meta.ordering)
        return bool(self.query.order_by) or (default and self.query.group_by != "values")

    def explain(self) -> str:
        """Describe the requests and local steps this query would run, without any I/O."""
        return self._plan(self._session or current_session_or_none()).explain()

    def _plan(self, session: Session | None) -> Plan:
        self.model._meta.check_readable()
        if session is None:
            return plan(self.query, DEFAULT_BASE_URL)
        return plan(self.query, session.base_url, session.capabilities, session.time_zone)

    # -- METHODS THAT CALL THE API -------------------------------------------------------------

    def __iter__(self) -> Iterator[M]:
        self._fetch_all()
        assert self._result_cache is not None
        return iter(self._result_cache)

    def __len__(self) -> int:
        self._fetch_all()
        assert self._result_cache is not None
        return len(self._result_cache)

    def __bool__(self) -> bool:
        self._fetch_all()
        return bool(self._result_cache)

    def __getitem__(self, key: int | slice) -> Any:
        _check_index(key)
        if self._result_cache is not None:
            return self._result_cache[key]
        if isinstance(key, slice):
            return self._slice(key)
        rows = list(self._slice(slice(key, key + 1)))
        if not rows:
            raise IndexError("QuerySet index out of range.")
        return rows[0]

    def _slice(self, key: slice) -> Any:
        clone = self._chain()
        clone.query.set_limits(key.start, key.stop)
        return list(clone)[:: key.step] if key.step else clone

    def _fetch_all(self) -> None:
        if self._result_cache is None:
            session = self._resolve_session()
            rows = list(self._iterate(session))
            self._prefetch_into(rows, session)
            self._result_cache = rows

    def iterator(self, chunk_size: int | None = None) -> Iterator[Any]:
        """Stream results page by page (``chunk_size`` rows a page) without caching them.

        Neither this QuerySet nor the response cache keeps the pages, so memory stays flat
        however many rows stream past.
        """
        session = self._resolve_session()
        return self.cache(False)._iterate(session, chunk_size)

    def _iterate(self, session: Session, chunk_size: int | None = None) -> Iterator[Any]:
        plan = self._checked_plan(session)
        rows = self._fetcher(session, plan, chunk_size).rows()
        return iter(self._iterable_class(self, session, rows, plan))

    def count(self) -> int:
        """Return the number of rows: one ``MetaOnly`` request when the server can count."""
        if self._result_cache is not None:
            return len(self._result_cache)
        session = self._resolve_session()
        plan = self._checked_plan(session)
        fetcher = self._fetcher(session, plan)
        if plan.empty or plan.checked_here:
            return sum(1 for _ in fetcher.rows())
        return _clip(fetcher.total(), plan.low, plan.high)

    def aggregate(self, *args: Aggregate, **kwargs: Aggregate) -> dict[str, Any]:
        """Return ``{name: value}`` of aggregates over the rows, computed as they stream.

        The requests ask only for the fields the aggregates read; ``Count("id")`` alone is
        ``count()``: one ``MetaOnly`` request when the server can count.
        """
        aggregates = _named("aggregate", args, kwargs)
        for name, aggregate in aggregates.items():
            if not isinstance(aggregate, Expression) or not aggregate.has_aggregate:
                raise TypeError(f"{name} is not an aggregate expression")
        if not aggregates:
            return {}
        whole = self.query.group_by is not None or self.query.is_sliced
        scope = self.query.outer() if whole else self.query
        resolved = {name: _resolved_aggregate(a, scope) for name, a in aggregates.items()}
        clone = self._chain()
        if not whole:  # otherwise aggregate the groups or the slice, as Django's subquery
            clone.query.add_ordering()
            read = (f.name for aggregate in resolved.values() for f in aggregate.columns())
            clone.query.only = tuple(dict.fromkeys(["id", *read]))
        if all(clone._counts_rows(a) for a in resolved.values()):
            return dict.fromkeys(resolved, clone.count())
        session = self._resolve_session()
        plan = clone._checked_plan(session)
        rows = clone._fetcher(session, plan).rows()
        return aggregate_rows(rows, resolved, session.time_zone)

    def _counts_rows(self, aggregate: Aggregate) -> bool:
        """Tell whether an aggregate is the number of rows (``Count("*")``, ``Count("id")``)."""
        source = aggregate.source
        pk = self.model._meta.pk
        counted = isinstance(source, Star) or (isinstance(source, Col) and source.field is pk)
        return (
            isinstance(aggregate, Count)
            and counted
            and aggregate.condition is None
            and self.query.group_by != "values"
            and not self.query.annotations
        )

    def exists(self) -> bool:
        """Return whether any row matches: one ``pageSize=1`` request when the server can tell.

        When the server only narrows (rows verified here), its first row usually settles it:
        none means no match, a verified one means a match; only otherwise are rows read on.
        """
        if self._result_cache is not None:
            return bool(self._result_cache)
        session = self._resolve_session()
        plan = self._checked_plan(session)
        fetcher = self._fetcher(session, plan)
        if plan.verify and not (plan.local or plan.merged or plan.low or plan.empty):
            head = fetcher.get(plan.page(1, 1))["_data"]
            if not head or plan.verify.matches(field_reader(head[0], plan.time_zone)):
                return bool(head)
        if plan.empty or plan.checked_here:
            return next(iter(fetcher.rows()), None) is not None
        if plan.merged:
            return _clip(fetcher.total(), plan.low, plan.high) > 0
        return bool(fetcher.get(plan.page(plan.low + 1, 1))["_data"])

    def first(self) -> M | None:
        """Return the first row (by id when unordered), or ``None``."""
        queryset = self if self.ordered else self.order_by("id")
        return next(iter(queryset[:1]), None)

    def last(self) -> M | None:
        """Return the last row (by id when unordered), or ``None``."""
        queryset = self.reverse() if self.ordered else self.order_by("-id")
        return next(iter(queryset[:1]), None)

    def get(self, *args: Q, **kwargs: Any) -> M:
        """Return the one matching row; ``get(pk=…)`` is ``GET /path/id``."""
        clone = self.filter(*args, **kwargs) if args or kwargs else self._chain()
        pk = clone.query.pk_value()
        plain = clone._iterable_class is ModelIterable and not clone.query.annotations
        if pk is not None and not clone.query.is_sliced and plain:
            return clone._get_by_pk(pk)
        if not clone.query.is_sliced:
            clone.query.add_ordering()
            clone.query.set_limits(high=MAX_GET_RESULTS)
        return clone._one(list(clone))

    def _get_by_pk(self, pk: Any) -> M:
        session = self._resolve_session()
        try:
            raw = self._fetcher(session, self._plan(session)).get_object(pk)
        except NotFound as exc:
            raise self._does_not_exist() from exc
        if self.query.empty or not self.query.where.matches(field_reader(raw, session.time_zone)):
            raise self._does_not_exist()
        rows = list(ModelIterable(self, session, [raw], None))
        self._prefetch_into(rows, session)
        return rows[0]  # type: ignore[no-any-return]

    def _one(self, rows: list[Any]) -> M:
        if not rows:
            raise self._does_not_exist()
        if len(rows) > 1:
            many = "more than 20" if len(rows) >= MAX_GET_RESULTS else str(len(rows))
            raise self.model.MultipleObjectsReturned(
                f"get() returned more than one {self.model.__name__} -- it returned {many}!"
            )
        return rows[0]  # type: ignore[no-any-return]

    def _does_not_exist(self) -> Exception:
        return self.model.DoesNotExist(f"{self.model.__name__} matching query does not exist.")

    def in_bulk(self, id_list: Iterable[Any] | None = None) -> dict[Any, M]:
        """Return ``{id: object}`` for the given ids (or every row), in batched requests."""
        if self.query.is_sliced:
            raise TypeError("Cannot use 'limit' or 'offset' with in_bulk().")
        if id_list is None:
            return {obj.pk: obj for obj in self}
        ids = list(id_list)
        return {obj.pk: obj for obj in self.filter(pk__in=ids)} if ids else {}

    # -- writes --------------------------------------------------------------------------------

    def create(self, **kwargs: Any) -> M:
        """Create an object with a POST and return it as the API answered."""
        obj = self.model(**kwargs)
        obj.save(using=self._resolve_session())
        return obj

    def bulk_create(self, objs: Sequence[M], *, concurrency: int | None = None) -> list[M]:
        """POST every new object, up to ``concurrency`` at a time; all are validated first."""
        self.model._meta.check_writable(adding=True)
        for obj in objs:
            obj.full_clean(obj._state.changed)
        session = self._resolve_session()
        session.each(lambda obj: obj.save(using=session), objs, concurrency)
        return list(objs)

    def get_or_create(
        self, defaults: dict[str, Any] | None = None, **kwargs: Any
    ) -> tuple[M, bool]:
        """Return ``(object, False)`` if it exists, else create it and return ``(object, True)``."""
        try:
            return self.get(**kwargs), False
        except self.model.DoesNotExist:
            return self.create(**_plain(kwargs), **(defaults or {})), True

    def update_or_create(
        self, defaults: dict[str, Any] | None = None, **kwargs: Any
    ) -> tuple[M, bool]:
        """Update the matching object with ``defaults`` (PATCH), or create it."""
        self.model._meta.check_settable(defaults or {})
        try:
            obj = self.get(**kwargs)
        except self.model.DoesNotExist:
            return self.create(**_plain(kwargs), **(defaults or {})), True
        for name, value in (defaults or {}).items():
            setattr(obj, name, value)
        obj.save(update_fields=list(defaults or {}), using=self._resolve_session())
        return obj, False

    def update(self, **kwargs: Any) -> int:
        """PATCH ``kwargs`` onto every matching object; return how many were changed.

        A value may be an expression of the object's own fields (``F("x") + 1``): each object
        gets the value computed from what it holds.
        """
        self.model._meta.check_writable()
        self.model._meta.check_settable(kwargs)
        computed = {k: self._update_expression(v) for k, v in kwargs.items() if _is_expr(v)}
        plain = {name: value for name, value in kwargs.items() if name not in computed}
        probe = self.model.from_api({})
        for name, value in plain.items():
            setattr(probe, name, value)
        probe.full_clean(plain)
        session = self._resolve_session()
        objs = list(self.using(session))
        zone = session.time_zone

        def patch(obj: M) -> None:
            _patch(obj, _values_for(obj, plain, computed, zone), session)

        session.each(patch, objs)
        return len(objs)

    def _update_expression(self, value: Expression) -> Expression:
        query = Query(self.model)
        resolved = value.resolve(query, allow_joins=False)
        if resolved.has_aggregate:
            raise FieldError("Aggregate functions are not allowed in this query.")
        return resolved

    def delete(self) -> tuple[int, dict[str, int]]:
        """DELETE every matching object; return Django's ``(count, {label: count})``."""
        if self.query.is_sliced:
            raise TypeError("Cannot use 'limit' or 'offset' with delete().")
        self.model._meta.check_writable()
        session = self._resolve_session()
        objs = list(self.using(session))
        session.each(lambda obj: obj.delete(using=session), objs)
        return len(objs), {self.model.__name__: len(objs)}

    # -- helpers of the methods above ----------------------------------------------------------

    def _resolve_session(self) -> Session:
        return self._session or current_session()

    def _checked_plan(self, session: Session) -> Plan:
        plan = self._plan(session)
        if not plan.empty:
            plan.check_local(strict=self.query.server_only or session.strict)
        return plan

    def _fetcher(self, session: Session, plan: Plan, chunk_size: int | None = None) -> Fetcher:
        return Fetcher(session, plan, chunk_size=chunk_size, cache=self._use_cache, ttl=self._ttl)

    def _relation(self, name: str) -> ForeignKey:
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

    def _prefetch_into(self, objs: list[Any], session: Session) -> None:
        if self._iterable_class is not ModelIterable or not objs:
            return
        for name in self._prefetch:
            field = self._relation(name)
            if field.model is self.model and name == field.name:
                self._prefetch_forward(field, objs, session)
            else:
                self._prefetch_reverse(field, objs, session)

    def _prefetch_forward(self, field: ForeignKey, objs: list[Any], session: Session) -> None:
        ids = {obj._state.value(field) for obj in objs} - {None}
        manager = field.target._meta.base_manager
        related = manager.using(session).cache(self._use_cache).in_bulk(ids)
        for obj in objs:
            obj._state.related[field.name] = related.get(obj._state.value(field))

    def _prefetch_reverse(self, field: ForeignKey, objs: list[Any], session: Session) -> None:
        assert field.model is not None
        children = QuerySet(field.model, session=session).cache(self._use_cache)
        groups: dict[Any, list[Any]] = {obj.pk: [] for obj in objs}
        for child in children.filter(**{f"{field.name}__in": list(groups)}):
            groups[child._state.value(field)].append(child)
        for obj in objs:
            obj._state.related[f"{field.related_name}+"] = groups[obj.pk]


def _named(method: str, args: Sequence[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """Return positional and keyword expressions by name (``Sum("x")`` is ``x__sum``)."""
    named: dict[str, Any] = {}
    for arg in args:
        try:
            alias = arg.default_alias
        except (AttributeError, TypeError):
            what = "aggregates" if method == "aggregate" else "annotations"
            raise TypeError(f"Complex {what} require an alias.") from None
        if alias in kwargs:
            raise ValueError(
                f"The named annotation '{alias}' conflicts with the default name for another "
                "annotation."
            )
        named[alias] = arg
    named.update(kwargs)
    return named


def _resolved_aggregate(aggregate: Aggregate, scope: Query) -> Aggregate:
    resolved = aggregate.resolve(scope)
    assert isinstance(resolved, Aggregate)
    if resolved.relation is not None:
        raise NotSupportedError(
            f"aggregate() cannot reach across {resolved.relation.related_name!r}: annotate() "
            "each object with it, or aggregate the related model's QuerySet."
        )
    return resolved


def _is_expr(value: Any) -> bool:
    return isinstance(value, Expression)


def _values_for(
    obj: Any, plain: dict[str, Any], computed: dict[str, Expression], zone: Any
) -> dict[str, Any]:
    """Return the values to PATCH onto ``obj``: the plain ones, and expressions evaluated."""
    reader = RowReader(obj._state.raw, zone)
    return {**plain, **{name: e.evaluate(reader) for name, e in computed.items()}}


def _annotated(obj: Any, names: list[str]) -> Any:
    """Move the annotations out of the instance's raw row into attributes, as Django sets them."""
    raw = obj._state.raw
    for name in names:
        obj.__dict__[name] = raw.pop(Ref.prefix + name, None)
    for key in [key for key in raw if key.startswith("#")]:
        del raw[key]
    return obj


def _deferred(meta: Options, plan: Plan | None) -> frozenset[str]:
    """Return the names of the fields a plan's ``fields=`` parameter leaves out."""
    fetched = dict(plan.params).get("fields") if plan is not None else None
    if fetched is None:
        return frozenset()
    api_names = set(fetched.split(","))
    return frozenset(f.name for f in meta.fields.values() if f.api_name not in api_names)


def _check_index(key: object) -> None:
    """Refuse what Django refuses: non-integer bounds and negative indexes."""
    bounds = (key.start, key.stop, key.step) if isinstance(key, slice) else (key,)
    for bound in bounds:
        if bound is not None and (not isinstance(bound, int) or isinstance(bound, bool)):
            raise TypeError(f"QuerySet indices must be integers or slices, not {bound!r:.40}.")
        if bound is not None and bound < 0:
            raise ValueError("Negative indexing is not supported.")


def _clip(total: int, low: int, high: int | None) -> int:
    top = total if high is None else min(total, high)
    return max(0, top - low)


def _plain(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Return the keyword arguments that name fields, not lookups (for create)."""
    return {key: value for key, value in kwargs.items() if "__" not in key}


def _patch(obj: Any, values: dict[str, Any], session: Session) -> None:
    for name, value in values.items():
        setattr(obj, name, value)
    obj.save(update_fields=list(values), using=session)
