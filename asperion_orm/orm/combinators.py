"""``union()``, ``intersection()``, ``difference()``, ``&`` and ``|`` of QuerySets.

``&`` and ``|`` make one query (AND or OR of the conditions). The combinators run every query on
its own, concurrently, and combine the rows here by id (by the selected values after
``values()``, see ``combine.py``); then only ``order_by()``, slices and reads are allowed, as
in Django.
"""

# The methods are typed with their QuerySet as `self`: mypy asks a mixin self-type to be a
# supertype of the mixin, which QuerySet (its subclass) is not ("misc"); use sites still check.
# mypy: disable-error-code="misc"

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, cast

from typing_extensions import TypeVar

from asperion_orm.exceptions import NotSupportedError
from asperion_orm.orm.combine import combine, row_key
from asperion_orm.orm.iterables import ModelIterable
from asperion_orm.orm.planner import Plan, order_rows
from asperion_orm.orm.q import Q
from asperion_orm.orm.where import Where, single

if TYPE_CHECKING:
    from asperion_orm.orm.model import Model
    from asperion_orm.orm.queryset import QuerySet
    from asperion_orm.session import Session

__all__ = ["CombinatorMethods"]

M = TypeVar("M", bound="Model")
R = TypeVar("R", default=M)
QS = TypeVar("QS", bound="QuerySet[Any, Any]")
Raw = dict[str, Any]


