"""``Query``: the pure state of a QuerySet (conditions, ordering, window), with no I/O.

Printing a query shows the requests its plan would send (``str(qs.query)``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from asperion_orm.exceptions import FieldError, NotSupportedError, QueryError
from asperion_orm.orm.aggregates import Aggregate
from asperion_orm.orm.expression_lookups import AnnotationLookup, ExpressionLookup
from asperion_orm.orm.expressions import (
    Col,
    Column,
    Expression,
    F,
    OrderBy,
    Ref,
)
from asperion_orm.orm.fields import Field, ForeignKey
from asperion_orm.orm.lookups import LOOKUP_SEP, LOOKUPS, Exact, Lookup, lookups_for
from asperion_orm.orm.planner import plan
from asperion_orm.orm.q import Q
from asperion_orm.orm.related_rows import path_field
from asperion_orm.orm.relations import Related, merge_related, related_lookup
from asperion_orm.orm.transforms import TransformedCol, make_lookup, parse_key
from asperion_orm.orm.where import Where, single

if TYPE_CHECKING:
    from asperion_orm.orm.model import Model

__all__ = ["Query"]

# Parameters the library itself sends: a with_params() name may not take their place.
RESERVED_PARAMS = frozenset({"page", "pagesize", "orderby", "fields", "metaonly"})


class Query:
    """Conditions, ordering, window and field selection of one QuerySet."""

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.where = Where()
        self.order_by: tuple[str | OrderBy, ...] = ()
        self.default_ordering = True
        self.standard_ordering = True
        self.low_mark = 0
        self.high_mark: int | None = None
        # The fields ``fields=`` asks for (empty: all), from ``deferred_loading``.
        self.only: tuple[str, ...] = ()
        # Django's pair: (names, True) defers the names, (names, False) loads only them.
        self.deferred_loading: tuple[frozenset[str], bool] = (frozenset(), True)
        self.distinct = False
        # ``union()``/``intersection()``/``difference()``: the queries combined here, by row.
        self.combinator: str | None = None
        self.combined: tuple[Query, ...] = ()
        self.combinator_all = False
        self.empty = False
        self.server_only = False
        self.params: tuple[tuple[str, str], ...] = ()
        self.annotations: dict[str, Expression] = {}
        # The names values()/values_list() select (fields and annotations), else None.
        self.values_select: tuple[str, ...] | None = None
        # None; "row" once an aggregate annotates model rows (each row is its own group); or
        # "values" once one annotates values(): GROUP BY the selected fields, as in Django.
        self.group_by: str | None = None

    def __str__(self) -> str:
        if self.combinator:
            return "\n".join(str(query) for query in self.combined)
        return str(plan(self))

    def clone(self) -> Query:
        """Return a copy that can change without touching this one (the tree is immutable)."""
        clone = object.__new__(type(self))  # copy.copy() without its generic protocol
        clone.__dict__.update(self.__dict__)
        clone.annotations = dict(self.annotations)
        return clone

    # -- conditions ----------------------------------------------------------------------------

    def add_q(self, q: Q) -> None:
        """AND the conditions of ``q`` to the query.

        Conditions on one forward relation from separate calls share an inner query.
        """
        where = self.where.add(self.resolve(q))
        self.where = Where(merge_related(where.children, Q.AND, many=False))

    def resolve(self, q: Q, negated: bool = False) -> Where:
        """Turn a ``Q`` tree into a ``Where`` tree of checked lookups.

        Conditions of one node that cross the same relation merge (one related row), except
        on a multi-valued relation under a negation (``negated``: an ancestor is negated).
        An empty ``Q`` is no condition, negated or not (Django: ``~Q()`` matches every row).
        """
        negated = negated or q.negated
        children: list[Where | Lookup] = []
        for child in q.children:
            if not isinstance(child, Q):
                children.append(self.build_lookup(*child))
            elif node := self.resolve(child, negated):
                children.append(single(node))
        return Where(
            merge_related(tuple(children), q.connector, many=not negated), q.connector, q.negated
        )

    def build_lookup(self, key: str, value: Any) -> Where | Lookup:
        """Return the lookup for ``name__transform…__lookup=value``, checking names and value.

        A key that crosses a relation (``debtor__city``) becomes a node holding the inner
        query, run before the plan is made (``relations``); a key naming an annotation
        becomes a lookup evaluated once the annotation is computed.
        """
        if annotation := self._annotation_in(key):
            lookup_name = key[len(annotation) + len(LOOKUP_SEP) :]
            return self._annotation_lookup(annotation, lookup_name or "exact", value)
        name, _, rest = key.partition(LOOKUP_SEP)
        if (related := related_lookup(self, name, rest, value)) is not None:
            return related
        field = self.model._meta.get_field(name)
        names = rest.split(LOOKUP_SEP) if rest else []
        if isinstance(value, Expression):
            transforms, lookup_name = parse_key(field, names, self.model._meta.label)
            lhs = TransformedCol(field, transforms) if transforms else Col(field)
            return ExpressionLookup(lhs, LOOKUPS[lookup_name], value.resolve(self))
        return make_lookup(field, names, value, self.model._meta.label)

    def _annotation_in(self, key: str) -> str | None:
        """Return the longest annotation name that ``key`` starts with, as Django matches them."""
        names = [n for n in self.annotations if key == n or key.startswith(n + LOOKUP_SEP)]
        return max(names, key=len, default=None)

    def _annotation_lookup(self, name: str, lookup_name: str, value: Any) -> Lookup:
        """Return a lookup on an annotation, evaluated once the annotation is computed."""
        ref = Ref(name, self.annotations[name])
        accepted = lookups_for(ref.field.output or ref.field)
        if lookup_name not in accepted or lookup_name not in LOOKUPS:
            raise FieldError(
                f"Unsupported lookup {lookup_name!r} for the annotation {name!r}. "
                f"Choices are: {', '.join(sorted(accepted))}."
            )
        if isinstance(value, Expression):
            return ExpressionLookup(ref, LOOKUPS[lookup_name], value.resolve(self))
        if value is None:
            return AnnotationLookup(self._none_lookup(ref.field, lookup_name), ref.source)
        return AnnotationLookup(LOOKUPS[lookup_name](ref.field, value), ref.source)

    def _none_lookup(self, field: Field[Any], lookup_name: str) -> Lookup:
        if lookup_name not in ("exact", "iexact"):
            raise ValueError(f"Cannot use None as a query value ({field.name}__{lookup_name}).")
        return LOOKUPS["isnull"](field, True)

    # -- annotations ---------------------------------------------------------------------------

    def check_filtered_relations(self, resolved: Expression) -> None:
        """Refuse an aggregate over a relation an earlier ``filter()`` crossed.

        Django reuses that filter's join, so the aggregate reads only the related rows the
        filter matched; the related rows here are read whole. An aggregate with its own
        ``filter=`` says which related rows it reads, and is taken as written.
        """
        relations = {
            node.relation.related_name
            for node in resolved.walk()
            if isinstance(node, Aggregate) and node.relation is not None and node.condition is None
        }
        for lookup in self.where.lookups():
            if not isinstance(lookup, Related) or not lookup.many:
                continue
            name = lookup.path.split(LOOKUP_SEP)[0]
            if name in relations:
                raise NotSupportedError(
                    f"An aggregate over {name!r} after a filter() across {name!r}: Django would "
                    "aggregate only the related rows that filter matched. Say so in the "
                    f"aggregate, e.g. Sum('{name}__...', filter=Q({name}__...)), and keep the "
                    "filter() for the rows it selects."
                )

    def add_annotation(self, name: str, expression: Any) -> None:
        """Add ``name=expression``, resolved; an aggregate makes the query group as Django's."""
        if not isinstance(expression, Expression):
            raise TypeError(f"QuerySet.annotate() received non-expression(s): {expression!r:.60}.")
        meta = self.model._meta
        if name == "pk" or meta.has_field(name) or name in meta.related_objects:
            raise ValueError(f"The annotation '{name}' conflicts with a field on the model.")
        resolved = expression.resolve(self)
        self.check_filtered_relations(resolved)
        if resolved.has_aggregate:  # Django's group_by = True, or set_group_by() after values()
            self.group_by = "row" if self.values_select is None else "values"
        if name in self.annotations:  # an ordering names it, and Django resolves names late
            self.order_by = tuple(_rebound(item, name, resolved) for item in self.order_by)
        self.annotations[name] = resolved
        if self.values_select is not None and name not in self.values_select:
            self.values_select += (name,)

    def group_keys(self, ordering: tuple[str | OrderBy, ...]) -> list[Expression]:
        """Return the GROUP BY expressions: selected fields and annotations, then the ordering's.

        As Django: the selected fields and non-aggregate annotations, and what an explicit
        ``order_by()`` names (an annotation left out of ``values()`` too).
        """
        keys: dict[str, Expression] = {}
        for name in self.values_select or ():
            source = self.annotations.get(name)
            if source is None:
                key: Expression = Col(path_field(self.model, name, what="select"))
            elif source.has_aggregate:
                continue
            else:
                key = Ref(name, source)
            keys.setdefault(repr(key), key)
        selected = set(self.values_select or ())
        for item in ordering:
            if isinstance(item, str):
                key = Col(path_field(self.model, item.lstrip("-"), what="order by"))
            elif item.expression.has_aggregate:
                continue
            elif isinstance(item.expression, Ref) and item.expression.name in selected:
                continue  # a reference to a selected annotation groups nothing more
            else:
                key = item.expression
            keys.setdefault(repr(key), key)
        return list(keys.values())

    def outer(self) -> Query:
        """Return a scope over this query's results, as Django's subquery for ``aggregate()``.

        Its annotations are the values the rows hold, whatever computed them.
        """
        outer = Query(self.model)
        outer.annotations = {name: Column(name, e) for name, e in self.annotations.items()}
        return outer

    def resolve_name(self, name: str, *, allow_joins: bool = True) -> Expression:
        """Return what ``F(name)`` stands for: an annotation (``Ref``) or a field (``Col``)."""
        if name in self.annotations:
            return Ref(name, self.annotations[name])
        if LOOKUP_SEP in name:
            if not allow_joins:
                raise FieldError("Joined field references are not permitted in this query.")
            raise FieldError(
                f"Cannot resolve {name!r} in an expression on {self.model._meta.label}: an "
                "expression reads the row's own fields (the API cannot join)."
            )
        return Col(self.model._meta.get_field(name))

    def resolve_aggregate(self, aggregate: Aggregate) -> Expression:
        """Resolve an aggregate's source and ``filter``: the own rows, or a reverse relation's."""
        source = aggregate.source
        if isinstance(source, F) and source.name not in self.annotations:
            head, _, rest = source.name.partition(LOOKUP_SEP)
            relation = self.model._meta.related_objects.get(head)
            if relation is not None:
                return self._related_aggregate(aggregate, relation, head, rest)
        condition = None if aggregate.filter is None else self.resolve(aggregate.filter)
        return aggregate.resolved(source.resolve(self), condition)

    def _related_aggregate(
        self, aggregate: Aggregate, relation: ForeignKey, prefix: str, rest: str
    ) -> Expression:
        """Resolve ``Sum("sales_invoices__amount")``: over the rows pointing at each object."""
        assert relation.model is not None
        related = Query(relation.model)
        related.default_ordering = False
        source = F(rest or "pk").resolve(related)
        condition = None
        if aggregate.filter is not None:
            condition = related.resolve(_strip(aggregate.filter, prefix, self.model._meta.label))
        return aggregate.resolved(source, condition, (relation, related))

    def pk_value(self) -> Any:
        """Return the id of a top-level ``id=…`` condition, or ``None``."""
        for child in self.where.children:
            if isinstance(child, Exact) and child.field.name == "id":
                return child.value
        return None

    def add_params(self, params: dict[str, Any]) -> None:
        """Add server parameters that are not filters; a name given again is replaced."""
        checked = dict(self.params)
        for name, value in params.items():
            checked[self._param_name(name)] = _param_value(name, value)
        self.params = tuple(checked.items())

    def _param_name(self, name: Any) -> str:
        if not isinstance(name, str) or not name:
            raise QueryError(f"A server parameter name must be a non-empty str, not {name!r:.40}.")
        taken = {f.api_name.lower() for f in self.model._meta.fields.values()}
        taken |= {f"{api}{suffix}" for api in taken for suffix in ("_from", "_to")}
        if name.lower() in RESERVED_PARAMS | taken:
            raise QueryError(
                f"{name!r} is a paging, ordering or filter parameter of "
                f"{self.model._meta.label}: use filter(), order_by(), only() or a slice for it."
            )
        return name

    def set_empty(self) -> None:
        """Make the query match nothing (``none()``)."""
        self.empty = True

    # -- ordering ------------------------------------------------------------------------------

    def add_ordering(self, *names: str | Expression | OrderBy) -> None:
        """Replace the ordering; no names clears it, the model's default included."""
        self.order_by = tuple(self._order_name(name) for name in names)
        self.default_ordering = bool(names)

    def _order_name(self, name: str | Expression | OrderBy) -> str | OrderBy:
        if isinstance(name, Expression):
            name = name.asc()
        if isinstance(name, OrderBy):
            return _simple_order(name.resolve(self))
        if not isinstance(name, str) or name == "?":
            raise FieldError(f"Cannot order {self.model._meta.label} by {name!r}.")
        desc = name.startswith("-")
        if (bare := name.lstrip("-")) in self.annotations:
            return OrderBy(Ref(bare, self.annotations[bare]), descending=desc)
        field = path_field(self.model, name.lstrip("-"), what="order by")
        return f"-{field.name}" if desc else field.name

    @property
    def related_ordering(self) -> bool:
        """Return whether the ordering reads fields of related rows (``debtor__name``)."""
        return any(isinstance(name, str) and LOOKUP_SEP in name for name in self.ordering)

    @property
    def ordering(self) -> tuple[str | OrderBy, ...]:
        """Return the effective ordering, with ``reverse()`` applied."""
        names = self.order_by
        if not names and self.default_ordering:
            names = tuple(self._order_name(name) for name in self.model._meta.ordering)
        return names if self.standard_ordering else _reversed(names)

    def explicit_ordering(self) -> tuple[str | OrderBy, ...]:
        """Return the ordering given to ``order_by()``: a GROUP BY query ignores Meta.ordering."""
        return self.order_by if self.standard_ordering else _reversed(self.order_by)

    # -- deferred fields ---------------------------------------------------------------------

    def add_deferred_loading(self, names: frozenset[str]) -> None:
        """Defer ``names`` as Django's ``defer()``: taken out of an ``only()`` set if any."""
        existing, defer = self.deferred_loading
        if defer:
            self.deferred_loading = existing | names, True
        else:
            self.deferred_loading = existing - names, False
        self._set_only()

    def add_immediate_loading(self, names: frozenset[str]) -> None:
        """Load only ``names`` as Django's ``only()``: fields deferred before stay deferred."""
        existing, defer = self.deferred_loading
        self.deferred_loading = (names - existing if defer else names), False
        self._set_only()

    def clear_deferred_loading(self) -> None:
        """Load every field again (``defer(None)``)."""
        self.deferred_loading = frozenset(), True
        self.only = ()

    def _set_only(self) -> None:
        names, defer = self.deferred_loading
        pk = self.model._meta.pk.name
        if defer:
            fields = self.model._meta.fields
            kept = [name for name in fields if name not in names or name == pk]
            self.only = () if not names else tuple(kept)
        else:
            # The id is always loaded; the planner adds it to ``fields=``.
            self.only = tuple(name for name in self.model._meta.fields if name in names) or (pk,)

    # -- window --------------------------------------------------------------------------------

    @property
    def is_sliced(self) -> bool:
        """Return whether a slice limits the rows."""
        return self.low_mark != 0 or self.high_mark is not None

    def clear_limits(self) -> None:
        """Remove the slice (``empty`` set by an empty slice stays)."""
        self.low_mark, self.high_mark = 0, None

    def set_limits(self, low: int | None = None, high: int | None = None) -> None:
        """Narrow the window by a slice of the current window, as Django's ``set_limits``."""
        if high is not None:
            top = self.low_mark + high
            self.high_mark = top if self.high_mark is None else min(self.high_mark, top)
        if low is not None:
            start = self.low_mark + low
            self.low_mark = start if self.high_mark is None else min(self.high_mark, start)
        if self.low_mark == self.high_mark:
            self.set_empty()


