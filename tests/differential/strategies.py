"""The building blocks of random call chains: extend these lists to test a new feature.

A chain is ``<Model>.objects`` followed by steps and one terminal, e.g.
``Debtor.objects.filter(Q(city__icontains='e') | ~Q(blocked=True)).order_by('name', 'id')[2:9]
.values_list('city', flat=True)``. Every block is a :class:`Step`: the text shown when a chain
fails and a function ``apply(queryset, ns)`` that works on both sides (``ns`` is the side's
namespace, see ``harness``).

- :data:`FIELDS` lists, per model, the field paths that conditions draw (name, lookups,
  values). A new lookup or transform is a new entry or a longer ``lookups`` tuple;
  forward relations (``debtor__city``) are entries too. Reverse ones are hand-written cases
  (``test_relations``): Django repeats a row per matching related row.
- :data:`ORDERINGS` lists the names ``order_by`` draws (a tie-breaker on ``id`` is always
  added, so the order is defined on both sides).
- :data:`STEPS` and :data:`TERMINALS` map a model name to strategies of steps; append your
  own (``aggregate``, ``annotate``, ``distinct``...) as functions of the model name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from hypothesis import strategies as st

from differential import data

__all__ = [
    "FIELDS",
    "ORDERINGS",
    "STEPS",
    "TERMINALS",
    "Chain",
    "Condition",
    "Lookups",
    "Step",
    "chains",
]

Apply = Callable[[Any, SimpleNamespace], Any]


@dataclass(frozen=True)
class Step:
    """One call of a chain: ``text`` for the report, ``apply(queryset, ns)`` to run it."""

    text: str
    apply: Apply

    def __repr__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Chain:
    """``<model>.objects`` followed by ``steps``; call it with a namespace to run it."""

    model: str
    steps: tuple[Step, ...]

    def __call__(self, ns: SimpleNamespace) -> Any:
        queryset = getattr(ns, self.model).objects
        for step in self.steps:
            queryset = step.apply(queryset, ns)
        return queryset

    def __repr__(self) -> str:
        return f"{self.model}.objects" + "".join(
            s.text if s.text.startswith("[") else f".{s.text}" for s in self.steps
        )


@dataclass(frozen=True)
class Condition:
    """A ``Q`` tree: ``text`` for the report, ``build(ns)`` makes the side's ``Q``."""

    text: str
    build: Callable[[SimpleNamespace], Any]


# -- values ----------------------------------------------------------------------------------

TEXTS = st.sampled_from(
    ["a", "A", "e", "É", "é", "l", "pha", "BV", " ", "&", "Ed", "alpha", "%", "_", "a_b", ""]
)
TEXT_LOOKUPS = (
    "iexact", "contains", "icontains", "startswith", "istartswith", "endswith", "iendswith",
)  # fmt: skip
ORDER_LOOKUPS = ("gt", "gte", "lt", "lte", "range")
BASIC = ("exact", "in", "isnull")


def _texts(pool: Sequence[str | None]) -> st.SearchStrategy[str]:
    return TEXTS | st.sampled_from([text for text in pool if text is not None])


def _ids(first: int, count: int) -> st.SearchStrategy[int]:
    """Ids the rows have, a few around them, and some past the API's 32-bit integers."""
    return (
        st.sampled_from(range(first + count // 2, first - 2, -1))
        | st.integers(first, first + count + 2)
        | st.sampled_from(BEYOND_INT32)
    )


BEYOND_INT32 = [2**31, 2**31 - 1, -(2**31) - 1, 2**40]


def _instants() -> st.SearchStrategy[dt.datetime]:
    """The rows' datetimes, a millisecond or half of one off them, in UTC or in Amsterdam."""
    zone = dt.timezone(dt.timedelta(hours=1))
    shift = st.sampled_from(
        [
            dt.timedelta(0),
            dt.timedelta(milliseconds=1),
            -dt.timedelta(milliseconds=1),
            dt.timedelta(microseconds=500),
            -dt.timedelta(microseconds=500),
        ]
    )
    return st.builds(
        lambda moment, delta, local: (moment + delta).astimezone(zone if local else dt.UTC),
        st.sampled_from(data.INSTANTS),
        shift,
        st.booleans(),
    )


AMOUNTS = st.sampled_from(
    [*data.AMOUNTS[::-1], Decimal("250"), Decimal("-5.5"), Decimal("500")]
    + [Decimal(text) for text in ("499.995", "500.001", "-0.005", "1E+30", "-1E+30")]
)  # and some with more places than the fields, or past their digits
DATES = st.sampled_from(data.DATES) | st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31))
YEARS = st.integers(2023, 2027)
REGEX_LOOKUPS = ("regex", "iregex")
PATTERNS = st.sampled_from(
    ["^A", "a$", "ph", "[ÉE]", "^$", "b.v", r"\bBV\b", "é|e", "^(Ede|Epe)$", "l{2}", "A & B", ""]
)


