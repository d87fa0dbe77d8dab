"""Differential test: random queries against the sandbox equal a plain-Python reference.

Random rows are loaded once into a fresh administration; hypothesis then draws query
expressions (filters, excludes, Q trees, orderings, reverse, slices and a terminal method) and
every result must equal what the reference below computes from the same rows with Django's
rules: lookups on ``None`` are false (so ``exclude`` is the exact complement of ``filter``),
``exact=None`` means ``isnull``, ``None`` sorts first ascending, ties by id ascending, and the
``i…`` lookups compare case-insensitively. The reference shares no code with the library.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import asperion_orm as asp
from asperion_orm import Q, fields
from asperion_orm.capabilities import Capabilities
from asperion_orm.resources._managers import AllRowsManager
from asperion_orm.session import Session
from asperion_orm.testing.sandbox import Sandbox

pytestmark = pytest.mark.filterwarnings("ignore::asperion_orm.LocalEvaluationWarning")

EXAMPLES = 500
ROWS = 60


class Row(asp.Model):
    """A debtor with the fields the queries use, paged 15 rows at a time to exercise paging."""

    id = fields.Integer(read_only=True)
    name = fields.String(max_length=100, required=True, null=False)
    city = fields.String(max_length=60)
    phone = fields.String(max_length=30, api_name="phoneNumber")
    email = fields.Email(api_name="emailAddress")
    blocked = fields.Boolean()
    payment_condition_id = fields.Integer()

    class Meta:
        path = "debtors"
        max_page_size = 15
        filterable = ("id", "name", "city", "email", "blocked", "payment_condition_id")
        range_filterable = ("id", "payment_condition_id")


class PriceRow(asp.Model):
    """An article's price, for the decimal lookups (debtors have no amount)."""

    id = fields.Integer(read_only=True)
    code = fields.String(max_length=20, required=True, null=False)
    description = fields.String(max_length=100, required=True, null=False)
    sales_type_id = fields.Integer(required=True)
    price = fields.Decimal(places=2)

    objects: AllRowsManager[PriceRow] = AllRowsManager()

    class Meta:
        path = "articles"
        filterable = ("id", "price")
        range_filterable = ("id", "price")


# -- the data ------------------------------------------------------------------------------------
# Small pools make ties, case variants and prefixes common; every pool avoids characters whose
# lower-case and case-folded forms differ, so "case-insensitive" has one meaning.

NAMES = [
    "Alpha",
    "alpha",
    "ALPHA",
    "Alp",
    "Beta BV",
    "beta bv",
    "Éclair",
    "éclair",
    "Zed",
    "b",
    "A & B",
]
CITIES = [None, "", "Ede", "ede", "Epe", "Delft", "Den Haag", "Ëde"]
PHONES = [None, "06-1", "06-12", "010", "0"]
EMAILS = [None, "a@x.nl", "A@X.NL", "b@y.com"]
LIMITS = [
    None,
    Decimal("0.00"),
    Decimal("10.50"),
    Decimal("10.5"),
    Decimal("99.99"),
    Decimal("1000"),
]
TEXT = st.sampled_from(
    ["", "a", "A", "e", "É", "é", "l", "pha", "BV", " ", "&", "Ed", "alpha", "06"]
)


def make_rows(condition_ids: list[int]) -> list[Row]:
    """Return ROWS seeded-random new rows."""
    rng = random.Random(20261124)
    pick = rng.choice
    return [
        Row(
            name=pick(NAMES),
            city=pick(CITIES),
            phone=pick(PHONES),
            email=pick(EMAILS),
            blocked=pick([True, False]),
            payment_condition_id=pick([None, *condition_ids[:3]]),
        )
        for _ in range(ROWS)
    ]


@dataclass
class Loaded:
    session: Session
    rows: list[dict[str, Any]]
    condition_ids: list[int]
    runs: list[int] = field(default_factory=lambda: [0])


@pytest.fixture(scope="module")
def loaded(asperion_sandbox: Sandbox) -> Iterator[Loaded]:
    """Load the rows once, through the library's own bulk_create, with caching off."""
    tenant = asperion_sandbox.add_administration(records={"debtors": 0})
    client = asperion_sandbox.client(cache_ttl=0)
    session = client.tenant(tenant)
    conditions = [row["id"] for row in asperion_sandbox.state.rows(tenant, "paymentconditions")]
    Row.objects.using(session).bulk_create(make_rows(conditions))
    api_rows = asperion_sandbox.state.rows(tenant, "debtors")
    wanted = {"id", *API.values()}
    yield Loaded(
        session, [{k: v for k, v in r.items() if k in wanted} for r in api_rows], conditions
    )


# -- query expressions ---------------------------------------------------------------------------

