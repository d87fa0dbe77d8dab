"""Run one call chain on both sides and compare what came back.

A *case* is a function of a namespace ``ns``: ``lambda ns: ns.Debtor.objects.filter(...)``.
``ns`` is :data:`django_ns` or the library's (:func:`library_ns`); both have the models under
the same names (``Debtor``, ``Invoice``, ``PaymentCondition``, ``Article``) and the query
helpers Django has (``Q``, ``F``, ``Sum``, ``Count``, ``Avg``, ``Min``, ``Max``...). A helper the
library does not export yet is missing from its namespace, so a case using it fails there.

What a case returns is *normalised* before comparing: a model instance becomes its pk; a
QuerySet its list of rows, kept in order only when Django's QuerySet is ``ordered`` (else
sorted, compared as a multiset); every scalar is tagged with its type, so ``Decimal("1")`` does
not equal ``1.0`` nor ``True`` equal ``1``; aware datetimes compare as instants. An exception
becomes its *kind* (:data:`KINDS`), so Django's ``FieldError`` and the library's match.
"""

from __future__ import annotations

import datetime as dt
import enum
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import django.core.exceptions as django_errors
import django.db
import django.db.models as django_models

import asperion_orm as asp
from asperion_orm import resources
from asperion_orm.session import Session

__all__ = [
    "KINDS",
    "Case",
    "Outcome",
    "assert_same",
    "both",
    "django_ns",
    "library_ns",
    "normalise",
    "outcome",
    "scalar",
]

Case = Callable[[Any], Any]

HELPERS = ("Q", "F", "Value", "Sum", "Count", "Avg", "Min", "Max", "ExpressionWrapper")


def django_ns() -> SimpleNamespace:
    """Return Django's side: the reference models and ``django.db.models``' helpers."""
    from differential import models

    names = {name: getattr(django_models, name) for name in HELPERS}
    return SimpleNamespace(
        side="django",
        Debtor=models.Debtor,
        Invoice=models.Invoice,
        PaymentCondition=models.PaymentCondition,
        Article=models.Article,
        **names,
    )


def library_ns() -> SimpleNamespace:
    """Return the library's side: the shipped resources and the helpers it exports."""
    names = {name: getattr(asp, name) for name in HELPERS if hasattr(asp, name)}
    return SimpleNamespace(
        side="library",
        Debtor=resources.Debtor,
        Invoice=resources.SalesInvoice,
        PaymentCondition=resources.PaymentCondition,
        Article=resources.Article,
        **names,
    )


DJANGO = django_ns()
LIBRARY = library_ns()

KINDS: list[tuple[tuple[type[BaseException], ...], str]] = [
    ((django_errors.ObjectDoesNotExist, asp.DoesNotExist), "DoesNotExist"),
    ((django_errors.MultipleObjectsReturned, asp.MultipleObjectsReturned), "MultipleObjects"),
    ((django_errors.FieldError, asp.FieldError), "FieldError"),
    ((django.db.NotSupportedError, asp.NotSupportedError), "NotSupportedError"),
    ((django_errors.ValidationError, ValueError), "ValueError"),  # Django's bad filter values
    ((TypeError,), "TypeError"),
    ((IndexError,), "IndexError"),
]
"""Which exceptions count as the same kind; anything else is a crash and fails the test."""


@dataclass(frozen=True)
class Outcome:
    """What a case gave: a normalised value, or the kind of exception it raised."""

    value: Any = None
    raised: str | None = None
    message: str = ""
    ordered: bool = True

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Outcome):
            return NotImplemented
        return (self.value, self.raised) == (other.value, other.raised)

    def __hash__(self) -> int:
        return hash(self.raised)


def outcome(case: Case, ns: SimpleNamespace, ordered: bool | None = None) -> Outcome:
    """Run ``case`` and normalise its result (``ordered``: Django's answer decides the order).

    Warnings (Django's naive-datetime ``RuntimeWarning``, the library's local evaluation)
    are not part of the answer.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.simplefilter("ignore", asp.LocalEvaluationWarning)
            result = case(ns)
            if ordered is None:
                ordered = bool(getattr(result, "ordered", True))
            return Outcome(normalise(result, ordered), ordered=ordered)
    except Exception as exc:
        for types, kind in KINDS:
            if isinstance(exc, types):
                return Outcome(raised=kind, message=f"{type(exc).__name__}: {exc}")
        raise


def both(case: Case, session: Session) -> tuple[Outcome, Outcome]:
    """Return Django's outcome and the library's (run with ``session`` active)."""
    expected = outcome(case, DJANGO)
    with session:
        found = outcome(case, LIBRARY, expected.ordered)
    return expected, found


def assert_same(case: Case, session: Session) -> Outcome:
    """Assert that the library answers ``case`` as Django does; return Django's outcome."""
    expected, found = both(case, session)
    assert found == expected, (
        f"library: {found.value!r} {found.message}\n django: {expected.value!r} {expected.message}"
    )
    return expected


# -- normalising -------------------------------------------------------------------------------


def normalise(value: Any, ordered: bool = True) -> Any:
    """Return a comparable form of an answer (see the module docstring)."""
    if isinstance(value, django_models.QuerySet | asp.QuerySet | Iterator):
        return normalise(list(value), ordered)
    if isinstance(value, list):
        items = [normalise(item) for item in value]
        return items if ordered else sorted(items, key=repr)
    if isinstance(value, tuple):
        return tuple(normalise(item) for item in value)
    if isinstance(value, Mapping):
        return {normalise(key): normalise(item) for key, item in value.items()}
    if isinstance(value, django_models.Model | asp.Model):
        return ("object", value.pk)
    return scalar(value)


def scalar(value: Any) -> Any:
    """Tag a value with its kind: ``("int", 5)``, ``("Decimal", Decimal("5.00"))``..."""
    if value is None:
        return None
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, enum.IntEnum | int):
        return ("int", int(value))
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return ("naive datetime", value)
        return ("datetime", value.astimezone(dt.UTC))
    return (type(value).__name__, value)
