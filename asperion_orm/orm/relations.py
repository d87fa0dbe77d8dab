"""Lookups across relations: conditions on related rows, answered by an inner query first.

The API cannot join. ``SalesInvoice.objects.filter(debtor__city="Utrecht")`` keeps a
``Related`` node: the inner query (debtors in Utrecht) and the keys that tie the two
(``debtorId`` here, the debtor's ``id`` there). Before a plan is made, ``Resolver`` runs each
inner query with ``fields=`` its key and puts ``debtor__in=<the keys it found>`` in the
node's place, so ``Query`` and the planner stay pure. ``Explainer`` does the same without
I/O, for ``explain()``: every inner query's requests, then the outer ones.

Django's rules: in one ``filter()`` call, conditions on the same multi-valued (reverse)
relation hold for the same related row, so they share one inner query; separate calls, and
negated conditions, are independent inner queries. A row with no related row (a null foreign
key, a debtor without invoices) matches as Django's outer join does: only where the condition
holds for a related row of nulls (``payment_condition__description__isnull=True``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from asperion_orm.exceptions import FieldError, NotSupportedError, QueryError
from asperion_orm.orm.fetcher import Fetcher
from asperion_orm.orm.fields import Field, ForeignKey, Lines, Nested
from asperion_orm.orm.lookups import LOOKUP_SEP, LOOKUPS, In, IsNull, Lookup
from asperion_orm.orm.planner import Plan, plan
from asperion_orm.orm.q import Q
from asperion_orm.orm.rows import RowReader
from asperion_orm.orm.where import Where, single

if TYPE_CHECKING:
    from asperion_orm.orm.model import Model
    from asperion_orm.orm.query import Query
    from asperion_orm.session import Session

__all__ = [
    "Explainer",
    "Related",
    "Resolved",
    "Resolver",
    "Subquery",
    "has_related",
    "merge_related",
    "related_lookup",
]

PLACEHOLDER = "..."


@runtime_checkable
class Subquery(Protocol):
    """A QuerySet used as a value (``debtor__in=Debtor.objects.filter(...)``)."""

    def _as_subquery(self) -> tuple[Query, Field[Any] | None]:
        """Return the query and the one field it selects (``None``: the primary key)."""


class Related(In):
    """``field`` IN (the ``inner`` values of the rows of ``query``), before it has run."""

    placeholder = True

    def __init__(
        self,
        field: Field[Any],
        query: Query,
        inner: Field[Any],
        *,
        path: str,
        many: bool = False,
        null_rows: bool = True,
    ) -> None:
        super().__init__(field, (PLACEHOLDER,))
        self.query = query
        self.inner = inner
        self.path = path
        self.many = many
        self.null_rows = null_rows

    def prepare(self, value: Any) -> tuple[Any, ...]:
        return tuple(value)

    @property
    def key(self) -> str:
        where = self.query.where
        return f"{self.path}{LOOKUP_SEP}{where.shape()}" if where else f"{self.path} (any)"

    def params(self) -> list[tuple[str, str]]:
        return [(self.field.api_name, PLACEHOLDER)]

    def evaluate(self, value_of: RowReader) -> bool:
        raise QueryError(f"{self.key} needs its inner query run first (Resolver).")

    def joins(self, other: Related) -> bool:
        """Return whether ``other`` crosses the same relation (so their conditions can merge)."""
        same = (other.field, other.inner, other.path) == (self.field, self.inner, self.path)
        return same and self.null_rows and other.null_rows

    def merged(self, other: Related, connector: str) -> Related:
        """Return one node whose inner query asks for both conditions (one related row)."""
        query = self.query.clone()
        both = Where((single(self.query.where), single(other.query.where)), connector)
        query.where = Where().add(both)  # a query's tree is an AND at the top
        return Related(self.field, query, self.inner, path=self.path, many=self.many)


class Resolved(In):
    """``field__in`` the keys an inner query found (already converted; any number of them)."""

    def prepare(self, value: Any) -> tuple[Any, ...]:
        return tuple(dict.fromkeys(value))


class Pending(In):
    """The keys of inner query ``number``, as ``explain()`` shows them before it runs."""

    placeholder = True

    def __init__(self, field: Field[Any], number: int) -> None:
        super().__init__(field, (number,))
        self.number = number

    def prepare(self, value: Any) -> tuple[Any, ...]:
        return tuple(value)

    @property
    def key(self) -> str:
        return f"{self.field.name}{LOOKUP_SEP}in <ids from query {self.number}>"

    def params(self) -> list[tuple[str, str]]:
        return [(self.field.api_name, f"<{self.number}>")]


# -- building: Query.build_lookup hands a key here first ----------------------------------------


def related_lookup(query: Query, name: str, rest: str, value: Any) -> Where | Lookup | None:
    """Return the node for ``name__rest=value`` when it crosses a relation, else ``None``."""
    meta = query.model._meta
    if name in meta.related_objects and not meta.has_field(name):
        return _reverse(query, meta.related_objects[name], name, rest, value)
    if rest == "in" and isinstance(value, Subquery):
        return _subquery(query, name, value)
    field = meta.fields.get(name)
    first, _, after = rest.partition(LOOKUP_SEP)
    if isinstance(field, Lines | Nested) and rest and first not in LOOKUPS:
        raise NotSupportedError(
            f"Cannot filter {meta.label} by {name}{LOOKUP_SEP}{rest}: the API cannot filter "
            f"on the rows nested in {name!r}. Filter the results in Python instead."
        )
    if not isinstance(field, ForeignKey) or not _is_field(field.target, first):
        return None
    target = field.target._meta
    if (first == "pk" or target.fields.get(first) is target.pk) and _plain(after):
        return query.build_lookup(f"{name}{LOOKUP_SEP}{after or 'exact'}", value)
    inner = type(query)(field.target)
    inner.add_q(Q((rest, value)))
    return Related(field, inner, field.target._meta.pk, path=name)


def _is_field(model: type[Model], name: str) -> bool:
    """Tell whether ``name`` is a field or a reverse relation of ``model``."""
    meta = model._meta
    return name == "pk" or meta.has_field(name) or name in meta.related_objects


def _plain(rest: str) -> bool:
    """Tell whether what follows a field name is a lookup alone (or nothing)."""
    return not rest or (LOOKUP_SEP not in rest and rest in LOOKUPS)


def _reverse(query: Query, fk: ForeignKey, name: str, rest: str, value: Any) -> Where | Lookup:
    """Return ``debtor.sales_invoices…`` as ``id IN (debtorId of the matching invoices)``."""
    model = fk.model
    assert model is not None
    inner = type(query)(model)
    pk = query.model._meta.pk
    if rest == "isnull":
        IsNull(fk, value)  # checks the value
        node = Related(pk, inner, fk, path=name, many=True, null_rows=False)
        return Where((node,), negated=True) if value else node
    if _plain(rest) and not model._meta.has_field(rest):
        rest = f"pk{LOOKUP_SEP}{rest or 'exact'}"
        value = value.pk if isinstance(value, model) else value  # sales_invoices=<invoice>
    inner.add_q(Q((rest, value)))
    return Related(pk, inner, fk, path=name, many=True)


def _subquery(query: Query, name: str, value: Subquery) -> Related:
    """Return ``name__in=<QuerySet>``: the outer field IN the QuerySet's selected field."""
    inner_query, selected = value._as_subquery()
    field = query.model._meta.get_field(name)
    target = inner_query.model
    if selected is None and isinstance(field, ForeignKey) and field.target is not target:
        raise ValueError(
            f'Cannot use QuerySet for "{target.__name__}": Use a QuerySet for '
            f'"{field.target.__name__}".'
        )
    inner = selected or target._meta.pk
    return Related(field, inner_query.clone(), inner, path=name, null_rows=False)


