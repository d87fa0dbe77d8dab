"""Exact answers at the edges: values the API cannot hold, empty Qs, steps and coercions.

Compile-only tests show the request each edge value becomes (or that none is sent); the
sandbox tests compare results with answers worked out here from the rows themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import pytest

from asperion_orm import Q
from asperion_orm.client import Client
from asperion_orm.exceptions import FieldError
from asperion_orm.resources import Article, Debtor, SalesInvoice
from asperion_orm.session import Session
from asperion_orm.testing.sandbox import Sandbox

from .models import SampleCountry, SampleDebtor, SampleInvoice

pytestmark = pytest.mark.filterwarnings("error")

Counter = Callable[[int], AbstractContextManager[None]]

NOTHING = "(no request: the query matches nothing)"
HUGE = Decimal("1E+30")
LARGEST_CENTS = "9" * 26 + ".99"  # the largest amount 28 digits hold with 2 places
UTC = dt.UTC


def sent(queryset: object) -> str:
    """Return the first request with its filters as text, paging left out."""
    text = str(queryset.query)  # type: ignore[attr-defined]
    if text == NOTHING:
        return text
    path, _, query = text.partition("?")
    pairs = [f"{k}={v}" for k, v in parse_qsl(query) if k not in ("page", "pageSize")]
    return path + ("?" + "&".join(pairs) if pairs else "")


def moment(microsecond: int) -> dt.datetime:
    return dt.datetime(2026, 1, 5, 10, 0, 44, microsecond, tzinfo=UTC)


# -- decimals: compared as given, sent exactly -----------------------------------------------------


@pytest.mark.parametrize(
    ("lookup", "value", "expected"),
    [
        ("exact", Decimal("500.001"), NOTHING),
        ("exact", Decimal("500.0"), "GET /debtor?creditLimit=500.00"),
        ("in", [Decimal("500.001"), 500, "0.5"], "GET /debtor?creditLimit=0.50&creditLimit=500.00"),
        ("in", [Decimal("500.001"), Decimal("-0.005")], NOTHING),
        ("gt", Decimal("499.995"), "GET /debtor?creditLimit_from=500.00"),
        ("gte", Decimal("499.995"), "GET /debtor?creditLimit_from=500.00"),
        ("gt", Decimal("500.00"), "GET /debtor?creditLimit_from=500.01"),
        ("lt", Decimal("499.995"), "GET /debtor?creditLimit_to=499.99"),
        ("lte", Decimal("499.995"), "GET /debtor?creditLimit_to=499.99"),
        ("lt", Decimal("-0.001"), "GET /debtor?creditLimit_to=-0.01"),
        ("gte", Decimal("-0.001"), "GET /debtor?creditLimit_from=0.00"),
        (
            "range",
            (Decimal("0.001"), Decimal("0.019")),
            ("GET /debtor?creditLimit_from=0.01&creditLimit_to=0.01"),
        ),
        ("range", (Decimal("0.001"), Decimal("0.009")), NOTHING),
    ],
)
def test_a_decimal_with_more_places_than_the_field_is_sent_exactly(
    lookup: str, value: object, expected: str
) -> None:
    queryset = SampleDebtor.objects.filter(**{f"credit_limit__{lookup}": value})
    assert sent(queryset) == expected
    assert "verify" not in queryset.explain()


@pytest.mark.parametrize(
    ("lookup", "value", "expected"),
    [
        ("exact", HUGE, NOTHING),
        ("in", [HUGE, -HUGE], NOTHING),
        ("gt", HUGE, NOTHING),
        ("gte", HUGE, NOTHING),
        ("lt", -HUGE, NOTHING),
        ("lte", -HUGE, NOTHING),
        ("lt", HUGE, f"GET /debtor?creditLimit_to={LARGEST_CENTS}"),
        ("lte", HUGE, f"GET /debtor?creditLimit_to={LARGEST_CENTS}"),
        ("gt", -HUGE, f"GET /debtor?creditLimit_from=-{LARGEST_CENTS}"),
        ("gte", Decimal("-1E+999999"), f"GET /debtor?creditLimit_from=-{LARGEST_CENTS}"),
        (
            "range",
            (-HUGE, HUGE),
            (f"GET /debtor?creditLimit_from=-{LARGEST_CENTS}&creditLimit_to={LARGEST_CENTS}"),
        ),
        ("range", (HUGE, HUGE * 2), NOTHING),
    ],
)
def test_a_decimal_beyond_the_apis_digits_is_answered_not_refused(
    lookup: str, value: object, expected: str
) -> None:
    # Past the largest amount: no row matches, or every non-null row (the bound at the end of
    # the scale keeps out the nulls, as Django's comparison does).
    assert sent(SampleDebtor.objects.filter(**{f"credit_limit__{lookup}": value})) == expected


def test_a_decimal_assignment_is_still_rounded_and_limited() -> None:
    debtor = SampleDebtor(name="x")
    debtor.credit_limit = Decimal("500.005")
    assert debtor.credit_limit == Decimal("500.01")


# -- datetimes: the API keeps milliseconds -----------------------------------------------------


@pytest.mark.parametrize(
    ("lookup", "expected"),
    [
        ("gte", "createdDate_from=2026-01-05T10:00:44.001000+00:00"),
        ("gt", "createdDate_from=2026-01-05T10:00:44.001000+00:00"),
        ("lt", "createdDate_to=2026-01-05T10:00:44+00:00"),
        ("lte", "createdDate_to=2026-01-05T10:00:44+00:00"),
    ],
)
def test_a_datetime_below_the_millisecond_becomes_the_millisecond_beside_it(
    lookup: str, expected: str
) -> None:
    queryset = SampleDebtor.objects.filter(**{f"created_date__{lookup}": moment(500)})
    assert sent(queryset) == f"GET /debtor?{expected}"
    assert "verify" not in queryset.explain()


def test_a_datetime_below_the_millisecond_matches_no_stored_moment() -> None:
    assert sent(SampleDebtor.objects.filter(created_date=moment(500))) == NOTHING
    both = SampleDebtor.objects.filter(created_date__in=[moment(500), moment(2000)])
    assert (sent(both)) == "GET /debtor?createdDate=2026-01-05T10:00:44.002000+00:00"


def test_a_strict_bound_on_whole_milliseconds_is_the_next_millisecond() -> None:
    queryset = SampleDebtor.objects.filter(created_date__gt=moment(1000))
    assert (sent(queryset)) == "GET /debtor?createdDate_from=2026-01-05T10:00:44.002000+00:00"


def _unquoted(text: str) -> str:
    return text.replace("%3A", ":").replace("%2B", "+")


# -- integers: the API's are 32-bit --------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"id": 2**40}, NOTHING),
        ({"id": -(2**40)}, NOTHING),
        ({"id__gt": 2**31}, NOTHING),
        ({"id__gte": 2**31}, NOTHING),
        ({"id__gt": 2**31 - 1}, NOTHING),
        ({"id__lt": -(2**31)}, NOTHING),
        ({"id__lt": 2**31}, "GET /debtor?id_to=2147483647"),
        ({"id__lte": 2**40}, "GET /debtor?id_to=2147483647"),
        ({"id__gte": -(2**40)}, "GET /debtor?id_from=-2147483648"),
        ({"id__in": [2**31, 10001]}, "GET /debtor?id=10001"),
        ({"id__in": [2**31, 2**32]}, NOTHING),
        ({"id__range": (2**31, 2**32)}, NOTHING),
        ({"id__range": (-(2**40), 5)}, "GET /debtor?id_from=-2147483648&id_to=5"),
        ({"country": 2**31}, NOTHING),
        ({"country_id__gt": 2**35}, NOTHING),
        ({"country__in": [2**31, 3]}, "GET /debtor?countryId=3"),
        ({"payment_condition_id__lte": 2**31}, "GET /debtor?paymentConditionId_to=2147483647"),
    ],
)
def test_integers_beyond_32_bits_are_decided_here(kwargs: dict[str, object], expected: str) -> None:
    assert sent(SampleDebtor.objects.filter(**kwargs)) == expected


def test_explain_names_the_conditions_nothing_can_meet() -> None:
    queryset = SampleDebtor.objects.filter(id__in=[2**31], credit_limit__gt=HUGE)
    assert queryset.explain() == (
        f"{NOTHING}\nno value the API holds meets credit_limit__gt, id__in"
    )
    either = SampleDebtor.objects.filter(Q(id=2**40) | Q(id=2**41))
    assert either.explain() == f"{NOTHING}\nno value the API holds meets id__in"
    assert SampleDebtor.objects.none().explain() == NOTHING


def test_excluding_a_value_no_row_can_hold_excludes_nothing() -> None:
    queryset = SampleDebtor.objects.exclude(id=2**40)
    assert sent(queryset) == "GET /debtor" and "local" not in queryset.explain()
    assert sent(SampleDebtor.objects.exclude(credit_limit=Decimal("0.001"))) == "GET /debtor"


# -- coercions Django does --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", "GET /debtor?id=5"),
        (" 5 ", "GET /debtor?id=5"),
        (5.0, "GET /debtor?id=5"),
        (Decimal("5.00"), "GET /debtor?id=5"),
        (True, "GET /debtor?id=1"),
        (1.5, NOTHING),
        (Decimal("1.5"), NOTHING),
    ],
)
def test_an_integer_lookup_takes_what_int_takes(value: object, expected: str) -> None:
    assert sent(SampleDebtor.objects.filter(id=value)) == expected
    assert sent(SampleDebtor.objects.filter(pk=value)) == expected


def test_a_fraction_on_an_integer_field_is_compared_as_given() -> None:
    assert sent(SampleDebtor.objects.filter(id__gte=1.5)) == "GET /debtor?id_from=2"
    assert sent(SampleDebtor.objects.filter(id__gt=1.5)) == "GET /debtor?id_from=2"
    assert sent(SampleDebtor.objects.filter(id__lt=Decimal("1.5"))) == "GET /debtor?id_to=1"
    assert sent(SampleDebtor.objects.filter(id__lte=-1.5)) == "GET /debtor?id_to=-2"
    assert sent(SampleDebtor.objects.filter(id__in=["7", 7.0, 7.5])) == "GET /debtor?id=7"


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ("x", ValueError, "Field 'id' expected a number but got 'x'."),
        ("1.5", ValueError, "Field 'id' expected a number but got '1.5'."),
        (float("inf"), ValueError, "Field 'id' expected a number but got inf."),
        ([1], TypeError, "Field 'id' expected a number but got [1]."),
        (dt.date(2026, 1, 1), TypeError, "Field 'id' expected a number but got"),
    ],
)
def test_a_value_int_refuses_is_refused_as_django_does(
    value: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        SampleDebtor.objects.filter(id=value)
    assert str(info.value).startswith(message)


def test_text_booleans_choices_and_dates_take_what_django_takes() -> None:
    assert sent(SampleDebtor.objects.filter(name=5)) == "GET /debtor?name=5&name_comparison=Equals"
    assert "name=2025" in sent(SampleDebtor.objects.filter(name__contains=2025))
    assert sent(SampleDebtor.objects.filter(active=1)) == "GET /debtor?active=true"
    assert sent(SampleDebtor.objects.filter(active="f")) == "GET /debtor?active=false"
    with pytest.raises(ValueError, match="must be either True or False"):
        SampleDebtor.objects.filter(active="yes")
    assert sent(SalesInvoice.objects.filter(status=5)) == NOTHING  # 5 is no InvoiceStatus
    assert (
        sent(SalesInvoice.objects.filter(status__in=[5, 7]))
        == "GET /salesinvoiceswithlines?status=7"
    )
    late = dt.datetime(2024, 12, 31, 23, 30, tzinfo=UTC)  # 1 January in Amsterdam
    assert "invoiceDate=2025-01-01" in sent(SampleInvoice.objects.filter(invoice_date=late))
    noon = dt.datetime(2024, 12, 31, 12)
    assert "invoiceDate=2024-12-31" in sent(SampleInvoice.objects.filter(invoice_date=noon))


def test_a_foreign_key_refuses_range_and_another_models_instance() -> None:
    with pytest.raises(FieldError, match="Unsupported lookup 'range'"):
        SampleInvoice.objects.filter(debtor__range=(1, 5))
    with pytest.raises(ValueError, match='Must be "SampleDebtor" instance'):
        SampleInvoice.objects.filter(debtor=SampleCountry.from_api({"id": 1, "name": "NL"}))


def test_a_model_instance_stands_for_its_primary_key() -> None:
    debtor = SampleDebtor.from_api({"id": 7, "name": "x"})
    assert sent(SampleDebtor.objects.filter(pk=debtor)) == "GET /debtor?id=7"
    assert sent(SampleDebtor.objects.filter(id__in=[debtor, 8])) == "GET /debtor?id=7&id=8"
    assert "debtorId=7" in sent(SampleInvoice.objects.filter(debtor=debtor))
    assert "debtorId=7" in sent(SampleInvoice.objects.filter(debtor_id=debtor))
    with pytest.raises(ValueError, match="unsaved SampleDebtor"):
        SampleDebtor.objects.filter(pk=SampleDebtor(name="new"))
    with pytest.raises(TypeError, match="expected a number"):
        SampleInvoice.objects.filter(id=debtor)  # another model's instance is no id


def test_a_naive_datetime_or_a_date_warns_and_is_taken_in_the_clients_zone() -> None:
    with pytest.warns(RuntimeWarning, match=r"DateTimeField SampleDebtor.created_date .* naive"):
        naive = SampleDebtor.objects.filter(created_date__gte=dt.datetime(2026, 1, 5, 11, 0, 44))
    with pytest.warns(RuntimeWarning, match="naive datetime") as caught:
        day = SampleDebtor.objects.filter(created_date__gte=dt.date(2026, 7, 1))
    assert caught[0].filename == __file__  # the warning points at the caller's line
    # Amsterdam is UTC+1 in January and UTC+2 in July (the default Client(time_zone=...)).
    assert (sent(naive)) == "GET /debtor?createdDate_from=2026-01-05T11:00:44+01:00"
    assert (sent(day)) == "GET /debtor?createdDate_from=2026-07-01T00:00:00+02:00"


def test_the_naive_warning_comes_once_per_line(recwarn: pytest.WarningsRecorder) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        for day in range(1, 4):
            SampleDebtor.objects.filter(created_date__gte=dt.datetime(2026, 1, day))
        assert [w.category for w in recwarn.list] == [RuntimeWarning]


# -- Q(), steps and none() ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda qs: qs.filter(~Q()),
        lambda qs: qs.exclude(Q()),
        lambda qs: qs.filter(~~Q()),
        lambda qs: qs.filter(Q()),
        lambda qs: qs.filter(Q(Q(), ~Q())),
        lambda qs: qs.exclude(Q(Q(), ~Q(Q()))),
        lambda qs: qs.filter(~Q() | ~Q()),
    ],
)
def test_an_empty_q_is_no_condition_negated_or_not(build: Callable[[Any], Any]) -> None:
    queryset = build(SampleDebtor.objects.all())
    assert sent(queryset) == "GET /debtor" and "local" not in queryset.explain()


def test_an_empty_q_beside_a_condition_leaves_the_condition() -> None:
    assert sent(SampleDebtor.objects.filter(Q() | Q(id=5))) == "GET /debtor?id=5"
    assert sent(SampleDebtor.objects.exclude(Q(Q(), id=5))) == sent(
        SampleDebtor.objects.exclude(id=5)
    )


def test_none_is_ordered_as_djangos_empty_queryset() -> None:
    assert SampleDebtor.objects.none().ordered
    assert SampleDebtor.objects.all()[3:3].ordered
    assert not SampleDebtor.objects.all().ordered


# -- against the sandbox ------------------------------------------------------------------------

PRICES = [
    Decimal("499.99"),
    Decimal("500.00"),
    Decimal("500.01"),
    None,
    Decimal("-3.00"),
    Decimal("0.00"),
    Decimal("499.99"),
    Decimal("1000000.00"),
]
ADDED = [
    "2026-01-05T10:00:43.999Z",
    "2026-01-05T10:00:44.000Z",
    "2026-01-05T10:00:44.001Z",
    None,
    "2026-01-05T10:00:44.001Z",
    "2026-07-01T00:00:00.000Z",
    "2026-06-30T22:00:00.000Z",
    "2025-12-31T23:59:59.999Z",
]


@pytest.fixture(scope="module")
def edge_tenant(asperion_sandbox: Sandbox) -> int:
    """An administration whose prices and dates sit at the edges (nulls included)."""
    tenant = asperion_sandbox.add_administration(records={"articles": 8, "debtors": 8})
    state = asperion_sandbox.state
    for row, price in zip(state.rows(tenant, "articles"), PRICES, strict=True):
        state.change_row(tenant, "articles", row["id"], price=price)
    for row, added in zip(state.rows(tenant, "debtors"), ADDED, strict=True):
        state.change_row(tenant, "debtors", row["id"], dateAdded=added)
    return tenant


@pytest.fixture
def edge_session(sandbox_user_client: Client, edge_tenant: int) -> Iterator[Session]:
    with sandbox_user_client.tenant(edge_tenant) as active:
        yield active


def prices(sandbox: Sandbox, tenant: int) -> dict[int, Decimal | None]:
    return {row["id"]: row["price"] for row in sandbox.state.rows(tenant, "articles")}


def added(sandbox: Sandbox, tenant: int) -> dict[int, dt.datetime | None]:
    def parse(text: str | None) -> dt.datetime | None:
        return None if text is None else dt.datetime.fromisoformat(text.replace("Z", "+00:00"))

    return {row["id"]: parse(row["dateAdded"]) for row in sandbox.state.rows(tenant, "debtors")}


@pytest.mark.parametrize(
    ("lookup", "value", "keep", "requests"),
    [
        ("exact", Decimal("500.001"), lambda p: p == Decimal("500.001"), 0),
        ("gt", Decimal("499.995"), lambda p: p > Decimal("499.995"), 1),
        ("gte", Decimal("499.995"), lambda p: p >= Decimal("499.995"), 1),
        ("lt", Decimal("499.995"), lambda p: p < Decimal("499.995"), 1),
        ("lte", Decimal("500.005"), lambda p: p <= Decimal("500.005"), 1),
        ("lt", HUGE, lambda p: p < HUGE, 1),
        ("gt", -HUGE, lambda p: p > -HUGE, 1),
        ("gt", HUGE, lambda p: p > HUGE, 0),
        ("lte", -HUGE, lambda p: p <= -HUGE, 0),
    ],
)
def test_decimal_edges_match_the_rows(
    edge_session: Session,
    edge_tenant: int,
    asperion_sandbox: Sandbox,
    assert_requests: Counter,
    lookup: str,
    value: Decimal,
    keep: Callable[[Decimal], bool],
    requests: int,
) -> None:
    rows = prices(asperion_sandbox, edge_tenant)
    expected = sorted(i for i, p in rows.items() if p is not None and keep(p))
    queryset = Article.all_objects.filter(**{f"price__{lookup}": value}).order_by("id")
    with assert_requests(requests):
        assert [a.pk for a in queryset] == expected
    with assert_requests(requests):
        assert queryset.all().count() == len(expected)  # MetaOnly: the server is exact


def test_decimal_in_drops_the_values_no_row_can_hold(
    edge_session: Session, edge_tenant: int, asperion_sandbox: Sandbox, assert_requests: Counter
) -> None:
    wanted = [Decimal("499.991"), Decimal("500.00"), HUGE]
    expected = sorted(i for i, p in prices(asperion_sandbox, edge_tenant).items() if p in wanted)
    with assert_requests(1):
        assert (
            sorted(Article.all_objects.filter(price__in=wanted).values_list("id", flat=True))
            == expected
        )
    with assert_requests(0):
        assert list(Article.all_objects.filter(price__in=[HUGE, Decimal("0.001")])) == []


@pytest.mark.parametrize(
    ("lookup", "keep"),
    [
        ("gte", lambda d, m: d >= m),
        ("gt", lambda d, m: d > m),
        ("lt", lambda d, m: d < m),
        ("lte", lambda d, m: d <= m),
        ("exact", lambda d, m: d == m),
    ],
)
def test_sub_millisecond_edges_match_the_rows_in_one_exact_request(
    edge_session: Session,
    edge_tenant: int,
    asperion_sandbox: Sandbox,
    assert_requests: Counter,
    lookup: str,
    keep: Callable[[dt.datetime, dt.datetime], bool],
) -> None:
    at = moment(500)
    rows = added(asperion_sandbox, edge_tenant)
    expected = sorted(i for i, d in rows.items() if d is not None and keep(d, at))
    queryset = Debtor.objects.filter(**{f"date_added__{lookup}": at})
    with assert_requests(0 if lookup == "exact" else 1):
        assert queryset.count() == len(expected)
    with assert_requests(0 if lookup == "exact" else 1):
        assert sorted(queryset.values_list("id", flat=True)) == expected


def test_integers_past_32_bits_are_answered_without_a_bad_request(
    edge_session: Session, edge_tenant: int, asperion_sandbox: Sandbox, assert_requests: Counter
) -> None:
    ids = sorted(prices(asperion_sandbox, edge_tenant))
    with assert_requests(0):
        assert list(Article.all_objects.filter(id__gt=2**31)) == []
        assert Article.all_objects.filter(id=2**40).count() == 0
        assert not Article.all_objects.filter(id__range=(2**31, 2**40)).exists()
        with pytest.raises(Article.DoesNotExist):
            Article.all_objects.get(pk=2**40)
        with pytest.raises(Article.DoesNotExist):
            Article.all_objects.get(pk=1.5)
    with assert_requests(1):
        assert [a.pk for a in Article.all_objects.filter(id__in=[2**31, ids[2]])] == [ids[2]]
    with assert_requests(1):
        assert Article.all_objects.filter(id__lt=2**31).count() == len(ids)
    with assert_requests(1):
        assert Article.all_objects.exclude(id=2**40).count() == len(ids)
    with assert_requests(0):
        assert list(Article.all_objects.filter(sales_type__gt=2**31)) == []
        # across a relation: the inner query matches nothing, so the outer one is not asked
        assert list(SalesInvoice.objects.filter(debtor__id__gt=2**31)) == []


def test_empty_qs_return_every_row(
    edge_session: Session, edge_tenant: int, asperion_sandbox: Sandbox, assert_requests: Counter
) -> None:
    ids = sorted(prices(asperion_sandbox, edge_tenant))
    base = Article.all_objects.order_by("id").cache(False)
    for queryset in (base.filter(~Q()), base.exclude(Q()), base.filter(~~Q()), base.filter(Q())):
        with assert_requests(1):
            assert [a.pk for a in queryset] == ids
    with assert_requests(1):
        assert [a.pk for a in base.filter(Q() | Q(id=ids[1]))] == [ids[1]]


def test_a_step_evaluates_and_returns_a_list(
    edge_session: Session, edge_tenant: int, asperion_sandbox: Sandbox, assert_requests: Counter
) -> None:
    ids = sorted(prices(asperion_sandbox, edge_tenant))
    queryset = Article.all_objects.order_by("id").cache(False)
    with assert_requests(1):
        assert [a.pk for a in queryset[::-1]] == ids[::-1]
    with assert_requests(1):
        assert [a.pk for a in queryset[1:7:2]] == ids[1:7:2]
    with assert_requests(1):
        assert [a.pk for a in queryset[2:][::-3]] == ids[2:][::-3]
    with pytest.raises(ValueError, match="Negative indexing is not supported"):
        queryset[-3::-1]
    list(queryset)  # fills the result cache
    with assert_requests(0):
        assert [a.pk for a in queryset[::-2]] == ids[::-2]


def test_coerced_values_find_the_rows(
    edge_session: Session, edge_tenant: int, asperion_sandbox: Sandbox, assert_requests: Counter
) -> None:
    ids = sorted(prices(asperion_sandbox, edge_tenant))
    with assert_requests(1):
        article = Article.all_objects.get(pk=str(ids[0]))
    assert article.pk == ids[0]
    with assert_requests(1):
        assert [a.pk for a in Article.all_objects.filter(pk=article)] == [ids[0]]
    with assert_requests(1):
        assert [a.pk for a in Article.all_objects.filter(id=float(ids[1]))] == [ids[1]]


def test_a_naive_datetime_is_taken_in_the_zone_of_the_session_it_runs_in(
    asperion_sandbox: Sandbox, edge_tenant: int, assert_requests: Counter
) -> None:
    rows = added(asperion_sandbox, edge_tenant)
    naive = dt.datetime(2026, 7, 1, 0, 0)
    for zone in ("Europe/Amsterdam", "UTC", "America/New_York"):
        start = naive.replace(tzinfo=ZoneInfo(zone))
        expected = sorted(i for i, d in rows.items() if d is not None and d >= start)
        session = asperion_sandbox.client(time_zone=zone).tenant(edge_tenant)
        with pytest.warns(RuntimeWarning, match="naive datetime"):
            before = Debtor.objects.using(session).filter(date_added__gte=naive)
        with pytest.warns(RuntimeWarning, match="naive datetime"):
            after = Debtor.objects.filter(date_added__gte=naive).using(session).cache(False)
        with assert_requests(2):
            assert sorted(d.pk for d in before) == expected
            assert sorted(d.pk for d in after) == expected
    with pytest.warns(RuntimeWarning, match="naive datetime"):
        day = Debtor.objects.filter(date_added__gte=dt.date(2026, 7, 1))
    session = asperion_sandbox.client().tenant(edge_tenant)
    start = dt.datetime(2026, 7, 1, tzinfo=ZoneInfo("Europe/Amsterdam"))
    expected = sorted(i for i, d in rows.items() if d is not None and d >= start)
    assert sorted(d.pk for d in day.using(session)) == expected