@dataclass(frozen=True)
class Lookups:
    """A field path that conditions use, the lookups it takes and its values."""

    name: str
    lookups: tuple[str, ...]
    values: st.SearchStrategy[Any]

    def conditions(self) -> st.SearchStrategy[Condition]:
        """Return conditions ``Q(<name>__<lookup>=<value>)`` over every lookup."""
        return st.one_of(*(self._condition(lookup) for lookup in self.lookups))

    def _condition(self, lookup: str) -> st.SearchStrategy[Condition]:
        key = f"{self.name}__{lookup}"
        return self._values(lookup).map(
            lambda value: Condition(f"Q({key}={value!r})", lambda ns: ns.Q(**{key: value}))
        )

    def _values(self, lookup: str) -> st.SearchStrategy[Any]:
        one = self.values
        if lookup == "in":
            return st.lists(one | st.none(), max_size=4)
        if lookup == "range":
            return st.tuples(one, one)
        if lookup == "isnull":
            return st.booleans()
        if lookup in ("exact", "iexact"):
            return one | st.none()
        return one


TEXT = (*BASIC, *ORDER_LOOKUPS, *TEXT_LOOKUPS)
ORDERED = (*BASIC, *ORDER_LOOKUPS)
RELATED = (*BASIC, "gt", "gte", "lt", "lte")  # Django has no range on a foreign key
DEBTOR_IDS = _ids(data.FIRST_IDS["debtors"], data.DEBTORS)
INVOICE_IDS = _ids(data.FIRST_IDS["salesinvoices"], data.INVOICES)
ARTICLE_IDS = _ids(data.FIRST_IDS["articles"], data.ARTICLES)
CONDITION_IDS = st.integers(1, 4)
CONDITION_TEXTS = TEXTS | st.sampled_from(
    ["30 dagen netto", "14 dagen netto", "Contant", "dagen", "NETTO"]
)

IDS = {"Debtor": DEBTOR_IDS, "Invoice": INVOICE_IDS, "Article": ARTICLE_IDS}

FIELDS: dict[str, list[Lookups]] = {
    "Debtor": [
        Lookups("name", TEXT, _texts(data.NAMES)),
        Lookups("city", TEXT, _texts(data.CITIES)),
        Lookups("id", ORDERED, DEBTOR_IDS),
        Lookups("pk", ("exact", "in"), DEBTOR_IDS),
        Lookups("email_address", TEXT, _texts(data.EMAILS)),
        Lookups("blocked", BASIC, st.booleans()),
        Lookups("payment_condition", RELATED, CONDITION_IDS),
        Lookups("payment_condition_id", BASIC, CONDITION_IDS),
        Lookups("date_added", ORDERED, _instants()),
        Lookups("date_added__year", ORDERED, YEARS),
        Lookups("date_added__date", ORDERED, DATES),
        Lookups("date_added__hour", ORDERED, st.integers(0, 23)),
        Lookups("name", REGEX_LOOKUPS, PATTERNS),
        Lookups("city", REGEX_LOOKUPS, PATTERNS),
        Lookups("payment_condition__description", TEXT, CONDITION_TEXTS),
    ],
    "Invoice": [
        Lookups("description", TEXT, _texts(data.DESCRIPTIONS)),
        Lookups("date", ORDERED, DATES),
        Lookups("id", ORDERED, INVOICE_IDS),
        Lookups("status", BASIC, st.sampled_from([int(s) for s in data.STATUSES])),
        Lookups("amount_incl_vat", ORDERED, AMOUNTS),
        Lookups("debtor", RELATED, DEBTOR_IDS),
        Lookups("payment_condition", BASIC, CONDITION_IDS),
        Lookups("date__year", ORDERED, YEARS),
        Lookups("date__month", ORDERED, st.integers(1, 12)),
        Lookups("date__quarter", ORDERED, st.integers(1, 4)),
        Lookups("date__week_day", BASIC, st.integers(1, 7)),
        Lookups("date__iso_year", ORDERED, YEARS),
        Lookups("debtor__city", TEXT, _texts(data.CITIES)),
        Lookups("debtor__name", TEXT, _texts(data.NAMES)),
        Lookups("debtor__blocked", BASIC, st.booleans()),
        Lookups("debtor__payment_condition__description", TEXT, CONDITION_TEXTS),
        Lookups("debtor__date_added__year", ORDERED, YEARS),
    ],
    "Article": [
        Lookups("price", ORDERED, AMOUNTS),
        Lookups("code", TEXT, st.sampled_from(["A0", "A01", "A039", "a0", "A"]) | TEXTS),
        Lookups("description", TEXT, _texts(data.DESCRIPTIONS)),
        Lookups("id", ORDERED, ARTICLE_IDS),
        Lookups("purchase_price", ORDERED, AMOUNTS),
        Lookups("created_date", ORDERED, _instants()),
        Lookups("created_date__date", ORDERED, DATES),
        Lookups("created_date__week", ORDERED, st.integers(1, 53)),
    ],
}
"""Per model: the field paths random conditions use, with their lookups and values."""