def has_related(where: Where) -> bool:
    """Return whether a condition tree holds a relation condition not yet run."""
    return any(isinstance(lookup, Related) for lookup in where.lookups())


def merge_related(
    children: tuple[Where | Lookup, ...], connector: str, *, many: bool
) -> tuple[Where | Lookup, ...]:
    """Merge the conditions of one node that cross the same relation into one inner query.

    Conditions of one ``filter()`` call on a multi-valued relation (``many``) then hold for
    the same related row, as Django's shared join; under a negation, or across ``filter()``
    calls, Django gives each its own subquery or join. A single-valued (forward) relation may
    merge anywhere, as one related row is all there is.
    """
    merged: list[Where | Lookup] = []
    for child in children:
        mate = next((m for m in merged if _mergeable(m, child, many)), None)
        if mate is None:
            merged.append(child)
            continue
        assert isinstance(mate, Related) and isinstance(child, Related)
        merged[merged.index(mate)] = mate.merged(child, connector)
    return tuple(merged)


def _mergeable(node: Where | Lookup, child: Where | Lookup, many: bool) -> bool:
    if not (isinstance(node, Related) and isinstance(child, Related)):
        return False
    return node.joins(child) and (many or not node.many)


# -- running: replace every relation condition by the keys its inner query matched --------------