class CombinatorMethods(Generic[M, R]):
    """``QuerySet``'s combinators and the ``&``/``|`` operators."""

    def union(self: QuerySet[M, R], *other_qs: QuerySet[Any], all: bool = False) -> QuerySet[M, R]:  # noqa: A002
        """Return the rows of this query or any other (``all=True`` keeps duplicates).

        Every query runs on its own (concurrently); the rows are combined here by id (by the
        selected values after ``values()``). Then only ``order_by()``, slices and the methods
        that read are allowed, as in Django.
        """
        self._check_combinable("union", other_qs)
        if self.query.empty and not self.query.combinator:
            rest = [qs for qs in other_qs if not qs.query.empty]
            if not rest:
                return self
            return rest[0] if len(rest) == 1 else rest[0]._combinator_query("union", rest[1:], all)
        return self._combinator_query("union", other_qs, all)

    def intersection(self: QuerySet[M, R], *other_qs: QuerySet[Any]) -> QuerySet[M, R]:
        """Return the rows this query and every other one match (combined here by id)."""
        self._check_combinable("intersection", other_qs)
        if self.query.empty:
            return self
        for other in other_qs:
            if other.query.empty:
                return other
        return self._combinator_query("intersection", other_qs, False)

    def difference(self: QS, *other_qs: QuerySet[Any]) -> QS:
        """Return the rows of this query that no other one matches (combined here by id)."""
        self._check_combinable("difference", other_qs)
        if self.query.empty:
            return self
        return self._combinator_query("difference", other_qs, False)

    def __and__(self: QuerySet[M, R], other: QuerySet[M, R]) -> QuerySet[M, R]:
        """Return the rows both queries match (Django's ``qs1 & qs2``): one query, AND."""
        self._check_operand(other, "&")
        if self.query.empty:
            return self
        if other.query.empty:
            return other
        combined = self._chain()
        combined.query.where = combined.query.where.add(other.query.where)
        return combined

    def __or__(self: QuerySet[M, R], other: QuerySet[M, R]) -> QuerySet[M, R]:
        """Return the rows either query matches (Django's ``qs1 | qs2``): one query, OR."""
        self._check_operand(other, "|")
        if self.query.empty:
            return other
        if other.query.empty:
            return self
        combined = self._chain()
        either = (self.query.where, other.query.where)
        if all(either):  # one side without conditions matches every row
            combined.query.where = Where((Where(tuple(map(single, either)), Q.OR),))
        else:
            combined.query.where = Where()
        return combined

    def __xor__(self: QS, other: QuerySet[Any]) -> QS:
        """Refuse ``qs1 ^ qs2``: say how to write it."""
        raise NotSupportedError(
            "The ^ operator on QuerySets is not supported: use qs1.filter(Q(a) ^ Q(b)) "
            "spelled out, (qs1 | qs2) minus (qs1 & qs2), or qs1.union(qs2).difference(qs1 & qs2)."
        )

    def _check_operand(self: QuerySet[M, R], other: Any, operator: str) -> None:
        """Refuse what Django's ``&`` and ``|`` refuse."""
        if not isinstance(other, CombinatorMethods):
            raise TypeError(f"Cannot use {operator} operator with {type(other).__name__}.")
        other = cast("QuerySet[Any]", other)
        if self.query.combinator or other.query.combinator:
            raise TypeError(f"Cannot use {operator} operator with combined queryset.")
        if other.model._meta is not self.model._meta:
            raise TypeError("Cannot combine queries on two different base models.")
        if self.query.is_sliced or other.query.is_sliced:
            # Django filters by the slice as a subquery; the API has none to send.
            raise NotSupportedError(
                f"Cannot use {operator} with a sliced query: the API cannot filter by a slice. "
                "Use union() or intersection(), or filter(pk__in=[...]) with the slice's ids."
            )
        if self.query.distinct != other.query.distinct:
            raise TypeError("Cannot combine a unique query with a non-unique query.")

    def _check_combinable(
        self: QuerySet[M, R], kind: str, other_qs: Sequence[QuerySet[Any]]
    ) -> None:
        for other in other_qs:
            if not isinstance(other, CombinatorMethods):
                raise TypeError(f"{kind}() takes QuerySets, not {other!r:.40}.")
            if other.model._meta is not self.model._meta:
                raise NotSupportedError(
                    f"{kind}() combines QuerySets of one model; {self.model._meta.label} and "
                    f"{other.model._meta.label} are different API resources. Evaluate them "
                    "apart and combine the lists."
                )

    def _combinator_query(
        self: QS, kind: str, other_qs: Sequence[QuerySet[Any]], keep_all: bool
    ) -> QS:
        clone = self._chain()
        clone.query.combined = (self.query, *(other.query for other in other_qs))
        clone.query.combinator, clone.query.combinator_all = kind, keep_all
        clone.query.clear_limits()
        clone.query.add_ordering()
        clone.query.where = Where()
        return clone

    def _not_support_combined_queries(self: QuerySet[M, R], method: str) -> None:
        if self._query.combinator:  # read only: a shared query is not copied for it
            raise NotSupportedError(
                f"Calling QuerySet.{method}() after {self.query.combinator}() is not supported."
            )

    def _parts(self: QuerySet[M, R]) -> list[QuerySet[Any]]:
        """Return the combined queries, each asking for the fields this query needs."""
        wanted = self.query.only
        if wanted:
            model_fields = self.model._meta.fields.values()
            read = [f.name for f in self._ordering_fields() if f in model_fields]
            wanted = tuple(dict.fromkeys([*wanted, *read]))
        parts = []
        for query in self.query.combined:
            part: QuerySet[Any] = type(self)(self.model, query.clone(), self._session)
            part._use_cache, part._ttl = self._use_cache, self._ttl
            part._iterable_class, part._row_fields = self._iterable_class, self._row_fields
            if query.combinator is None:
                part.query.only = wanted
            parts.append(part)
        return parts

    def _combined_rows(self: QuerySet[M, R], session: Session) -> tuple[Plan, Iterator[Raw]]:
        parts = self._parts()
        plans = [part._checked_plan(session)[1] for part in parts if not part.query.combinator]
        results: list[list[Raw]] = [[] for _ in parts]

        def read(index: int) -> None:
            part = parts[index]
            if part.query.combinator:
                results[index] = list(part._whole_rows(session)[1])
            else:
                plan = part._checked_plan(session)[1]
                results[index] = list(part._fetcher(session, plan).rows())

        session.each(read, range(len(parts)))
        fields = self._row_fields if self._iterable_class is not ModelIterable else ()
        key = row_key(fields or (self.model._meta.pk,))
        rows = combine(self.query.combinator or "union", results, key, self._all())
        if self.query.ordering:
            rows = order_rows(rows, self.query.ordering, self.model._meta)
        return (plans[0] if plans else self._plan(session)), iter(rows)

    def _all(self: QuerySet[M, R]) -> bool:
        return self.query.combinator == "union" and self.query.combinator_all