ORDERINGS: dict[str, list[str]] = {
    "Debtor": [
        "name",
        "city",
        "email_address",
        "blocked",
        "date_added",
        "payment_condition",
        "payment_condition__description",
    ],
    "Invoice": [
        "date",
        "description",
        "status",
        "amount_incl_vat",
        "debtor",
        "debtor__city",
        "debtor__payment_condition__description",
    ],
    "Article": ["code", "description", "price", "purchase_price", "created_date"],
}
"""Per model: the names ``order_by`` draws from (each may get a ``-``)."""

VALUES: dict[str, list[str]] = {
    "Debtor": [
        "id",
        "name",
        "city",
        "blocked",
        "date_added",
        "payment_condition",
        "payment_condition__description",
    ],
    "Invoice": [
        "id",
        "date",
        "description",
        "status",
        "amount_incl_vat",
        "debtor",
        "debtor__city",
        "debtor__name",
    ],
    "Article": ["id", "code", "price", "purchase_price", "created_date"],
}
"""Per model: the names ``values()``/``values_list()`` draw from."""


# -- steps -------------------------------------------------------------------------------------


def trees(model: str) -> st.SearchStrategy[Condition]:
    """Return ``Q`` trees of up to five conditions joined with ``&``, ``|`` and ``~``."""
    leaves = st.one_of(*(field.conditions() for field in FIELDS[model]))

    def joined(inner: st.SearchStrategy[Condition]) -> st.SearchStrategy[Condition]:
        pair = st.tuples(inner, inner, st.sampled_from(["&", "|"]))
        both = pair.map(
            lambda p: Condition(
                f"({p[0].text} {p[2]} {p[1].text})",
                (lambda ns: p[0].build(ns) & p[1].build(ns))
                if p[2] == "&"
                else (lambda ns: p[0].build(ns) | p[1].build(ns)),
            )
        )
        negated = inner.map(lambda c: Condition(f"~{c.text}", lambda ns: ~c.build(ns)))
        return both | negated

    return st.recursive(leaves, joined, max_leaves=5)


def _filter(model: str) -> st.SearchStrategy[Step]:
    return st.tuples(st.sampled_from(["filter", "exclude"]), trees(model)).map(
        lambda p: Step(f"{p[0]}({p[1].text})", lambda qs, ns: getattr(qs, p[0])(p[1].build(ns)))
    )


def _order_by(model: str) -> st.SearchStrategy[Step]:
    names = [*ORDERINGS[model], *(f"-{name}" for name in ORDERINGS[model])]
    drawn = st.tuples(
        st.lists(st.sampled_from(names), max_size=2, unique=True), st.sampled_from(["id", "-id"])
    )
    return drawn.map(lambda p: (*p[0], p[1])).map(
        lambda order: Step(f"order_by{order!r}", lambda qs, ns: qs.order_by(*order))
    )


def _reverse(model: str) -> st.SearchStrategy[Step]:
    return st.just(Step("reverse()", lambda qs, ns: qs.reverse()))