API = {
    "id": "id",
    "name": "name",
    "city": "city",
    "phone": "phoneNumber",
    "email": "emailAddress",
    "blocked": "blocked",
    "payment_condition_id": "paymentConditionId",
}
TEXT_LOOKUPS = [
    "iexact",
    "contains",
    "icontains",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
]
ORDER_LOOKUPS = ["gt", "gte", "lt", "lte", "range"]


@dataclass(frozen=True)
class Pools:
    """Ids that exist in the loaded administration, so equality lookups often hit."""

    rows: list[int]
    conditions: list[int]


@dataclass(frozen=True)
class Leaf:
    name: str
    lookup: str
    value: Any


@dataclass(frozen=True)
class Node:
    op: str  # "and", "or", "not"
    children: tuple[Any, ...]


def values_for(name: str, lookup: str, ids: Pools) -> st.SearchStrategy[Any]:
    """Return a strategy of lookup values that Django would accept for ``name__lookup``."""
    pools: dict[str, st.SearchStrategy[Any]] = {
        "id": st.sampled_from(ids.rows) | st.integers(0, 100_000),
        "name": st.sampled_from(NAMES) | TEXT,
        "city": st.sampled_from([c for c in CITIES if c is not None]) | TEXT,
        "phone": st.sampled_from([p for p in PHONES if p is not None]) | TEXT,
        "email": st.sampled_from([e for e in EMAILS if e is not None]),
        "blocked": st.booleans(),
        "payment_condition_id": st.sampled_from(ids.conditions[:4]),
    }
    one = pools[name]
    if lookup == "in":
        return st.lists(one | st.none(), max_size=4)
    if lookup == "range":
        return st.tuples(one, one)
    if lookup == "isnull":
        return st.booleans()
    if lookup == "exact":
        return one | st.none()
    if lookup in TEXT_LOOKUPS:
        return TEXT | one
    return one


def lookups_for(name: str) -> list[str]:
    if name == "blocked":
        return ["exact", "in", "isnull"]
    if name in ("id", "payment_condition_id"):
        return ["exact", "in", "isnull", *ORDER_LOOKUPS]
    return ["exact", "in", "isnull", *ORDER_LOOKUPS, *TEXT_LOOKUPS]


def leaves(ids: Pools) -> st.SearchStrategy[Leaf]:
    """Return conditions on any field with any lookup it supports (strategies built once)."""
    pairs = [(name, lookup) for name in API for lookup in lookups_for(name)]
    values = {pair: values_for(*pair, ids) for pair in pairs}

    @st.composite
    def leaf(draw: st.DrawFn) -> Leaf:
        name, lookup = draw(st.sampled_from(pairs))
        return Leaf(name, lookup, draw(values[name, lookup]))

    return leaf()


def trees(ids: Pools) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves(ids),
        lambda inner: (
            st.builds(
                Node,
                st.sampled_from(["and", "or"]),
                st.tuples(inner, inner) | st.tuples(inner, inner, inner),
            )
            | st.builds(Node, st.just("not"), st.tuples(inner))
        ),
        max_leaves=5,
    )


@dataclass(frozen=True)
class Expr:
    steps: tuple[
        tuple[str, Any], ...
    ]  # ("filter"|"exclude", tree) | ("order", names) | ("reverse", None)
    window: tuple[int, int | None] | None
    terminal: str
    pk: int  # for get(pk=...)


TERMINALS = ["list", "count", "exists", "first", "last", "values_list", "pairs", "get", "get_pk"]
ORDER_NAMES = [*API, *(f"-{n}" for n in API)]


def expressions(ids: Pools) -> st.SearchStrategy[Expr]:
    """Return query expressions (the strategies are built once)."""
    step = st.one_of(
        st.tuples(st.sampled_from(["filter", "exclude"]), trees(ids)),
        st.tuples(st.just("order"), st.lists(st.sampled_from(ORDER_NAMES), max_size=3)),
        st.tuples(st.just("reverse"), st.none()),
    )
    window = st.integers(0, 25).flatmap(
        lambda low: st.tuples(st.just(low), st.none() | st.integers(low, low + 30))
    )
    return st.builds(
        Expr,
        st.lists(step, max_size=4).map(tuple),
        st.none() | window,
        st.sampled_from(TERMINALS),
        st.sampled_from(ids.rows) | st.integers(0, 100_000),
    )


# -- running an expression through the library ---------------------------------------------------


def to_q(tree: Any) -> Q:
    if isinstance(tree, Leaf):
        return Q(**{f"{tree.name}__{tree.lookup}": tree.value})
    if tree.op == "not":
        return ~to_q(tree.children[0])
    combined = to_q(tree.children[0])
    for child in tree.children[1:]:
        combined = combined & to_q(child) if tree.op == "and" else combined | to_q(child)
    return combined


