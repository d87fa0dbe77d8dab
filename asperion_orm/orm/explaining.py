"""``QuerySet.explain()``: the requests and local steps a query would run, without I/O."""

# The methods are typed with their QuerySet as `self`: mypy asks a mixin self-type to be a
# supertype of the mixin, which QuerySet (its subclass) is not ("misc"); use sites still check.
# mypy: disable-error-code="misc"

from __future__ import annotations

from typing import TYPE_CHECKING, Generic

from typing_extensions import TypeVar

from asperion_orm.orm.iterables import DatesIterable, ModelIterable
from asperion_orm.orm.planner import server_part
from asperion_orm.orm.related_rows import describe, select_hops
from asperion_orm.orm.relations import Explainer
from asperion_orm.session import DEFAULT_TIME_ZONE, current_session_or_none

if TYPE_CHECKING:
    from asperion_orm.orm.model import Model
    from asperion_orm.orm.queryset import QuerySet
    from asperion_orm.session import Session

__all__ = ["ExplainMethods"]

M = TypeVar("M", bound="Model")
R = TypeVar("R", default=M)


class ExplainMethods(Generic[M, R]):
    """``QuerySet.explain()`` and the description of its rows."""

    def explain(self: QuerySet[M, R]) -> str:
        """Describe the requests and local steps this query would run, without any I/O.

        Inner queries of lookups across relations come first, in the order they run.
        """
        session = self._session or current_session_or_none()
        if not self._whole():
            return self._explain_rows(session)
        whole = self._unsliced()
        if self.query.combinator:
            lines = [f"{self.query.combinator} of {len(self.query.combined)} queries:"]
            for number, part in enumerate(whole._parts(), 1):
                steps = part._explain_rows(session).splitlines()
                lines += [f"  query {number}: {steps[0]}", *(f"    {s}" for s in steps[1:])]
            by = "id" if self._iterable_class is ModelIterable else "the selected values"
            lines.append(f"local: combine by {by}" + (", keep duplicates" if self._all() else ""))
            if self.query.ordering:
                lines.append(f"local: order by {', '.join(map(str, self.query.ordering))}")
        else:
            lines = [whole._explain_rows(session)]
            if self._iterable_class is DatesIterable:
                lines.append(f"local: truncate to {self._dates[0]}, distinct, sort")
            else:
                lines.append("local: distinct rows (the selected and ordering fields)")
        low, high = self.query.low_mark, self.query.high_mark
        if low or high is not None:
            lines.append(f"local: slice [{low}:{'' if high is None else high}]")
        return "\n".join(lines)

    def _explain_rows(self: QuerySet[M, R], session: Session | None) -> str:
        """Describe the requests of the rows: inner queries first, related rows after."""
        zone = DEFAULT_TIME_ZONE if session is None else session.time_zone
        explainer = Explainer(lambda query: self._plan(session, query), zone)
        query = explainer.query(self.query)
        grouped = query.group_by == "values"  # groups are ordered here, after the related rows
        rows = self._plan(session, query if grouped else server_part(query, whole=True))
        lines = rows.explain().splitlines()
        paths = self._paths(query)
        selected = [select_hops(self.model, name) for name in self._select_related]
        if paths or selected:
            at = next((i for i, line in enumerate(lines) if line.startswith("local:")), None)
            at = at if grouped and at is not None else len(lines)
            related = ["then the related rows, one batched request per relation:"]
            lines[at:at] = [*related, *describe(paths, selected)]
        if query.related_ordering and not grouped:
            lines.append(f"local: order by {', '.join(map(str, query.ordering))}")
            if query.is_sliced:
                high = "" if query.high_mark is None else query.high_mark
                lines.append(f"local: slice [{query.low_mark}:{high}]")
        return explainer.outer("\n".join(lines))