def _param_value(name: str, value: Any) -> str:
    """Return the query-string text of a server parameter's value (str, int or bool)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int):
        return str(value)
    raise QueryError(f"Server parameter {name!r} takes a str, int or bool, not {value!r:.40}.")


def _reversed(names: tuple[str | OrderBy, ...]) -> tuple[str | OrderBy, ...]:
    return tuple(
        name.reversed()
        if isinstance(name, OrderBy)
        else name[1:]
        if name.startswith("-")
        else f"-{name}"
        for name in names
    )


def _rebound(item: str | OrderBy, name: str, source: Expression) -> str | OrderBy:
    """Return an ordering by annotation ``name`` reading its new expression ``source``."""
    ref = item.expression if isinstance(item, OrderBy) else None
    if isinstance(item, OrderBy) and isinstance(ref, Ref) and ref.name == name:
        return item.rebind(Ref(name, source))
    return item


def _simple_order(order: OrderBy) -> str | OrderBy:
    """Return a plain field ordering as its name (the server may order by it), else as is."""
    if isinstance(order.expression, Col) and order.nulls_first is order.nulls_last is None:
        name = order.expression.field.name
        return f"-{name}" if order.descending else name
    return order


def _strip(q: Q, prefix: str, label: str) -> Q:
    """Return the filter of a related aggregate with the relation's prefix taken off its names."""
    children: list[Q | tuple[str, Any]] = []
    for child in q.children:
        if isinstance(child, Q):
            children.append(_strip(child, prefix, label))
            continue
        key, value = child
        head, _, rest = key.partition(LOOKUP_SEP)
        if head != prefix or not rest:
            raise FieldError(
                f"The filter of an aggregate over {label}.{prefix} names that relation's "
                f"fields ({prefix}__<field>=...), not {key!r}."
            )
        children.append((rest, value))
    return Q(*children, _connector=q.connector, _negated=q.negated)
