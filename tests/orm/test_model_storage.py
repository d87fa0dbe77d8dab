"""How an instance stores its row: slots, the API row itself, nothing made until it is needed."""

from __future__ import annotations

import copy
import gc
import linecache
import pickle
import tracemalloc
import weakref
from collections.abc import Callable
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any

import pytest

from asperion_orm.exceptions import ValidationError
from asperion_orm.orm import fields as fields_module
from asperion_orm.orm import model as model_module
from asperion_orm.orm.iterables import reader
from asperion_orm.resources import Debtor
from asperion_orm.session import Session

from .models import SampleCountry, SampleDebtor

Counter = Callable[[int], AbstractContextManager[None]]

RAW = {"id": 7, "name": "Bakker BV", "city": "Delft", "active": True, "creditLimit": Decimal(5)}


def dicts_held(obj: Any) -> list[dict[str, Any]]:
    """Return the dicts an object refers to (its ``__dict__`` would be one of them)."""
    return [ref for ref in gc.get_referents(obj) if type(ref) is dict]


def test_a_loaded_instance_keeps_the_row_itself_and_makes_nothing_while_read(
    shared_session: Session,
) -> None:
    debtors = list(Debtor.objects.order_by("id")[:5])
    for debtor in debtors:
        # Generated data: what the values are depends on which administration this is.
        assert debtor.name and type(debtor.blocked) is bool and debtor.pk
        assert dicts_held(debtor) == [debtor._raw]  # no __dict__, no values dict: the row only
        assert debtor._values is None and debtor._changed is None and debtor._related is None


def test_building_an_instance_allocates_one_object_and_reading_allocates_nothing() -> None:
    rows = [dict(RAW, id=n) for n in range(1_000)]
    warm = SampleDebtor.from_api(RAW)  # the fields make their converters once, on first use
    assert warm.name and warm.city and warm.active and warm.pk
    ours = [tracemalloc.Filter(True, model_module.__file__)]
    ours.append(tracemalloc.Filter(True, fields_module.__file__))
    tracemalloc.start()
    try:
        start = tracemalloc.take_snapshot().filter_traces(ours)
        debtors = [SampleDebtor._adopt(row, None) for row in rows]
        built = tracemalloc.take_snapshot().filter_traces(ours)
        assert all(d.name and d.city and d.active and d.pk >= 0 for d in debtors)
        read = tracemalloc.take_snapshot().filter_traces(ours)
    finally:
        tracemalloc.stop()
    made = [stat for stat in built.compare_to(start, "lineno") if stat.count_diff]
    # One line, the instance's: the object itself (and, on CPython 3.11, the empty values
    # array it keeps for a __dict__ that stays unmade); no state object, no values dict.
    assert len(made) == 1 and made[0].count_diff <= 2 * len(rows)
    frame = made[0].traceback[0]
    assert "__new__" in linecache.getline(frame.filename, frame.lineno)
    assert not [stat for stat in read.compare_to(built, "lineno") if stat.count_diff > 0]


def test_a_converted_value_is_kept_and_the_change_set_is_made_on_the_first_write() -> None:
    debtor = SampleDebtor.from_api(RAW)
    assert debtor.credit_limit == Decimal("5.00")
    assert debtor._values == {"credit_limit": Decimal("5.00")} and debtor._changed is None
    assert debtor.credit_limit is debtor.credit_limit
    debtor.city = "Leiden"
    assert debtor._changed == {"city"} and debtor.city == "Leiden"
    assert debtor._raw["city"] == "Delft"  # the row stays as the API sent it


def test_a_write_copies_a_shared_row_before_changing_it(
    asperion_session: Session, assert_requests: Counter
) -> None:
    created = Debtor.objects.create(name="Fresh")
    row = {"id": created.pk, "name": "Stale", "city": "Delft"}
    pristine = dict(row)
    debtor = Debtor._adopt(row, asperion_session)  # as a page's row that a cache also holds
    with assert_requests(2):
        debtor.refresh_from_db(fields=["name"])
        assert debtor.name == "Fresh" and debtor.city == "Delft"
        debtor.delete()
    assert debtor.pk is None and row == pristine


class Noted(SampleDebtor):
    """A user's subclass that sets an attribute of its own."""

    def note(self, text: str) -> None:
        self.remark = text


class Slotted(SampleDebtor):
    """A user's subclass with slots of its own."""

    __slots__ = ("flag",)


def test_a_subclass_may_keep_attributes_of_its_own() -> None:
    noted, slotted = Noted.from_api(RAW), Slotted.from_api(RAW)
    noted.note("call back")
    slotted.flag = True
    assert noted.remark == "call back" and vars(noted) == {"remark": "call back"}
    assert pickle.loads(pickle.dumps(noted)).remark == "call back"
    assert pickle.loads(pickle.dumps(slotted)).flag is True
    assert copy.copy(slotted).flag is True and weakref.ref(noted)() is noted


def test_pickling_keeps_values_changes_and_tenant_but_not_the_session(
    shared_session: Session,
) -> None:
    debtor = Debtor.objects.order_by("id")[0]
    debtor.city = "Zwolle"
    again = pickle.loads(pickle.dumps(debtor))
    assert again == debtor and again.name == debtor.name and again.city == "Zwolle"
    assert again._changed == {"city"} and again._state.session is None
    assert again._state.tenant == shared_session.tenant and not again._state.adding


def test_a_copy_keeps_the_session_and_changes_apart_from_the_original() -> None:
    country = SampleCountry.from_api({"id": 3, "name": "Nederland", "code": "NL"})
    debtor = SampleDebtor.from_api(RAW)
    debtor.country = country
    clone = copy.copy(debtor)
    clone.city = "Leiden"
    assert debtor.city == "Delft" and clone.city == "Leiden" and clone.country is country
    assert debtor._changed == {"country"} and clone._changed == {"country", "city"}
    assert clone._raw is debtor._raw and clone._shared and debtor._shared


def test_state_tells_a_new_object_from_a_loaded_one() -> None:
    new, loaded = SampleDebtor(name="Nieuw"), SampleDebtor.from_api(RAW)
    assert new._state.adding and not loaded._state.adding
    assert new._state.changed == {"name", "active"} and loaded._state.changed == frozenset()
    assert loaded._changed is None  # asking does not make the set


def test_plain_values_are_read_as_sent_and_others_still_convert_and_check() -> None:
    name = SampleDebtor._meta.fields["name"]
    text = "Bakker BV"
    for read in (reader(name, None), lambda row: SampleDebtor.from_api(row).name):
        assert read({"name": text}) is text and read({}) is None
        with pytest.raises(ValidationError, match="name"):
            read({"name": "x" * 101})  # longer than max_length: marshmallow's error, as before
    limit = reader(SampleDebtor._meta.fields["credit_limit"], None)
    assert limit({"creditLimit": Decimal("5")}) == Decimal("5.00")
