"""Reads against the sandbox: results, Django semantics and the number of requests sent."""

from __future__ import annotations

import gc
import itertools
import math
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest

from asperion_orm import LocalEvaluationWarning, Q
from asperion_orm.exceptions import FieldError, NoSessionError, QueryError
from asperion_orm.orm.planner import MAX_URL_BYTES, _warn_once
from asperion_orm.resources import Country, Debtor, SalesInvoice, SalesInvoiceHeader
from asperion_orm.session import Session
from asperion_orm.testing.sandbox import Sandbox

pytestmark = pytest.mark.filterwarnings("ignore::asperion_orm.LocalEvaluationWarning")

Counter = Callable[[int], AbstractContextManager[None]]


def rows(sandbox: Sandbox, session: Session, resource: str) -> list[dict[str, Any]]:
    return sandbox.state.rows(session.tenant, resource)


# -- request counts -----------------------------------------------------------------------------


def test_count_is_one_meta_only_request(
    shared_session: Session, assert_requests: Counter, asperion_sandbox: Sandbox
) -> None:
    with assert_requests(1):
        assert Debtor.objects.count() == 250
    assert ("MetaOnly", "true") in asperion_sandbox.requests(path="/v1/*")[-1].params


def test_count_of_a_text_filter_counts_the_verified_rows(
    shared_session: Session, assert_requests: Counter, asperion_sandbox: Sandbox
) -> None:
    names = [row["name"] for row in rows(asperion_sandbox, shared_session, "debtor")]
    with assert_requests(1):
        assert Debtor.objects.filter(name=names[3]).count() == names.count(names[3])
    sent = asperion_sandbox.requests(path="/v1/*")[-1].params
    assert not any(name.lower() == "metaonly" for name, _ in sent)  # the server only narrows


def test_exists_of_a_text_filter_is_settled_by_one_row_when_it_verifies(
    shared_session: Session, assert_requests: Counter, asperion_sandbox: Sandbox
) -> None:
    names = [row["name"] for row in rows(asperion_sandbox, shared_session, "debtor")]
    with assert_requests(1):
        assert Debtor.objects.filter(name=names[5]).exists()
    assert ("pageSize", "1") in asperion_sandbox.requests(path="/v1/*")[-1].params
    with assert_requests(1):
        assert not Debtor.objects.filter(name="no such debtor at all").exists()
    # The server ignores case, so its first row for the swapped-case name fails verification:
    # rows are read on before the answer, which is never a wrong True.
    other_case = names[5].swapcase()
    before = len(asperion_sandbox.requests(path="/v1/*"))
    assert Debtor.objects.filter(name=other_case).exists() is (other_case in names)
    assert len(asperion_sandbox.requests(path="/v1/*")) - before == 2


def test_a_slice_of_a_verified_filter_asks_only_for_its_rows(
    shared_session: Session, assert_requests: Counter, asperion_sandbox: Sandbox
) -> None:
    cities = [row["city"] for row in rows(asperion_sandbox, shared_session, "debtor")]
    city = max(set(cities) - {None}, key=cities.count)
    expected = min(30, cities.count(city))
    with assert_requests(1):
        assert len(list(Debtor.objects.filter(city=city).order_by("-id")[:30])) == expected
    assert ("pageSize", "30") in asperion_sandbox.requests(path="/v1/*")[-1].params
    with assert_requests(1):
        assert len(list(Debtor.objects.filter(city=city)[:3])) == min(3, cities.count(city))
    assert ("pageSize", "25") in asperion_sandbox.requests(path="/v1/*")[-1].params


def test_count_of_a_slice_is_still_one_request(
    shared_session: Session, assert_requests: Counter
) -> None:
    with assert_requests(1):
        assert Debtor.objects.all()[240:300].count() == 10


def test_exists_is_one_request_of_one_row(
    shared_session: Session, assert_requests: Counter, asperion_sandbox: Sandbox
) -> None:
    with assert_requests(1):
        assert Debtor.objects.filter(id__gte=1).exists()
    assert ("pageSize", "1") in asperion_sandbox.requests(path="/v1/*")[-1].params
    with assert_requests(1):
        assert not Debtor.objects.filter(name="no such debtor").exists()


