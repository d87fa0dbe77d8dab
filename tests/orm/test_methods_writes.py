"""Django's write and instance methods against the sandbox: bulk_update, update_or_create with
create_defaults, refresh_from_db(fields=) and full_clean(exclude=)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest

import asperion_orm as asp
from asperion_orm import fields
from asperion_orm.exceptions import FieldError, ValidationError
from asperion_orm.resources import Debtor
from asperion_orm.session import Session
from asperion_orm.testing.sandbox import Sandbox

Counter = Callable[[int], AbstractContextManager[None]]


class UniqueDebtor(asp.Model):
    """A debtor whose customer number the API keeps unique (``Meta.unique``)."""

    id = fields.Integer(read_only=True)
    name = fields.String(max_length=100, required=True, null=False)
    customer_number = fields.String(max_length=20)

    class Meta:
        path = "debtors"
        unique = ("customer_number",)
        filterable = ("id", "customer_number")


def stored(sandbox: Sandbox, session: Session, pk: int) -> dict[str, Any]:
    return next(row for row in sandbox.state.rows(session.tenant, "debtors") if row["id"] == pk)


def writes(sandbox: Sandbox) -> list[tuple[str, str]]:
    return [(e.method, e.path) for e in sandbox.requests(path="/v1/*") if e.method != "GET"]


# -- bulk_update --------------------------------------------------------------------------------


def test_bulk_update_patches_only_the_named_fields(
    asperion_sandbox: Sandbox, asperion_session: Session
) -> None:
    debtors = list(Debtor.objects.order_by("id")[:3])
    originals = {d.pk: stored(asperion_sandbox, asperion_session, d.pk)["name"] for d in debtors}
    for number, debtor in enumerate(debtors):
        debtor.city = f"Stad {number}"
        debtor.name = "not sent"
    asperion_sandbox.clear_log()
    assert Debtor.objects.bulk_update(debtors, ["city"]) == 3
    assert sorted(writes(asperion_sandbox)) == sorted(
        ("PATCH", f"/v1/debtors/{d.pk}") for d in debtors
    )
    for number, debtor in enumerate(debtors):
        row = stored(asperion_sandbox, asperion_session, debtor.pk)
        assert (row["city"], row["name"]) == (f"Stad {number}", originals[debtor.pk])
        assert debtor.name == "not sent"  # as in Django, the objects are not reloaded


def test_bulk_update_counts_matched_rows_as_django(
    asperion_sandbox: Sandbox, asperion_session: Session
) -> None:
    first, second, gone = Debtor.objects.order_by("id")[:3]
    Debtor.objects.filter(pk=gone.pk).delete()
    first.city, second.city, gone.city = "A", "B", "C"
    again = Debtor.objects.get(pk=first.pk)
    again.city = "later"
    asperion_sandbox.clear_log()
    # One batch: the first of two objects with one id wins, the deleted one matches nothing.
    assert Debtor.objects.bulk_update([first, second, gone, again], ["city"]) == 2
    assert len(writes(asperion_sandbox)) == 3
    assert stored(asperion_sandbox, asperion_session, first.pk)["city"] == "A"
    # Batches of two: the second batch updates the same row again.
    assert Debtor.objects.bulk_update([first, second, again], ["city"], batch_size=2) == 3
    assert stored(asperion_sandbox, asperion_session, first.pk)["city"] == "later"


def test_bulk_update_checks_everything_before_the_first_request(
    asperion_sandbox: Sandbox, asperion_session: Session
) -> None:
    debtors = list(Debtor.objects.order_by("id")[:2])
    debtors[1].city = "x" * 61
    asperion_sandbox.clear_log()
    with pytest.raises(ValidationError) as caught:
        Debtor.objects.bulk_update(debtors, ["city"])
    assert set(caught.value.errors) == {"city"}
    with pytest.raises(ValueError, match="Field names must be given"):
        Debtor.objects.bulk_update(debtors, [])
    with pytest.raises(ValueError, match="must have a primary key set"):
        Debtor.objects.bulk_update([Debtor(name="new")], ["city"])
    with pytest.raises(ValueError, match="cannot be used with primary key fields"):
        Debtor.objects.bulk_update(debtors, ["id"])
    with pytest.raises(ValueError, match="the API sets it"):
        Debtor.objects.bulk_update(debtors, ["date_added"])
    with pytest.raises(ValueError, match="only be used with concrete fields"):
        Debtor.objects.bulk_update(debtors, ["sales_invoices"])
    with pytest.raises(ValueError, match="Batch size must be a positive integer"):
        Debtor.objects.bulk_update(debtors, ["city"], batch_size=0)
    with pytest.raises(FieldError):
        Debtor.objects.bulk_update(debtors, ["no_such_field"])
    assert Debtor.objects.bulk_update([], ["city"]) == 0
    assert asperion_sandbox.requests(path="/v1/*") == []


# -- update_or_create(create_defaults=) ---------------------------------------------------------


def test_update_or_create_with_create_defaults(
    asperion_sandbox: Sandbox, asperion_session: Session
) -> None:
    created, made = Debtor.objects.update_or_create(
        customer_number="U-1",
        defaults={"city": "Bijgewerkt"},
        create_defaults={"name": "Nieuw", "city": "Nieuw"},
    )
    assert made and (created.name, created.city) == ("Nieuw", "Nieuw")
    asperion_sandbox.clear_log()
    updated, made = Debtor.objects.update_or_create(
        customer_number="U-1",
        defaults={"city": lambda: "Bijgewerkt"},
        create_defaults={"name": "Nieuw", "city": "Nieuw"},
    )
    assert not made and updated.pk == created.pk
    assert writes(asperion_sandbox) == [("PATCH", f"/v1/debtors/{created.pk}")]
    row = stored(asperion_sandbox, asperion_session, created.pk)
    assert (row["name"], row["city"]) == ("Nieuw", "Bijgewerkt")
    with pytest.raises(FieldError, match=r"Invalid field name\(s\) for model Debtor: 'no_such'"):
        Debtor.objects.update_or_create(customer_number="U-2", create_defaults={"no_such": 1})


def test_get_or_create_calls_callable_defaults_only_when_creating(
    asperion_session: Session,
) -> None:
    calls: list[str] = []

    def city() -> str:
        calls.append("called")
        return "Ede"

    obj, made = Debtor.objects.get_or_create(
        customer_number="G-1", defaults={"name": "G", "city": city}
    )
    assert made and obj.city == "Ede" and calls == ["called"]
    again, made = Debtor.objects.get_or_create(customer_number="G-1", defaults={"city": city})
    assert not made and again.pk == obj.pk and calls == ["called"]


# -- refresh_from_db(fields=) -------------------------------------------------------------------


def test_refresh_from_db_of_some_fields_keeps_the_others(
    asperion_sandbox: Sandbox, asperion_session: Session, assert_requests: Counter
) -> None:
    debtor = Debtor.objects.order_by("id")[0]
    other = Debtor.objects.cache(False).get(pk=debtor.pk)
    other.city, other.name = "Elders", "Andere naam"
    other.save()
    debtor.comments = "unsaved"
    with assert_requests(1):
        debtor.refresh_from_db(fields=["city"])
    assert asperion_sandbox.requests(path="/v1/*")[-1].path == f"/v1/debtors/{debtor.pk}"
    assert debtor.city == "Elders" and debtor.name != "Andere naam"
    assert debtor.comments == "unsaved" and debtor._changed_fields() == {"comments"}
    with assert_requests(1):
        debtor.refresh_from_db()
    assert debtor.name == "Andere naam" and debtor._changed_fields() == set()
    with assert_requests(0):
        debtor.refresh_from_db(fields=[])
    with pytest.raises(Debtor.DoesNotExist):
        debtor.refresh_from_db(from_queryset=Debtor.objects.filter(city="Nergens"))
    with pytest.raises(ValueError, match="Relations and transforms are not allowed"):
        debtor.refresh_from_db(fields=["payment_condition__description"])
    with pytest.raises(FieldError):
        debtor.refresh_from_db(fields=["no_such_field"])


# -- full_clean(exclude=, validate_unique=) -----------------------------------------------------


def test_full_clean_excludes_fields() -> None:
    debtor = Debtor(city="x" * 61)
    with pytest.raises(ValidationError) as caught:
        debtor.full_clean()
    assert set(caught.value.errors) == {"name", "city"}
    with pytest.raises(ValidationError) as caught:
        debtor.full_clean(exclude=["name"])
    assert set(caught.value.errors) == {"city"}
    debtor.full_clean(exclude=["name", "city"])


def test_full_clean_checks_unique_fields_with_one_request(
    asperion_sandbox: Sandbox, asperion_session: Session, assert_requests: Counter
) -> None:
    taken = Debtor.objects.order_by("id")[0].customer_number
    with assert_requests(1), pytest.raises(ValidationError) as caught:
        UniqueDebtor(name="x", customer_number=taken).full_clean()
    assert caught.value.errors == {
        "customer_number": ["UniqueDebtor with this Customer number already exists."]
    }
    with assert_requests(1):
        UniqueDebtor(name="x", customer_number="free-number").full_clean()
    with assert_requests(0):
        UniqueDebtor(name="x", customer_number=taken).full_clean(validate_unique=False)
        UniqueDebtor(name="x", customer_number=taken).full_clean(exclude=["customer_number"])
    existing = UniqueDebtor.objects.filter(customer_number=taken)[0]
    with assert_requests(1):
        existing.full_clean()  # its own number is not a clash


class CheckedDebtor(asp.Model):
    """A debtor whose ``clean()`` refuses a city without a post code."""

    id = fields.Integer(read_only=True)
    name = fields.String(max_length=100, required=True, null=False)
    city = fields.String(max_length=60)
    post_code = fields.String(max_length=10)

    class Meta:
        path = "debtors"

    def clean(self) -> None:
        if self.city and not self.post_code:
            raise ValidationError({"post_code": ["A city needs a post code."]})


def test_full_clean_runs_clean_fields_then_clean_as_django() -> None:
    debtor = CheckedDebtor(city="Ede", name="x" * 101)
    with pytest.raises(ValidationError) as caught:
        debtor.full_clean()
    assert set(caught.value.errors) == {"name", "post_code"}
    with pytest.raises(ValidationError) as caught:
        debtor.clean_fields(exclude=["city"])
    assert set(caught.value.errors) == {"name"}
    debtor.clean_fields(exclude=["name"])
    debtor.validate_constraints()
    with pytest.raises(TypeError, match="not a str"):
        debtor.full_clean(exclude="name")


def test_validate_unique_and_serializable_value(
    asperion_session: Session, assert_requests: Counter
) -> None:
    existing = Debtor.objects.order_by("id")[0]
    with assert_requests(1), pytest.raises(ValidationError):
        UniqueDebtor(name="x", customer_number=existing.customer_number).validate_unique()
    assert existing.serializable_value("payment_condition") == existing.payment_condition_id
    assert existing.serializable_value("pk") == existing.pk


def test_as_manager(asperion_session: Session) -> None:
    class CityQuerySet(asp.QuerySet[Any]):
        def in_ede(self) -> asp.QuerySet[Any]:
            return self.filter(city="Ede")

    manager = CityQuerySet.as_manager()  # type: ignore[attr-defined]
    assert isinstance(manager, asp.Manager) and hasattr(manager, "in_ede")