class _Walker:
    """Replace the ``Related`` nodes of a query, inner queries first (depth first)."""

    time_zone: dt.tzinfo = dt.UTC

    def query(self, query: Query) -> Query:
        """Return a copy of ``query`` with every relation condition replaced."""
        if not has_related(query.where):
            return query
        clone = query.clone()
        clone.where = self._where(query.where)
        return clone

    def _where(self, where: Where) -> Where:
        children: list[Where | Lookup] = []
        for child in where.children:
            node = self._node(child)
            children.append(node)
            if where.connector == Q.AND and not where.negated and _nothing(node):
                return Where((node,))  # the rest cannot widen an empty answer
        return Where(tuple(children), where.connector, where.negated)

    def _node(self, node: Where | Lookup) -> Where | Lookup:
        if isinstance(node, Where):
            return self._where(node)
        if not isinstance(node, Related):
            return node
        inner = self.query(_keys_only(node.query, node.inner))
        found = self.keys(inner, node.inner, node.key, node.field)
        if not node.null_rows or not inner.where.matches(RowReader({}, self.time_zone)):
            return found
        if not node.many:
            return Where((found, IsNull(node.field, True)), Q.OR)
        # No related row at all matches too: the keys of every related row are excluded.
        every = self.query(_keys_only(_unconditional(node.query), node.inner))
        others = self.keys(every, node.inner, f"{node.path} (any)", node.field)
        return Where((found, Where((others,), negated=True)), Q.OR)

    def keys(self, query: Query, inner: Field[Any], label: str, field: Field[Any]) -> Lookup:
        """Return ``field__in`` the ``inner`` values of ``query``'s rows."""
        raise NotImplementedError


def _nothing(node: Where | Lookup) -> bool:
    return isinstance(node, Resolved) and not node.value


def _keys_only(query: Query, inner: Field[Any]) -> Query:
    """Return ``query`` asking only for the key (``fields=``), unordered unless sliced."""
    clone = query.clone()
    clone.only = (inner.name,)
    if not clone.is_sliced:
        clone.add_ordering()
    return clone


def _unconditional(query: Query) -> Query:
    clone = query.clone()
    clone.where = Where()
    return clone


class Resolver(_Walker):
    """Run the inner queries of relation conditions through one session (the outer one's)."""

    def __init__(
        self, session: Session, *, strict: bool, cache: bool = True, ttl: float | None = None
    ) -> None:
        self.session = session
        self.strict = strict
        self.cache = cache
        self.ttl = ttl
        self.time_zone = session.time_zone

    def plan(self, query: Query) -> Plan:
        """Return the checked plan of an inner query (strict mode refuses local steps)."""
        session = self.session
        inner = plan(query, session.base_url, session.capabilities, session.time_zone)
        if not inner.empty:
            inner.check_local(strict=self.strict or query.server_only)
        return inner

    def keys(self, query: Query, inner: Field[Any], label: str, field: Field[Any]) -> Lookup:
        rows = Fetcher(self.session, self.plan(query), cache=self.cache, ttl=self.ttl).rows()
        return Resolved(field, _values(rows, inner))


def _values(rows: Iterator[dict[str, Any]], field: Field[Any]) -> list[Any]:
    """Return the distinct non-null values of ``field`` in ``rows``, in order."""
    found = (field.to_python(row.get(field.api_name)) for row in rows)
    return list(dict.fromkeys(value for value in found if value is not None))


class Explainer(_Walker):
    """Describe the inner queries' requests in order, without I/O (for ``explain()``)."""

    def __init__(self, planner: Callable[[Query], Plan], time_zone: dt.tzinfo = dt.UTC) -> None:
        self.planner = planner
        self.time_zone = time_zone
        self.lines: list[str] = []
        self.count = 0

    def keys(self, query: Query, inner: Field[Any], label: str, field: Field[Any]) -> Lookup:
        self.count += 1
        what = f"{inner.name} of {query.model._meta.label} for {label}"
        self.lines.append(f"query {self.count}: {what}")
        self.lines += [f"  {line}" for line in self.planner(query).explain().splitlines()]
        return Pending(field, self.count)

    def outer(self, explained: str) -> str:
        """Return the inner queries' lines, then the outer query's, its keys spelled out."""
        if not self.count:
            return explained
        note = "then the query itself, the ids in as few URL-length-bounded requests as fit:"
        text = "\n".join([*self.lines, note, explained])
        for number in range(1, self.count + 1):
            text = text.replace(f"%3C{number}%3E", f"<ids from query {number}>")
        return text


def check_path(model: type[Model], path: str, *, what: str) -> list[ForeignKey]:
    """Return the forward foreign keys a ``a__b__c`` path crosses (``c`` may be any field)."""
    hops: list[ForeignKey] = []
    *names, last = path.split(LOOKUP_SEP)
    for name in names:
        field = model._meta.fields.get(name)
        if name in model._meta.related_objects and field is None:
            raise NotSupportedError(
                f"Cannot {what} {name!r} of {model._meta.label}: it is a reverse (many) "
                "relation, which would repeat each row per related row; the API cannot join. "
                "Aggregate the related rows, or use prefetch_related()."
            )
        if not isinstance(field, ForeignKey):
            raise FieldError(_not_forward(model, name, what))
        hops.append(field)
        model = field.target
    model._meta.get_field(last)
    return hops


def _not_forward(model: type[Model], name: str, what: str) -> str:
    meta = model._meta
    forward = sorted(n for n, f in meta.fields.items() if isinstance(f, ForeignKey))
    return (
        f"Cannot {what} {name!r} of {meta.label}: it is not a foreign key. "
        f"Choices are: {', '.join(forward) or '(none)'}."
    )