def test_first_last_and_get_by_pk_are_one_request_each(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    ids = [row["id"] for row in rows(asperion_sandbox, shared_session, "debtors")]
    with assert_requests(1):
        assert Debtor.objects.first().pk == ids[0]  # type: ignore[union-attr]
    with assert_requests(1):
        assert Debtor.objects.last().pk == ids[-1]  # type: ignore[union-attr]
    with assert_requests(1):
        assert Debtor.objects.get(pk=ids[7]).pk == ids[7]
    assert asperion_sandbox.requests(path="/v1/*")[-1].path == f"/v1/debtors/{ids[7]}"


def test_iterating_pages_concurrently_in_order(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    expected = [row["id"] for row in rows(asperion_sandbox, shared_session, "salesinvoices")]
    with assert_requests(math.ceil(len(expected) / 100)):
        assert [invoice.pk for invoice in SalesInvoice.objects.all()] == expected


def test_a_slice_is_one_request(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    invoices = rows(asperion_sandbox, shared_session, "salesinvoices")
    expected = [row["id"] for row in invoices][250:260]
    with assert_requests(1):
        assert [invoice.pk for invoice in SalesInvoice.objects.all()[250:260]] == expected


@pytest.mark.parametrize(
    ("low", "high", "sent"), [(95, 205, 2), (0, 100, 1), (399, 401, 1), (490, None, 1)]
)
def test_slices_fetch_only_the_pages_they_need(
    asperion_sandbox: Sandbox,
    shared_session: Session,
    assert_requests: Counter,
    low: int,
    high: int | None,
    sent: int,
) -> None:
    invoices = rows(asperion_sandbox, shared_session, "salesinvoices")
    expected = [row["id"] for row in invoices][low:high]
    with assert_requests(sent):
        assert [invoice.pk for invoice in SalesInvoice.objects.all()[low:high]] == expected


@pytest.mark.parametrize("stop", [5000, 20_000, 10**12])
def test_a_slice_past_the_end_of_a_short_table_is_one_request(
    asperion_session: Session, assert_requests: Counter, stop: int
) -> None:
    expected = [invoice.pk for invoice in SalesInvoiceHeader.objects.order_by("id").cache(False)]
    assert len(expected) == 20
    with assert_requests(1):
        found = SalesInvoiceHeader.objects.order_by("id")[5:stop]
        assert [invoice.pk for invoice in found] == expected[5:]


def test_a_server_that_caps_the_page_size_is_still_read_to_the_end(
    asperion_sandbox: Sandbox, asperion_session: Session
) -> None:
    asperion_sandbox.state.max_page_size = 7  # the client asks 100 a page, unprobed
    stored = sorted(row["id"] for row in rows(asperion_sandbox, asperion_session, "salesinvoices"))
    invoices = SalesInvoiceHeader.objects.order_by("id").cache(False)
    assert [invoice.pk for invoice in invoices.all()] == stored
    assert [invoice.pk for invoice in invoices.all()[:12]] == stored[:12]
    assert len(asperion_sandbox.requests(path="/v1/*")) == 3 + 2  # pages of 7 rows


def test_long_id_lists_are_chunked_merged_and_sliced(
    asperion_sandbox: Sandbox, shared_session: Session
) -> None:
    present = [row["id"] for row in rows(asperion_sandbox, shared_session, "debtors")]
    wanted = list(range(present[0] - 4000, present[0] + 1000)) + present[:10]  # 5,010, with repeats
    queryset = Debtor.objects.filter(id__in=wanted).order_by("-id")
    assert [d.pk for d in queryset[3:203]] == sorted(present, reverse=True)[3:203]
    sent = asperion_sandbox.requests(path="/v1/*")
    assert len(sent) == len(plan_chunks(queryset)) == 50
    assert max(len(entry.url) for entry in sent) <= MAX_URL_BYTES
    assert queryset.count() == 250


def plan_chunks(queryset: Any) -> tuple[Any, ...]:
    from asperion_orm.orm.planner import plan

    return plan(queryset.query, Session.current().base_url).chunks


def test_prefetch_loads_related_objects_in_one_batch(
    asperion_sandbox: Sandbox, sandbox_user_client: Any, assert_requests: Counter
) -> None:
    tenant = asperion_sandbox.add_administration(records={"debtors": 40, "salesinvoices": 500})
    with sandbox_user_client.tenant(tenant), assert_requests(5 + 1):
        invoices = list(SalesInvoice.objects.prefetch_related("debtor"))
        assert len({invoice.debtor.pk for invoice in invoices}) == 40
    assert [e.path for e in asperion_sandbox.requests(path="/v1/*")].count("/v1/debtors") == 1


def test_reverse_prefetch(shared_session: Session, assert_requests: Counter) -> None:
    ids = _debtor_ids(shared_session)[:20]
    with assert_requests(1 + 1):
        debtors = list(Debtor.objects.filter(id__in=ids).prefetch_related("sales_invoices"))
        counts = [len(debtor.sales_invoices.all()) for debtor in debtors]
    assert sum(counts) == SalesInvoice.objects.filter(debtor__in=[d.pk for d in debtors]).count()


def _debtor_ids(session: Session) -> list[int]:
    return list(Debtor.objects.using(session).values_list("id", flat=True))


def test_the_same_query_again_is_served_from_the_cache(
    shared_session: Session, assert_requests: Counter
) -> None:
    list(Debtor.objects.filter(city="Utrecht"))
    with assert_requests(0):
        list(Debtor.objects.filter(city="Utrecht"))
    with assert_requests(1):
        list(Debtor.objects.filter(city="Utrecht").cache(False))


def test_nothing_done_to_a_cached_result_changes_the_next_one(
    shared_session: Session, assert_requests: Counter
) -> None:
    utrecht = Debtor.objects.filter(city="Utrecht").order_by("id")
    with assert_requests(2):
        names = [debtor.name for debtor in utrecht]
        invoice = SalesInvoice.objects.order_by("id").values("id", "lines")[0]
    first = list(utrecht)
    first[0].name = "changed"
    row = utrecht.values("name")[0]
    row["name"] = "changed"
    invoice = SalesInvoice.objects.order_by("id").values("id", "lines")[0]
    invoice["lines"][0].description = "changed"
    invoice["lines"].append(invoice["lines"][0])
    with assert_requests(0):
        assert [debtor.name for debtor in utrecht.all()] == names
        assert utrecht.values("name")[0]["name"] == names[0]
        again = SalesInvoice.objects.order_by("id").values("id", "lines")[0]
    assert len(again["lines"]) == len(invoice["lines"]) - 1
    assert again["lines"][0].description != "changed"


def test_results_are_cached_on_the_queryset(
    shared_session: Session, assert_requests: Counter
) -> None:
    queryset = Debtor.objects.all().cache(False)
    with assert_requests(3):
        assert len(queryset) == 250
        assert queryset.count() == 250 and queryset.exists() and queryset[3] is list(queryset)[3]


def test_lazy_related_object_is_one_request(
    shared_session: Session, assert_requests: Counter
) -> None:
    invoice = SalesInvoice.objects.first()
    assert invoice is not None
    with assert_requests(1):
        assert isinstance(invoice.debtor, Debtor)
        assert invoice.debtor.pk == invoice.debtor_id


# -- Django semantics -----------------------------------------------------------------------------


def test_get_without_a_match_or_with_many(shared_session: Session) -> None:
    with pytest.raises(Debtor.DoesNotExist, match="does not exist"):
        Debtor.objects.get(pk=1)
    with pytest.raises(Debtor.DoesNotExist):
        Debtor.objects.get(name="no such debtor")
    with pytest.raises(Debtor.MultipleObjectsReturned, match="more than one Debtor"):
        Debtor.objects.get(blocked=False)


def test_get_by_pk_checks_the_other_conditions(shared_session: Session) -> None:
    debtor = Debtor.objects.first()
    assert debtor is not None
    with pytest.raises(Debtor.DoesNotExist):
        Debtor.objects.exclude(name=debtor.name).get(pk=debtor.pk)


def test_values_values_list_and_in_bulk(asperion_sandbox: Sandbox, shared_session: Session) -> None:
    raw = rows(asperion_sandbox, shared_session, "debtors")[:3]
    ids = [row["id"] for row in raw]
    assert list(Debtor.objects.filter(id__in=ids).values("id", "name")) == [
        {"id": row["id"], "name": row["name"]} for row in raw
    ]
    assert list(Debtor.objects.filter(id__in=ids).values_list("name", flat=True)) == [
        row["name"] for row in raw
    ]
    assert list(Debtor.objects.filter(id__in=ids).values_list("id", "city")) == [
        (row["id"], row["city"]) for row in raw
    ]
    assert set(Debtor.objects.in_bulk(ids)) == set(ids)


def test_only_fetches_fewer_fields(shared_session: Session) -> None:
    debtor = Debtor.objects.only("name").first()
    assert debtor is not None and debtor.name and "city" not in debtor._state.raw


@pytest.mark.slow
def test_iterator_over_100_000_rows_keeps_memory_bounded(
    asperion_sandbox: Sandbox, sandbox_user_client: Any
) -> None:
    tenant = asperion_sandbox.add_administration(records={"debtors": 100_000})
    limit = 2 * sandbox_user_client.max_concurrency + 1  # pages ahead besides the one being read
    with sandbox_user_client.tenant(tenant):
        stream = Debtor.objects.iterator()
        first = weakref.ref(next(stream))
        for consumed in itertools.count(2):
            obj = next(stream, None)
            if consumed in (1_000, 50_000):
                sent = len(asperion_sandbox.requests(path="/v1/*"))
                assert sent - consumed // 100 <= limit  # bounded read-ahead
                gc.collect()
                assert first() is None  # nothing holds on to rows already yielded
            if obj is None:
                break
    assert consumed - 1 == 100_000
    assert len(asperion_sandbox.requests(path="/v1/*")) == 1_000


def test_count_with_local_steps_warns_once_per_shape(shared_session: Session) -> None:
    _warn_once.cache_clear()
    with pytest.warns(LocalEvaluationWarning, match=r"filter \(name__icontains\)"):
        Debtor.objects.filter(name__icontains="bv").count()
    with pytest.warns(LocalEvaluationWarning) as caught:
        Debtor.objects.filter(name__icontains="zz").count()
        Debtor.objects.filter(phone_number__istartswith="06").count()
    assert len(caught) == 1


def test_strict_mode_and_server_only_refuse_local_steps(
    asperion_sandbox: Sandbox, shared_tenant: int
) -> None:
    client = asperion_sandbox.client(strict=True)
    with client.tenant(shared_tenant):
        assert Debtor.objects.filter(city="Ede").count() >= 0
        with pytest.raises(QueryError, match="strict"):
            list(Debtor.objects.filter(name__icontains="bv"))
    with client.tenant(shared_tenant), pytest.raises(QueryError):
        Debtor.objects.using(None).order_by("city", "name").server_only().first()
    assert len(asperion_sandbox.requests(path="/v1/*")) == 1


def test_bad_input_sends_nothing(shared_session: Session, asperion_sandbox: Sandbox) -> None:
    with pytest.raises(FieldError):
        Debtor.objects.filter(citty="Ede").count()
    with pytest.raises(TypeError):
        SalesInvoice.objects.filter(amount_incl_vat=1.5).exists()
    with pytest.raises(ValueError, match="Negative"):
        Debtor.objects.all()[-3:]
    assert "local: filter (name__icontains)" in Debtor.objects.filter(name__icontains="x").explain()
    assert repr(Debtor.objects.filter(id=5)).startswith("<QuerySet Debtor: GET /debtors?id=5")
    assert asperion_sandbox.requests(path="/v1/*") == []


def test_no_session_says_what_to_do() -> None:
    with pytest.raises(NoSessionError, match=r"client\.tenant"):
        Debtor.objects.count()


def test_using_another_tenant(
    asperion_sandbox: Sandbox, sandbox_user_client: Any, shared_tenant: int
) -> None:
    other = sandbox_user_client.tenant(asperion_sandbox.tenants[0])
    with sandbox_user_client.tenant(shared_tenant):
        assert Debtor.objects.using(other).count() == asperion_sandbox.state.count(
            other.tenant, "debtors"
        )


def test_none_sends_nothing(shared_session: Session, assert_requests: Counter) -> None:
    with assert_requests(0):
        assert list(Debtor.objects.none()) == [] and Debtor.objects.none().count() == 0
        assert Debtor.objects.filter(id__in=[]).exists() is False


def test_q_trees_and_excludes_match_plain_python(
    asperion_sandbox: Sandbox, shared_session: Session
) -> None:
    raw = rows(asperion_sandbox, shared_session, "debtors")
    queryset = Debtor.objects.filter(Q(city="Utrecht") | ~Q(name__icontains="b")).exclude(
        email_address=None
    )
    expected = [
        r["id"]
        for r in raw
        if (r["city"] == "Utrecht" or "b" not in r["name"].casefold())
        and r["emailAddress"] is not None
    ]
    assert [d.pk for d in queryset] == expected


def test_multi_field_order_puts_none_first(
    asperion_sandbox: Sandbox, shared_session: Session
) -> None:
    raw = rows(asperion_sandbox, shared_session, "debtors")
    ordered = sorted(raw, key=lambda r: r["id"])
    ordered.sort(key=lambda r: (r["name"] is not None, r["name"]), reverse=True)
    ordered.sort(key=lambda r: (r["city"] is not None, r["city"]))
    assert [d.pk for d in Debtor.objects.order_by("city", "-name")] == [r["id"] for r in ordered]


def test_countries_are_empty_by_default(shared_session: Session) -> None:
    assert Country.objects.count() == 12


def test_iterator_streams_past_the_response_cache(
    shared_session: Session, assert_requests: Any
) -> None:
    with assert_requests(3):  # 250 rows: the pages are not kept for a repeat
        assert len(list(Debtor.objects.iterator())) == 250
    with assert_requests(3):
        assert len(list(Debtor.objects.iterator())) == 250
    with assert_requests(3):  # a plain iteration does fill the cache...
        assert len(list(Debtor.objects.all())) == 250
    with assert_requests(0):  # ...so the same query again is free
        assert len(list(Debtor.objects.all())) == 250


def test_a_slice_past_page_one_is_right_when_the_server_pages_by_fewer_rows(
    shared_session: Session, assert_requests: Counter, asperion_sandbox: Sandbox
) -> None:
    # The client believes pages hold up to 100 rows; this server pages by 15 without saying so.
    ids = sorted(row["id"] for row in rows(asperion_sandbox, shared_session, "debtor"))
    asperion_sandbox.state.max_page_size = 15
    # [16:31] is page 2 of 16 rows to the client, rows 15..29 to a server paging by 15: the
    # short page shows the cap, page 1 measures it, and the window is asked again within 15 rows
    # a page (pages 3 and 4 of 8 rows: rows 16..31).
    with assert_requests(4):
        got = [debtor.id for debtor in Debtor.objects.order_by("id").cache(False)[16:31]]
    assert got == ids[16:31]
    sizes = [dict(r.params)["pageSize"] for r in asperion_sandbox.requests(path="/v1/*")[-4:]]
    assert sizes == ["16", "16", "8", "8"]
    with assert_requests(4):  # page 3 of 100 (short), page 1, pages 16 and 17 of 15
        tail = [debtor.id for debtor in Debtor.objects.order_by("id").cache(False)[230:]]
    assert tail == ids[230:]