SMALL = st.sampled_from([-3, 0, 2, 5, 150])
EXPRESSIONS: dict[
    str, list[tuple[str, Callable[[SimpleNamespace], Any], st.SearchStrategy[Any]]]
] = {
    "Debtor": [('F("id") % 7', lambda ns: ns.F("id") % 7, SMALL)],
    "Invoice": [
        ('F("amount_incl_vat") * 2', lambda ns: ns.F("amount_incl_vat") * 2, SMALL | AMOUNTS),
        (
            'F("amount_incl_vat") - F("status")',
            lambda ns: ns.F("amount_incl_vat") - ns.F("status"),
            SMALL | AMOUNTS,
        ),
        ('-F("status") / 2', lambda ns: -ns.F("status") / 2, SMALL),
    ],
    "Article": [
        ('F("purchase_price") * 3', lambda ns: ns.F("purchase_price") * 3, SMALL | AMOUNTS),
        (
            'F("price") + Value(Decimal("0.5"))',
            lambda ns: ns.F("price") + ns.Value(Decimal("0.5")),
            SMALL | AMOUNTS,
        ),
    ],
}
"""Per model: the expressions ``annotate(x=...)`` steps draw, with the values to compare."""


def _annotate(model: str) -> st.SearchStrategy[Step]:
    """``annotate(x=<expression>)``, then perhaps a filter, exclude or order_by on ``x``.

    An integer expression is compared with integers: a ``Decimal`` for an integer is refused
    by the library's integer fields, where Django truncates it (a difference kept elsewhere).
    """
    then = st.sampled_from(["", "filter", "exclude", "order_by"])

    def step(drawn: tuple[tuple[str, Callable[[SimpleNamespace], Any]], str, Any]) -> Step:
        (text, make), after, value = drawn

        def apply(qs: Any, ns: SimpleNamespace) -> Any:
            qs = qs.annotate(x=make(ns))
            if after == "order_by":
                return qs.order_by("-x", "id")
            return getattr(qs, after)(x__gt=value) if after else qs

        tail = {"": "", "order_by": ".order_by('-x', 'id')"}.get(
            after, f".{after}(x__gt={value!r})"
        )
        return Step(f"annotate(x={text}){tail}", apply)

    expressions = st.sampled_from(EXPRESSIONS[model]).flatmap(
        lambda e: st.tuples(st.just((e[0], e[1])), then, e[2])
    )
    return expressions.map(step)


STEPS: list[Callable[[str], st.SearchStrategy[Step]]] = [_filter, _order_by, _reverse, _annotate]
"""Steps drawn before the slice and the terminal, as functions of the model name."""


def _slice() -> st.SearchStrategy[Step]:
    bounds = st.integers(0, 20).flatmap(
        lambda low: st.tuples(st.just(low), st.none() | st.integers(low, low + 30))
    )
    return bounds.map(lambda b: Step(f"[{b[0]}:{b[1]}]", lambda qs, ns: qs[b[0] : b[1]]))


def _call(text: str, call: Apply) -> Step:
    return Step(text, call)


def _terminals(model: str) -> st.SearchStrategy[Step]:
    names = st.lists(st.sampled_from(VALUES[model]), min_size=1, max_size=3, unique=True)
    ids = IDS[model]
    fixed = [
        _call("all()", lambda qs, ns: qs.all()),
        _call("count()", lambda qs, ns: qs.count()),
        _call("exists()", lambda qs, ns: qs.exists()),
        _call("first()", lambda qs, ns: qs.first()),
        _call("last()", lambda qs, ns: qs.last()),
        _call("get()", lambda qs, ns: qs.get()),
        _call("in_bulk()", lambda qs, ns: qs.in_bulk()),
        _call("__len__()", lambda qs, ns: len(qs)),
        _call("__bool__()", lambda qs, ns: bool(qs)),
    ]
    return st.one_of(
        st.sampled_from(fixed),
        ids.map(lambda pk: _call(f"get(pk={pk})", lambda qs, ns: qs.get(pk=pk))),
        st.lists(ids, max_size=4).map(
            lambda pks: _call(f"in_bulk({pks})", lambda qs, ns: qs.in_bulk(pks))
        ),
        st.integers(0, 20).map(lambda i: _call(f"[{i}]", lambda qs, ns: _index(qs, i))),
        names.map(lambda n: _call(f"values{tuple(n)!r}", lambda qs, ns: qs.values(*n))),
        names.map(lambda n: _call(f"values_list{tuple(n)!r}", lambda qs, ns: qs.values_list(*n))),
        st.sampled_from(VALUES[model]).map(
            lambda n: _call(
                f"values_list({n!r}, flat=True)", lambda qs, ns: qs.values_list(n, flat=True)
            )
        ),
    )


