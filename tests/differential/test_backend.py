"""The reference itself: its SQLite backend, and Django's answers from the loaded rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from asperion_orm.testing.sandbox import Sandbox
from differential.backend.base import arith, like
from differential.data import Loaded


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("%a%", "ALPHA", False),
        ("%A%", "ALPHA", True),
        ("%é%", "ÉCLAIR", False),
        ("a_b", "axb", True),
        ("a\\_b", "axb", False),
        ("a\\_b", "a_b", True),
        ("50\\%%", "50% korting", True),
        ("50\\%%", "500 korting", False),
        ("%", "", True),
        ("", "x", False),
        ("a%", "a\nb", True),
    ],
)
def test_like_is_case_sensitive_with_escapes(pattern: str, value: str, matches: bool) -> None:
    assert like(pattern, value, "\\") is matches


def test_like_with_null_is_null() -> None:
    assert like(None, "x") is None
    assert like("x", None) is None


@pytest.mark.parametrize(
    ("connector", "left", "right", "result"),
    [
        ("+", 2, 3, 5),
        ("/", 7, 2, 3),
        ("/", -7, 2, -3),  # integer division truncates towards zero, as in SQLite and PostgreSQL
        ("%%", -7, 2, -1),
        ("%", 7, -2, 1),
        ("/", 7, 0, None),
        ("-", 500.01, 500.0, 0.01),
        ("*", 0.1, 3, 0.3),
        ("/", 10.5, 3, 3.5),
        ("+", None, 1, None),
    ],
)
def test_arithmetic_is_exact_for_decimals(
    connector: str, left: object, right: object, result: object
) -> None:
    assert arith(connector, left, right) == result


def test_the_connection_uses_the_exact_functions() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'ALPHA' LIKE '%a%', REF_FOLD('ÉCLAIR'), UPPER('é'), LOWER('Ë')")
        assert cursor.fetchone() == (0, "éclair", "É", "ë")
        cursor.execute("SELECT REF_ARITH('-', 500.01, 500), REF_ARITH('/', -7, 2)")
        assert cursor.fetchone() == (0.01, -3)


def test_django_answers_from_the_loaded_rows_as_computed_by_hand(
    reference: Loaded, asperion_sandbox: Sandbox
) -> None:
    from differential import models

    debtors = asperion_sandbox.state.rows(reference.tenant, "debtors")
    invoices = asperion_sandbox.state.rows(reference.tenant, "salesinvoices")
    moment = dt.datetime(2025, 6, 15, 10, 0, 44, 1000, dt.UTC)

    def ids(queryset: Any) -> set[int]:
        return set(queryset.values_list("id", flat=True))

    assert ids(models.Debtor.objects.filter(name__contains="A")) == {
        r["id"] for r in debtors if "A" in r["name"]
    }
    assert ids(models.Debtor.objects.filter(name__icontains="é")) == {
        r["id"] for r in debtors if "é" in r["name"].casefold()
    }
    assert ids(models.Debtor.objects.filter(city__iexact="EDE")) == {
        r["id"] for r in debtors if r["city"] is not None and r["city"].casefold() == "ede"
    }
    assert ids(models.Debtor.objects.filter(date_added__gte=moment)) == {
        r["id"]
        for r in debtors
        if r["dateAdded"] is not None and dt.datetime.fromisoformat(r["dateAdded"]) >= moment
    }
    assert ids(models.Invoice.objects.filter(amount_incl_vat__gt=Decimal("500"))) == {
        r["id"] for r in invoices if r["amountInclVat"] > Decimal("500")
    }
    assert len(debtors) == len(reference.debtors) > 0