def run_library(expr: Expr, session: Session) -> Any:
    queryset = Row.objects.using(session)
    for kind, arg in expr.steps:
        if kind == "filter":
            queryset = queryset.filter(to_q(arg))
        elif kind == "exclude":
            queryset = queryset.exclude(to_q(arg))
        elif kind == "order":
            queryset = queryset.order_by(*arg)
        else:
            queryset = queryset.reverse()
    if expr.window is not None:
        queryset = queryset[expr.window[0] : expr.window[1]]
    return terminal(queryset, expr.terminal, expr.pk)


def terminal(queryset: Any, kind: str, pk: int) -> Any:
    try:
        if kind == "get":
            return get_one(queryset.get)
        if kind == "get_pk":
            return get_one(lambda: queryset.get(pk=pk))
        if kind == "list":
            return [obj.pk for obj in queryset]
        if kind == "count":
            return queryset.count()
        if kind == "exists":
            return queryset.exists()
        if kind in ("first", "last"):
            found = getattr(queryset, kind)()
            return None if found is None else found.pk
        if kind == "values_list":
            return list(queryset.values_list("payment_condition_id", flat=True))
        return list(queryset.values_list("city", "name"))
    except TypeError as exc:
        return ("TypeError", "slice" in str(exc))


def get_one(get: Callable[[], Any]) -> Any:
    try:
        return get().pk
    except Row.DoesNotExist:
        return "none"
    except Row.MultipleObjectsReturned:
        return "many"


# -- the reference -------------------------------------------------------------------------------


def ref_leaf(row: dict[str, Any], leaf: Leaf, api: dict[str, str] = API) -> bool:
    actual = row.get(api[leaf.name])
    lookup, value = leaf.lookup, leaf.value
    if lookup in ("exact", "iexact") and value is None:
        return actual is None
    if lookup == "isnull":
        return (actual is None) == value
    if actual is None:
        return False
    if lookup == "in":
        return any(actual == v for v in value if v is not None)
    if lookup == "exact":
        return bool(actual == value)
    if lookup == "range":
        return bool(value[0] <= actual <= value[1])
    compare = {
        "gt": lambda a, b: a > b,
        "gte": lambda a, b: a >= b,
        "lt": lambda a, b: a < b,
        "lte": lambda a, b: a <= b,
        "contains": lambda a, b: b in a,
        "startswith": lambda a, b: a.startswith(b),
        "endswith": lambda a, b: a.endswith(b),
    }
    if lookup.startswith("i"):
        return bool(compare.get(lookup[1:], lambda a, b: a == b)(actual.lower(), value.lower()))
    return bool(compare[lookup](actual, value))


def ref_tree(row: dict[str, Any], tree: Any) -> bool:
    if isinstance(tree, Leaf):
        return ref_leaf(row, tree)
    results = [ref_tree(row, child) for child in tree.children]
    if tree.op == "not":
        return not results[0]
    return all(results) if tree.op == "and" else any(results)


def ref_sorted(rows: list[dict[str, Any]], ordering: list[str]) -> list[dict[str, Any]]:
    def key(name: str) -> Callable[[dict[str, Any]], Any]:
        def value(row: dict[str, Any]) -> Any:
            v = row.get(API[name])
            return (0, 0) if v is None else (1, v)

        return value

    result = sorted(rows, key=lambda r: r["id"])
    for name in reversed(ordering):
        result = sorted(result, key=key(name.lstrip("-")), reverse=name.startswith("-"))
    return result


def run_reference(expr: Expr, rows: list[dict[str, Any]]) -> Any:
    order: list[str] = []
    standard = True
    for kind, arg in expr.steps:
        if kind == "filter":
            rows = [r for r in rows if ref_tree(r, arg)]
        elif kind == "exclude":
            rows = [r for r in rows if not ref_tree(r, arg)]
        elif kind == "order":
            order = list(arg)
        else:
            standard = not standard
    return ref_terminal(expr, rows, order, standard)


def flip(names: list[str]) -> list[str]:
    return [n[1:] if n.startswith("-") else f"-{n}" for n in names]


def ref_terminal(expr: Expr, rows: list[dict[str, Any]], order: list[str], standard: bool) -> Any:
    effective = order if standard else flip(order)
    sliced = expr.window is not None and expr.window != (0, None)  # Django: [0:] is no slice
    if expr.terminal == "get_pk":
        if sliced:
            return ("TypeError", True)  # Django refuses to filter a sliced query
        return next((r["id"] for r in rows if r["id"] == expr.pk), "none")
    if expr.terminal == "get":
        found = window(ref_sorted(rows, effective), expr.window)
        return found[0]["id"] if len(found) == 1 else ("many" if found else "none")
    if expr.terminal in ("first", "last"):
        empty = expr.window is not None and expr.window[1] is not None
        empty = empty and expr.window[1] <= expr.window[0]  # type: ignore[operator]
        if empty and expr.terminal == "first":
            return None  # Django: an empty slice is an EmptyQuerySet, which is ordered
        if sliced and (expr.terminal == "last" or not order):
            return ("TypeError", True)  # Django refuses to reorder a sliced query
        wanted = effective or (["id"] if standard else ["-id"])
        if expr.terminal == "last":
            wanted = flip(wanted)
        picked = window(ref_sorted(rows, wanted), expr.window)[:1]
        return picked[0]["id"] if picked else None
    result = window(ref_sorted(rows, effective), expr.window)
    if expr.terminal == "count":
        return len(result)
    if expr.terminal == "exists":
        return bool(result)
    if expr.terminal == "values_list":
        return [r.get("paymentConditionId") for r in result]
    if expr.terminal == "pairs":
        return [(r.get("city"), r.get("name")) for r in result]
    return [r["id"] for r in result]


