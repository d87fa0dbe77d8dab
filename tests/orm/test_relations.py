"""Lookups across relations: inner queries first, then the outer query by the keys they found.

Expected answers are computed by hand from the emulator's rows; request counts are exact.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

import pytest

import asperion_orm as asp
from asperion_orm import NotSupportedError, Q, fields
from asperion_orm.exceptions import FieldError, QueryError
from asperion_orm.resources import Debtor, Journal, PaymentCondition, SalesInvoice
from asperion_orm.session import Session
from asperion_orm.testing.sandbox import Sandbox

pytestmark = pytest.mark.filterwarnings("ignore::asperion_orm.LocalEvaluationWarning")

Counter = Callable[[int], AbstractContextManager[None]]
Rows = list[dict[str, Any]]


def rows(sandbox: Sandbox, session: Session, resource: str) -> Rows:
    return sandbox.state.rows(session.tenant, resource)


def invoices(sandbox: Sandbox, session: Session) -> Rows:
    return rows(sandbox, session, "salesinvoiceswithlines")


def pages(count: int) -> int:
    """Return the requests a scan of ``count`` rows takes (100 a page, at least one)."""
    return max(1, math.ceil(count / 100))


# -- forward ------------------------------------------------------------------------------------


def test_forward_lookup_runs_the_inner_query_first(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    utrecht = {d["id"] for d in rows(asperion_sandbox, shared_session, "debtors")
               if d["city"] == "Utrecht"}  # fmt: skip
    expected = [i["id"] for i in invoices(asperion_sandbox, shared_session)
                if i["debtorId"] in utrecht]  # fmt: skip
    assert utrecht and expected
    with assert_requests(1 + pages(len(expected))):
        found = list(SalesInvoice.objects.filter(debtor__city="Utrecht"))
    assert [invoice.pk for invoice in found] == expected
    inner, outer = asperion_sandbox.requests(path="/v1/*")[-1 - pages(len(expected)) :][:2]
    assert inner.path == "/v1/debtors" and ("fields", "id,city") in inner.params
    assert sorted(v for k, v in outer.params if k == "debtorId") == sorted(map(str, utrecht))


def test_forward_lookups_nest(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    conditions = rows(asperion_sandbox, shared_session, "paymentconditions")
    wanted = conditions[0]["description"]
    condition_ids = {c["id"] for c in conditions if c["description"] == wanted}
    debtors = {d["id"] for d in rows(asperion_sandbox, shared_session, "debtors")
               if d["paymentConditionId"] in condition_ids}  # fmt: skip
    expected = [i["id"] for i in invoices(asperion_sandbox, shared_session)
                if i["debtorId"] in debtors]  # fmt: skip
    assert expected
    queryset = SalesInvoice.objects.filter(debtor__payment_condition__description=wanted)
    with assert_requests(1 + pages(len(debtors)) + pages(len(expected))):
        assert [invoice.pk for invoice in queryset] == expected


def test_forward_conditions_of_one_filter_share_one_inner_query(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    debtors = {d["id"] for d in rows(asperion_sandbox, shared_session, "debtors")
               if d["city"] == "Utrecht" and not d["blocked"]}  # fmt: skip
    expected = [i["id"] for i in invoices(asperion_sandbox, shared_session)
                if i["debtorId"] in debtors]  # fmt: skip
    queryset = SalesInvoice.objects.filter(debtor__city="Utrecht", debtor__blocked=False)
    with assert_requests(1 + pages(len(expected))):
        assert [invoice.pk for invoice in queryset] == expected
    chained = SalesInvoice.objects.cache(False).filter(debtor__city="Utrecht")
    with assert_requests(1 + pages(len(expected))):  # one debtor per invoice: still one query
        assert [invoice.pk for invoice in chained.filter(debtor__blocked=False)] == expected


def test_pk_of_the_related_row_is_the_foreign_key(shared_session: Session) -> None:
    queryset = SalesInvoice.objects.filter(debtor__id__in=[5, 6], debtor__pk=5)
    assert "debtors" not in queryset.explain()
    assert str(queryset.query).count("debtorId=") == 2


def test_a_relation_to_a_string_key(asperion_sandbox: Sandbox, shared_session: Session) -> None:
    journals = rows(asperion_sandbox, shared_session, "journals")
    sales = {j["id"] for j in journals if j["type"] == journals[0]["type"]}
    found = SalesInvoice.objects.filter(journal__type=journals[0]["type"])
    expected = [
        i["id"] for i in invoices(asperion_sandbox, shared_session) if i["journalId"] in sales
    ]
    assert [invoice.pk for invoice in found] == expected
    reverse = {j.pk for j in Journal.objects.filter(sales_invoices__bookyear=2025)}
    assert reverse == {i["journalId"] for i in invoices(asperion_sandbox, shared_session)
                       if i["bookyear"] == 2025}  # fmt: skip


def test_an_inner_query_without_rows_sends_no_outer_request(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    with assert_requests(1):
        assert list(SalesInvoice.objects.filter(debtor__city="Atlantis")) == []
    with assert_requests(1):
        assert SalesInvoice.objects.cache(False).filter(debtor__city="Atlantis").count() == 0
    with assert_requests(1):  # the AND stops at the first empty answer
        assert (
            not SalesInvoice.objects.cache(False)
            .filter(debtor__city="Atlantis", payment_condition__description="x")
            .exists()
        )


def test_a_long_inner_result_is_sent_in_url_bounded_chunks(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    from asperion_orm.orm.planner import MAX_URL_BYTES

    debtors = [d["id"] for d in rows(asperion_sandbox, shared_session, "debtors") if d["name"]]
    expected = [i["id"] for i in invoices(asperion_sandbox, shared_session)]
    queryset = SalesInvoice.objects.filter(debtor__id__gte=0, debtor__name__isnull=False)
    found = [invoice.pk for invoice in queryset]
    assert found == sorted(expected)
    sent = asperion_sandbox.requests(path="/v1/salesinvoiceswithlines")
    assert len(debtors) == 250 and len(sent) > 1
    assert max(len(entry.url) for entry in sent) <= MAX_URL_BYTES
    assert {v for e in sent for k, v in e.params if k == "debtorId"} == set(map(str, debtors))


# -- reverse and Django's multi-valued rules ----------------------------------------------------


def _debtors_with(invoice_rows: Rows, test: Callable[[dict[str, Any]], bool]) -> set[int]:
    return {i["debtorId"] for i in invoice_rows if test(i)}


def test_reverse_lookup_filters_by_the_distinct_debtor_ids(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    all_invoices = invoices(asperion_sandbox, shared_session)
    big = [i for i in all_invoices if i["amountInclVat"] >= 1000]
    expected = sorted(_debtors_with(big, lambda i: True))
    queryset = Debtor.objects.filter(sales_invoices__amount_incl_vat__gte=Decimal(1000))
    outer = math.ceil(len(expected) / 100)  # ids in chunks of a page, fetched concurrently
    with assert_requests(pages(len(big)) + outer):
        assert sorted(debtor.pk for debtor in queryset) == expected
    inner = next(e for e in asperion_sandbox.requests(path="/v1/salesinvoiceswithlines"))
    assert ("fields", "id,debtorId") in inner.params


def test_one_filter_call_means_the_same_related_row(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    all_invoices = invoices(asperion_sandbox, shared_session)
    same = _debtors_with(all_invoices, lambda i: i["bookyear"] == 2025 and i["status"] == 7)
    year = _debtors_with(all_invoices, lambda i: i["bookyear"] == 2025)
    paid = _debtors_with(all_invoices, lambda i: i["status"] == 7)
    assert same != year & paid  # the data tells the two rules apart
    together = Debtor.objects.filter(sales_invoices__bookyear=2025, sales_invoices__status=7)
    apart = Debtor.objects.filter(sales_invoices__bookyear=2025).filter(sales_invoices__status=7)
    matching = [i for i in all_invoices if i["bookyear"] == 2025 and i["status"] == 7]
    with assert_requests(pages(len(matching)) + pages(len(same))):
        assert {debtor.pk for debtor in together} == same
    assert {debtor.pk for debtor in apart} == year & paid


def test_exclude_keeps_rows_without_a_match_and_splits_conditions(
    asperion_sandbox: Sandbox, shared_session: Session
) -> None:
    all_invoices = invoices(asperion_sandbox, shared_session)
    debtor_ids = {d["id"] for d in rows(asperion_sandbox, shared_session, "debtors")}
    year = _debtors_with(all_invoices, lambda i: i["bookyear"] == 2025)
    paid = _debtors_with(all_invoices, lambda i: i["status"] == 7)
    excluded = Debtor.objects.exclude(sales_invoices__bookyear=2025, sales_invoices__status=7)
    # Django: the conditions of one exclude() need not hold for the same invoice.
    assert {debtor.pk for debtor in excluded} == debtor_ids - (year & paid)
    negated = Debtor.objects.filter(~Q(sales_invoices__bookyear=2025) | Q(name__startswith="A"))
    starts_a = {d["id"] for d in rows(asperion_sandbox, shared_session, "debtors")
                if d["name"].startswith("A")}  # fmt: skip
    assert {debtor.pk for debtor in negated} == (debtor_ids - year) | starts_a


def test_or_of_conditions_on_one_relation(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    all_invoices = invoices(asperion_sandbox, shared_session)
    expected = _debtors_with(
        all_invoices, lambda i: i["bookyear"] == 2024 and (i["status"] == 7 or i["bookperiod"] == 1)
    )
    queryset = Debtor.objects.filter(
        Q(sales_invoices__bookyear=2024)
        & (Q(sales_invoices__status=7) | Q(sales_invoices__bookperiod=1))
    )
    assert {debtor.pk for debtor in queryset} == expected
    either = Debtor.objects.filter(Q(sales_invoices__status=7) | Q(sales_invoices__bookperiod=1))
    expected = _debtors_with(all_invoices, lambda i: i["status"] == 7 or i["bookperiod"] == 1)
    assert {debtor.pk for debtor in either} == expected


def test_exclude_across_a_forward_relation_keeps_null_keys(
    asperion_sandbox: Sandbox, asperion_session: Session
) -> None:
    pc = rows(asperion_sandbox, asperion_session, "paymentconditions")[0]
    keep = Debtor.objects.create(name="Zonder conditie", payment_condition=None)
    debtors = rows(asperion_sandbox, asperion_session, "debtors")
    expected = {d["id"] for d in debtors if d["paymentConditionId"] != pc["id"]}
    found = Debtor.objects.exclude(payment_condition__description=pc["description"])
    assert keep.pk in expected and {debtor.pk for debtor in found} == expected


def test_isnull_across_relations(
    asperion_sandbox: Sandbox, asperion_session: Session, assert_requests: Counter
) -> None:
    lonely = Debtor.objects.create(name="Zonder facturen", payment_condition=None)
    debtors = rows(asperion_sandbox, asperion_session, "debtors")
    billed = _debtors_with(invoices(asperion_sandbox, asperion_session), lambda i: True)
    without = {d["id"] for d in debtors} - billed
    assert lonely.pk in without
    assert {d.pk for d in Debtor.objects.filter(sales_invoices__isnull=True)} == without
    assert {d.pk for d in Debtor.objects.filter(sales_invoices__isnull=False)} == billed
    assert {d.pk for d in Debtor.objects.exclude(sales_invoices__isnull=True)} == billed
    # Django's outer join: a null key, or a related row whose field is null.
    no_condition = {d["id"] for d in debtors if d["paymentConditionId"] is None}
    found = Debtor.objects.filter(payment_condition__description__isnull=True)
    assert {d.pk for d in found} == no_condition == {lonely.pk}
    assert Debtor.objects.filter(payment_condition__description__isnull=False).count() == (
        len(debtors) - 1
    )


def test_explicit_subqueries(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    utrecht = {d["id"] for d in rows(asperion_sandbox, shared_session, "debtors")
               if d["city"] == "Utrecht"}  # fmt: skip
    expected = [i["id"] for i in invoices(asperion_sandbox, shared_session)
                if i["debtorId"] in utrecht]  # fmt: skip
    inner = Debtor.objects.filter(city="Utrecht")
    for value in (inner, inner.values_list("id", flat=True), inner.values("id")):
        queryset = SalesInvoice.objects.cache(False).filter(debtor__in=value)
        with assert_requests(1 + pages(len(expected))):
            assert [invoice.pk for invoice in queryset] == expected
    conditions = SalesInvoice.objects.filter(debtor__in=inner).values_list("payment_condition")
    found = PaymentCondition.objects.filter(id__in=conditions)
    assert {c.pk for c in found} == {i["paymentConditionId"] for i in invoices(
        asperion_sandbox, shared_session) if i["debtorId"] in utrecht}  # fmt: skip
    with pytest.raises(ValueError, match='Use a QuerySet for "Debtor"'):
        SalesInvoice.objects.filter(debtor__in=PaymentCondition.objects.all())
    with pytest.raises(TypeError, match="multi-field"):
        SalesInvoice.objects.filter(debtor__in=inner.values("id", "name"))
    with assert_requests(0):
        assert list(SalesInvoice.objects.filter(debtor__in=Debtor.objects.none())) == []


# -- every way of running a query resolves the inner queries first -----------------------------


def test_explain_lists_the_inner_requests_then_the_outer_ones(
    shared_session: Session, assert_requests: Counter
) -> None:
    queryset = SalesInvoice.objects.filter(
        debtor__payment_condition__description="30 dagen netto", date__gte="2025-01-01"
    )
    with assert_requests(0):
        lines = queryset.explain().splitlines()
    assert lines[0] == "query 1: id of PaymentCondition for payment_condition__(description__exact)"
    assert lines[1].startswith("  GET /paymentconditions?description=30+dagen+netto")
    second = lines.index(
        "query 2: id of Debtor for debtor__(payment_condition__(description__exact))"
    )
    assert "paymentConditionId=<ids from query 1>" in lines[second + 1]
    outer = [line for line in lines if line.startswith("GET /salesinvoiceswithlines")]
    assert outer == [
        "GET /salesinvoiceswithlines?date_from=2025-01-01&debtorId=<ids from query 2>"
        "&page=1&pageSize=100"
    ]


def test_count_exists_first_slices_and_iterator_resolve_first(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    utrecht = {d["id"] for d in rows(asperion_sandbox, shared_session, "debtors")
               if d["city"] == "Utrecht"}  # fmt: skip
    expected = [i["id"] for i in invoices(asperion_sandbox, shared_session)
                if i["debtorId"] in utrecht]  # fmt: skip
    queryset = SalesInvoice.objects.cache(False).filter(debtor__city="Utrecht")
    with assert_requests(2):
        assert queryset.count() == len(expected)
    with assert_requests(2):
        assert queryset.exists()
    with assert_requests(2):
        first = queryset.first()
        assert first is not None and first.pk == expected[0]
    assert [invoice.pk for invoice in queryset.order_by("-id")[1:3]] == expected[::-1][1:3]
    assert [invoice.pk for invoice in queryset.iterator(chunk_size=10)] == expected
    assert queryset.get(pk=expected[-1]).pk == expected[-1]
    with pytest.raises(SalesInvoice.DoesNotExist):
        queryset.get(pk=next(i for i in range(1, 10**6) if i not in expected))


def test_inner_queries_run_in_the_outer_querysets_tenant(
    asperion_sandbox: Sandbox, sandbox_user_client: Any, shared_tenant: int
) -> None:
    other = asperion_sandbox.add_administration(records={"debtors": 5, "salesinvoices": 5})
    with sandbox_user_client.tenant(other):
        queryset = SalesInvoice.objects.filter(debtor__name__isnull=False)
    with sandbox_user_client.tenant(shared_tenant) as shared:
        found = list(queryset.using(shared))
    assert len(found) == len(asperion_sandbox.state.rows(shared_tenant, "salesinvoiceswithlines"))
    assert {e.tenant for e in asperion_sandbox.requests(path="/v1/debtors")} == {shared_tenant}


def test_writes_resolve_the_inner_query_first(
    asperion_sandbox: Sandbox, asperion_session: Session
) -> None:
    billed = _debtors_with(
        invoices(asperion_sandbox, asperion_session), lambda i: i["bookyear"] == 2024
    )
    changed = Debtor.objects.filter(sales_invoices__bookyear=2024).update(comments="2024")
    assert changed == len(billed)
    debtors = rows(asperion_sandbox, asperion_session, "debtors")
    assert {d["id"] for d in debtors if d["comments"] == "2024"} == billed
    lonely = Debtor.objects.create(name="Zonder facturen")
    assert Debtor.objects.filter(sales_invoices__isnull=True, pk=lonely.pk).delete()[0] == 1


def test_strict_mode_refuses_a_local_inner_query(
    shared_session: Session, assert_requests: Counter
) -> None:
    outer_strict = SalesInvoice.objects.server_only().filter(debtor__name__icontains="b")
    inner_strict = Debtor.objects.filter(name__icontains="b").server_only()
    with assert_requests(0):
        for queryset in (outer_strict, SalesInvoice.objects.filter(debtor__in=inner_strict)):
            with pytest.raises(QueryError, match="strict mode"):
                list(queryset)


def test_a_reverse_relation_compares_related_objects(
    asperion_sandbox: Sandbox, shared_session: Session
) -> None:
    invoice = SalesInvoice.objects.order_by("id").first()
    assert invoice is not None
    found = Debtor.objects.filter(sales_invoices=invoice)
    assert [debtor.pk for debtor in found] == [invoice.debtor_id]
    assert list(Debtor.objects.filter(sales_invoices__in=[invoice.pk])) == list(found)


class UnfilteredInvoice(asp.Model):
    """An invoice whose debtor key the server cannot filter by."""

    id = fields.Integer(read_only=True)
    debtor = fields.ForeignKey(Debtor)

    class Meta:
        path = "salesinvoiceswithlines"
        filterable = ("id",)


def test_a_key_without_a_server_filter_is_filtered_here(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    utrecht = {d["id"] for d in rows(asperion_sandbox, shared_session, "debtors")
               if d["city"] == "Utrecht"}  # fmt: skip
    all_invoices = invoices(asperion_sandbox, shared_session)
    queryset = UnfilteredInvoice.objects.filter(debtor__city="Utrecht")
    assert queryset.explain().splitlines()[-1] == "local: filter (debtor__in <ids from query 1>)"
    with assert_requests(1 + pages(len(all_invoices))):
        found = [invoice.pk for invoice in queryset]
    assert found == [i["id"] for i in all_invoices if i["debtorId"] in utrecht]
    with pytest.raises(QueryError, match="strict mode"):
        list(queryset.server_only())


def test_what_cannot_cross_a_relation_says_so() -> None:
    with pytest.raises(FieldError, match=r"only\(\) and defer\(\) take fields"):
        SalesInvoice.objects.only("debtor__name")
    with pytest.raises(NotSupportedError, match="nested in 'lines'"):
        SalesInvoice.objects.filter(lines__description="x")
    with pytest.raises(FieldError, match="Choices are"):
        SalesInvoice.objects.filter(debtor__nope="x")
    with pytest.raises(FieldError, match="nope"):
        Debtor.objects.filter(sales_invoices__nope=1)
    with pytest.raises(ValueError, match="True or False"):  # Django's ValueError
        Debtor.objects.filter(sales_invoices__isnull="yes")


# -- select_related, and ordering and values by fields of related rows --------------------------


def test_select_related_loads_forward_keys_in_one_request_per_relation(
    asperion_sandbox: Sandbox, sandbox_user_client: Any, assert_requests: Counter
) -> None:
    tenant = asperion_sandbox.add_administration(records={"debtors": 40, "salesinvoices": 150})
    with sandbox_user_client.tenant(tenant) as session:
        debtors = {d["id"]: d for d in rows(asperion_sandbox, session, "debtors")}
        conditions = {c["id"]: c for c in rows(asperion_sandbox, session, "paymentconditions")}
        queryset = SalesInvoice.objects.select_related("debtor", "debtor__payment_condition")
        with assert_requests(2 + 1 + 1):  # two pages of invoices, debtors, conditions
            found = list(queryset)
            for invoice in found:
                debtor = debtors[invoice.debtor_id]
                assert invoice.debtor.name == debtor["name"]
                condition = invoice.debtor.payment_condition
                assert (
                    condition.description == conditions[debtor["paymentConditionId"]]["description"]
                )
        with assert_requests(2 + 1):  # select_related(): the non-null keys (debtor) only
            assert all(
                i.debtor.city is not None or True
                for i in SalesInvoice.objects.cache(False).select_related()
            )
        with assert_requests(2 + 2):  # iterator(): related rows a batch at a time
            streamed = SalesInvoice.objects.select_related("debtor").iterator(chunk_size=100)
            names = [i.debtor.name for i in streamed]
        stored = rows(asperion_sandbox, session, "salesinvoiceswithlines")
        assert names == [debtors[i["debtorId"]]["name"] for i in stored]


def test_get_by_id_loads_the_selected_relations(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    stored = invoices(asperion_sandbox, shared_session)[7]
    with assert_requests(2):
        invoice = SalesInvoice.objects.select_related("debtor").get(pk=stored["id"])
        assert invoice.debtor.pk == stored["debtorId"]


def test_select_related_names_only_forward_keys() -> None:
    with pytest.raises(
        FieldError, match=r"select_related: 'city'\. Choices are: payment_condition"
    ):
        Debtor.objects.select_related("city")
    with pytest.raises(FieldError, match="Choices are: debtor, journal, payment_condition"):
        SalesInvoice.objects.select_related("lines")
    with pytest.raises(TypeError, match=r"after \.values"):
        SalesInvoice.objects.values("id").select_related("debtor")
    assert SalesInvoice.objects.select_related("debtor").select_related(None)._select_related == ()


def test_order_by_and_values_across_a_relation(
    asperion_sandbox: Sandbox, shared_session: Session, assert_requests: Counter
) -> None:
    debtors = {d["id"]: d for d in rows(asperion_sandbox, shared_session, "debtors")}
    all_invoices = invoices(asperion_sandbox, shared_session)
    by_name = sorted(all_invoices, key=lambda i: (debtors[i["debtorId"]]["name"], i["id"]))
    keys = {i["debtorId"] for i in all_invoices}
    # Every page of invoices, then the debtors: their ids in chunks of a page.
    with assert_requests(pages(len(all_invoices)) + pages(len(keys))):
        found = list(SalesInvoice.objects.order_by("debtor__name", "id")[3:13])
    assert [invoice.pk for invoice in found] == [i["id"] for i in by_name[3:13]]
    descending = SalesInvoice.objects.order_by("-debtor__city", "-id").values_list(
        "id", "debtor__city"
    )
    expected = sorted(
        all_invoices, key=lambda i: (debtors[i["debtorId"]]["city"], i["id"]), reverse=True
    )
    assert list(descending) == [(i["id"], debtors[i["debtorId"]]["city"]) for i in expected]
    values = SalesInvoice.objects.filter(debtor__city="Utrecht").values("id", "debtor__name")
    assert list(values) == [
        {"id": i["id"], "debtor__name": debtors[i["debtorId"]]["name"]}
        for i in all_invoices
        if debtors[i["debtorId"]]["city"] == "Utrecht"
    ]
    assert SalesInvoice.objects.order_by("debtor__name").count() == len(all_invoices)
    by_city = SalesInvoice.objects.order_by("debtor__city", "-date").values_list("id", flat=True)
    expected = sorted(all_invoices, key=lambda i: i["id"])
    expected.sort(key=lambda i: i["date"], reverse=True)
    expected.sort(key=lambda i: debtors[i["debtorId"]]["city"])
    assert list(by_city[:20]) == [i["id"] for i in expected[:20]]


def test_values_across_two_relations_with_nulls(
    asperion_sandbox: Sandbox, asperion_session: Session
) -> None:
    lonely = Debtor.objects.create(name="Zonder conditie", payment_condition=None)
    conditions = {
        c["id"]: c["description"]
        for c in rows(asperion_sandbox, asperion_session, "paymentconditions")
    }
    debtors = rows(asperion_sandbox, asperion_session, "debtors")
    expected = sorted(
        ((d["id"], conditions.get(d["paymentConditionId"])) for d in debtors),
        key=lambda pair: (pair[1] is not None, pair[1] or "", pair[0]),
    )
    found = Debtor.objects.order_by("payment_condition__description").values_list(
        "id", "payment_condition__description"
    )
    assert list(found) == expected and expected[0] == (lonely.pk, None)
    nested = SalesInvoice.objects.values_list("debtor__payment_condition__description", flat=True)
    by_id = {d["id"]: d for d in debtors}
    assert list(nested) == [
        conditions.get(by_id[i["debtorId"]]["paymentConditionId"])
        for i in invoices(asperion_sandbox, asperion_session)
    ]
    with pytest.raises(NotSupportedError, match="reverse"):
        Debtor.objects.order_by("sales_invoices__date")


@pytest.mark.parametrize("mode", ["contains-ci", "exact-cs"])
def test_relations_in_both_text_match_modes(
    asperion_sandbox: Sandbox, shared_session: Session, mode: str
) -> None:
    asperion_sandbox.set_text_match(mode)  # the plugin restores the default afterwards
    debtors = {d["id"]: d for d in rows(asperion_sandbox, shared_session, "debtors")}
    all_invoices = invoices(asperion_sandbox, shared_session)
    city = debtors[all_invoices[0]["debtorId"]]["city"]
    queryset = SalesInvoice.objects.cache(False)
    found = queryset.filter(debtor__city=city).values_list("id", flat=True)
    assert list(found) == [i["id"] for i in all_invoices if debtors[i["debtorId"]]["city"] == city]
    lower = queryset.filter(debtor__city=city.lower())
    assert list(lower) == []  # exact: case matters, as in Django
    reverse = Debtor.objects.cache(False).filter(sales_invoices__description__contains="diensten")
    expected = {i["debtorId"] for i in all_invoices if "diensten" in i["description"]}
    assert {debtor.pk for debtor in reverse} == expected