AGGREGATES: dict[str, list[tuple[str, Callable[[SimpleNamespace], Any]]]] = {
    "Debtor": [
        ('Count("id")', lambda ns: ns.Count("id")),
        ('Count("city")', lambda ns: ns.Count("city")),
        ('Count("city", distinct=True)', lambda ns: ns.Count("city", distinct=True)),
        ('Max("name")', lambda ns: ns.Max("name")),
        ('Min("date_added")', lambda ns: ns.Min("date_added")),
        (
            'Count("id", filter=Q(blocked=True))',
            lambda ns: ns.Count("id", filter=ns.Q(blocked=True)),
        ),
    ],
    "Invoice": [
        ('Sum("amount_incl_vat")', lambda ns: ns.Sum("amount_incl_vat")),
        ('Count("id")', lambda ns: ns.Count("id")),
        ('Count("debtor", distinct=True)', lambda ns: ns.Count("debtor", distinct=True)),
        ('Max("date")', lambda ns: ns.Max("date")),
        ('Min("amount_incl_vat", default=0)', lambda ns: ns.Min("amount_incl_vat", default=0)),
        ('Avg("status")', lambda ns: ns.Avg("status")),
        (
            'Sum("amount_incl_vat", filter=Q(status=1))',
            lambda ns: ns.Sum("amount_incl_vat", filter=ns.Q(status=1)),
        ),
        ('Sum(F("amount_incl_vat") * 2)', lambda ns: ns.Sum(ns.F("amount_incl_vat") * 2)),
    ],
    "Article": [
        ('Sum("price")', lambda ns: ns.Sum("price")),
        ('Max("purchase_price")', lambda ns: ns.Max("purchase_price")),
        ('Min("price")', lambda ns: ns.Min("price")),
        ('Count("purchase_price")', lambda ns: ns.Count("purchase_price")),
        ('Sum("price", distinct=True)', lambda ns: ns.Sum("price", distinct=True)),
        ('Max(F("price") * 2)', lambda ns: ns.Max(ns.F("price") * 2)),
    ],
}
"""Per model: the aggregates ``aggregate()`` and ``annotate()`` terminals draw from.

SQLite computes decimal arithmetic in floating point (``500.01 - 500.00`` is
``0.00999999999999091`` there): expressions here stay exact in binary (sums of cents, doubling).
"""

GROUPS: dict[str, list[str]] = {
    "Debtor": ["city", "blocked", "payment_condition"],
    "Invoice": ["status", "debtor", "payment_condition", "date"],
    "Article": ["price", "code"],
}
"""Per model: the fields ``values(...).annotate(...)`` groups by."""


def _aggregates(
    model: str,
) -> st.SearchStrategy[list[tuple[str, Callable[[SimpleNamespace], Any]]]]:
    return st.lists(st.sampled_from(AGGREGATES[model]), min_size=1, max_size=3, unique=True)


def _aggregate_terminals(model: str) -> st.SearchStrategy[Step]:
    """``aggregate(a0=..., a1=...)``, and ``values(field).annotate(...)`` (GROUP BY)."""

    def aggregate(chosen: list[tuple[str, Callable[[SimpleNamespace], Any]]]) -> Step:
        text = ", ".join(f"a{i}={name}" for i, (name, _) in enumerate(chosen))
        return _call(
            f"aggregate({text})",
            lambda qs, ns: qs.aggregate(
                **{f"a{i}": make(ns) for i, (_, make) in enumerate(chosen)}
            ),
        )

    def group(pair: tuple[str, list[tuple[str, Callable[[SimpleNamespace], Any]]]]) -> Step:
        field, chosen = pair
        text = ", ".join(f"a{i}={name}" for i, (name, _) in enumerate(chosen))
        return _call(
            f"values({field!r}).annotate({text})",
            lambda qs, ns: qs.values(field).annotate(
                **{f"a{i}": make(ns) for i, (_, make) in enumerate(chosen)}
            ),
        )

    groups = st.tuples(st.sampled_from(GROUPS[model]), _aggregates(model))
    return _aggregates(model).map(aggregate) | groups.map(group)