def window(
    rows: list[dict[str, Any]], bounds: tuple[int, int | None] | None
) -> list[dict[str, Any]]:
    return rows if bounds is None else rows[bounds[0] : bounds[1]]


# -- the test ------------------------------------------------------------------------------------


# The server's text matching (the emulator's two modes) against what the client knows of it:
# nothing (the defaults: every text condition the server answers is verified here), or what a
# probe would find (on a case-sensitive Equals server the planner trusts the server's answer).
SERVERS = [
    pytest.param("contains-ci", Capabilities(), id="contains-ci/defaults"),
    pytest.param("contains-ci", Capabilities(text_case_sensitive=False), id="contains-ci/probed"),
    pytest.param("exact-cs", Capabilities(), id="exact-cs/defaults"),
    pytest.param("exact-cs", Capabilities(text_case_sensitive=True), id="exact-cs/probed"),
]


@pytest.mark.parametrize(("text_match", "capabilities"), SERVERS)
def test_random_queries_equal_the_reference(
    loaded: Loaded, asperion_sandbox: Sandbox, text_match: str, capabilities: Capabilities
) -> None:
    asperion_sandbox.set_text_match(text_match)  # the plugin restores the default afterwards
    client = asperion_sandbox.client(cache_ttl=0, capabilities=capabilities)
    session = client.tenant(loaded.session.tenant)
    runs = [0]
    meta = session.get("debtors", [("name", "alp"), ("metaOnly", "true")], cache=False)["_meta"]
    names = [row["name"] for row in loaded.rows]
    contains = sum("alp" in name.casefold() for name in names)
    assert meta["totalCount"] == (contains if text_match == "contains-ci" else names.count("alp"))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(expr=expressions(Pools([r["id"] for r in loaded.rows], loaded.condition_ids)))
    def check(expr: Expr) -> None:
        runs[0] += 1
        note(repr(expr))
        assert run_library(expr, session) == run_reference(expr, loaded.rows)

    check()
    assert runs[0] >= EXAMPLES
    print(f"differential test ({text_match}): {runs[0]} examples, 0 mismatches")


def test_reference_and_rows_are_loaded(loaded: Loaded) -> None:
    assert len(loaded.rows) == ROWS
    assert Row.objects.using(loaded.session).count() == ROWS


def test_decimal_lookups_equal_the_reference(asperion_sandbox: Sandbox) -> None:
    tenant = asperion_sandbox.add_administration(records={"articles": 0})
    session = asperion_sandbox.client(cache_ttl=0).tenant(tenant)
    made = [
        PriceRow(code=f"P{n}", description=f"Prijs {n}", sales_type_id=1, price=price)
        for n, price in enumerate(LIMITS * 3)
    ]
    PriceRow.objects.using(session).bulk_create(made)
    rows = [
        {"id": r["id"], "price": r["price"]}
        for r in asperion_sandbox.state.rows(tenant, "articles")
    ]
    assert len(rows) == len(made)
    values = [limit for limit in LIMITS if limit is not None]
    cases = [("isnull", True), ("isnull", False), ("exact", None), ("in", [*values[:2], None])]
    cases += [(lookup, value) for lookup in ("exact", *ORDER_LOOKUPS[:4]) for value in values]
    cases += [("range", (low, high)) for low in values for high in values]
    for lookup, value in cases:
        leaf = Leaf("price", lookup, value)
        found = [
            obj.pk for obj in PriceRow.objects.using(session).filter(**{f"price__{lookup}": value})
        ]
        expected = [r["id"] for r in rows if ref_price(r, leaf)]
        assert found == expected, (lookup, value)
        excluded = PriceRow.objects.using(session).exclude(**{f"price__{lookup}": value})
        assert [obj.pk for obj in excluded] == [r["id"] for r in rows if r["id"] not in expected]


def ref_price(row: dict[str, Any], leaf: Leaf) -> bool:
    return ref_leaf({"id": row["id"], "price": row["price"]}, leaf, {"price": "price"})
