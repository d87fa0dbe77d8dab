"""``Query``: the pure state of a QuerySet (conditions, ordering, window), with no I/O.

Printing a query shows the requests its plan would send (``str(qs.query)``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from asperion_orm.exceptions import FieldError, QueryError
from asperion_orm.orm.lookups import LOOKUP_SEP, Exact, Lookup
from asperion_orm.orm.planner import plan
from asperion_orm.orm.q import Q
from asperion_orm.orm.related_rows import path_field
from asperion_orm.orm.relations import merge_related, related_lookup
from asperion_orm.orm.transforms import make_lookup
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
        self.order_by: tuple[str, ...] = ()
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

    def __str__(self) -> str:
        if self.combinator:
            return "\n".join(str(query) for query in self.combined)
        return str(plan(self))

    def clone(self) -> Query:
        """Return a copy that can change without touching this one (the tree is immutable)."""
        clone = object.__new__(type(self))  # copy.copy() without its generic protocol
        clone.__dict__.update(self.__dict__)
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
        query, run before the plan is made (``relations``).
        """
        name, _, rest = key.partition(LOOKUP_SEP)
        if (related := related_lookup(self, name, rest, value)) is not None:
            return related
        field = self.model._meta.get_field(name)
        names = rest.split(LOOKUP_SEP) if rest else []
        return make_lookup(field, names, value, self.model._meta.label)

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

    def add_ordering(self, *names: str) -> None:
        """Replace the ordering; no names clears it, the model's default included."""
        self.order_by = tuple(self._order_name(name) for name in names)
        self.default_ordering = bool(names)

    def _order_name(self, name: str) -> str:
        if not isinstance(name, str) or name == "?":
            raise FieldError(f"Cannot order {self.model._meta.label} by {name!r}.")
        desc = name.startswith("-")
        field = path_field(self.model, name.lstrip("-"), what="order by")
        return f"-{field.name}" if desc else field.name

    @property
    def related_ordering(self) -> bool:
        """Return whether the ordering reads fields of related rows (``debtor__name``)."""
        return any(LOOKUP_SEP in name for name in self.ordering)

    @property
    def ordering(self) -> tuple[str, ...]:
        """Return the effective ordering, with ``reverse()`` applied."""
        names = self.order_by
        if not names and self.default_ordering:
            names = tuple(self._order_name(name) for name in self.model._meta.ordering)
        if self.standard_ordering:
            return names
        return tuple(name[1:] if name.startswith("-") else f"-{name}" for name in names)

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