def _index(queryset: Any, index: int) -> Any:
    """Return ``queryset[index]``; of an unordered query, only whether it is one of its rows.

    Django leaves the order of an unordered query to the database (SQLite may walk an index),
    so which row sits at ``index`` is not defined there; an ``IndexError`` is.
    """
    found = queryset[index]
    return found if queryset.ordered else ("one of the rows", found in list(queryset.all()))


DATE_FIELDS = {"Debtor": "date_added", "Invoice": "date", "Article": "created_date"}
"""Per model: the date or datetime field ``dates()``/``datetimes()`` and ``latest()`` use."""


def _method_terminals(model: str) -> st.SearchStrategy[Step]:
    """Django's other methods: distinct, latest/earliest, dates/datetimes, contains, combinators."""
    names = st.lists(st.sampled_from(VALUES[model]), min_size=1, max_size=2, unique=True)
    field = DATE_FIELDS[model]
    kinds = ["year", "month", "week", "day"]
    if model != "Invoice":  # a datetime field
        kinds += ["hour", "minute", "second"]
    method = "datetimes" if model != "Invoice" else "dates"
    others = trees(model).map(
        lambda c: (c, lambda ns: getattr(ns, model).objects.filter(c.build(ns)))
    )
    return st.one_of(
        names.map(
            lambda n: _call(
                f"values_list{tuple(n)!r}.distinct()",
                lambda qs, ns: qs.values_list(*n).distinct(),
            )
        ),
        names.map(
            lambda n: _call(
                f"values{tuple(n)!r}.distinct().count()",
                lambda qs, ns: qs.values(*n).distinct().count(),
            )
        ),
        names.map(
            lambda n: _call(
                f"values_list(*{n!r}, named=True)",
                lambda qs, ns: qs.values_list(*n, named=True),
            )
        ),
        st.sampled_from(["latest", "earliest"]).map(
            lambda m: _call(f"{m}({field!r}, 'id')", lambda qs, ns: getattr(qs, m)(field, "id"))
        ),
        st.tuples(st.sampled_from(kinds), st.sampled_from(["ASC", "DESC"])).map(
            lambda p: _call(
                f"{method}({field!r}, {p[0]!r}, {p[1]!r})",
                lambda qs, ns: getattr(qs, method)(field, p[0], p[1]),
            )
        ),
        IDS[model].map(
            lambda pk: _call(
                f"contains({model}.objects.get(pk={pk}))",
                lambda qs, ns: qs.contains(getattr(ns, model).objects.get(pk=pk)),
            )
        ),
        # SQLite refuses ORDER BY and LIMIT in the parts of a compound query: clear the order.
        st.tuples(st.sampled_from(["union", "intersection", "difference"]), others).map(
            lambda p: _call(
                f"order_by().{p[0]}({model}.objects.filter({p[1][0].text}))",
                lambda qs, ns: getattr(qs.order_by(), p[0])(p[1][1](ns)),
            )
        ),
    )


TERMINALS: list[Callable[[str], st.SearchStrategy[Step]]] = [
    _terminals,
    _aggregate_terminals,
    _method_terminals,
]
"""The last call of a chain, as functions of the model name."""


COMBINATORS = ("union", "intersection", "difference")


def chains(model: str) -> st.SearchStrategy[Chain]:
    """Return chains: up to four steps, perhaps a slice once ordered, and a terminal.

    The slice usually comes last; sometimes steps follow it, which Django refuses
    (``TypeError``), and so must the library.
    """
    steps = st.one_of(*(make(model) for make in STEPS))
    terminals = st.one_of(*(make(model) for make in TERMINALS))

    @st.composite
    def chain(draw: st.DrawFn) -> Chain:
        drawn = draw(st.lists(steps, max_size=4))
        ordered = [i for i, step in enumerate(drawn) if step.text.startswith("order_by")]
        if ordered and draw(st.booleans()):
            end = len(drawn)
            at = draw(st.just(end) | st.integers(ordered[0] + 1, end))
            drawn.insert(at, draw(_slice()))
        terminal = draw(terminals)
        if any(f".{name}(" in terminal.text for name in COMBINATORS):
            # SQLite refuses a compound query whose parts select different columns.
            drawn = [step for step in drawn if not step.text.startswith("annotate(")]
        return Chain(model, (*drawn, terminal))

    return chain()
