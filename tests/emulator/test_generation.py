"""How the relation generator builds its rows: calls per row, templates, the table's index.

What the rows hold is pinned by test_generated_data.py (digests) and
test_generated_relations.py (shapes); these tests pin the mechanism that makes 100,000
debtors cheap, so that a change which quietly brings back per-row work fails here.
"""

from __future__ import annotations

import gc
import sys
from array import array
from collections import Counter
from types import FrameType
from typing import Any

import pytest

from asperion_orm.testing.emulator import data
from asperion_orm.testing.emulator.app import EmulatorState
from asperion_orm.testing.emulator.store import Table

Row = dict[str, Any]
TERMS = ("directDebit", "paymentMethodId", "comments", "characteristic4", "blocked", "noReminder")


def _calls(debtors: int) -> Counter[tuple[str, str]]:
    """Count the Python and C calls made while an administration with ``debtors`` is generated."""
    warm = EmulatorState(records={"debtors": 1})  # pools and tables built once per process
    warm.count(warm.tenants[0], "debtors")
    state = EmulatorState(records={"debtors": debtors})
    calls: Counter[tuple[str, str]] = Counter()

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            calls[event, frame.f_code.co_name] += 1
        elif event == "c_call":
            calls[event, getattr(arg, "__qualname__", repr(arg))] += 1

    sys.setprofile(profile)
    try:
        state.count(state.tenants[0], "debtors")
    finally:
        sys.setprofile(None)
    return calls


def test_a_debtor_costs_one_call_the_copy_of_its_template_and_no_python_call() -> None:
    small, large = _calls(1000), _calls(3000)
    grown = {key: large[key] - small[key] for key in large if large[key] != small[key]}
    assert grown == {("c_call", "dict.copy"): 2000}


def test_the_terms_come_from_at_most_280_templates_with_the_fields_in_document_order() -> None:
    state = EmulatorState(records={"debtors": 1})
    fields = list(state.spec.resources["debtors"].fields)
    templates = data._templates("customerNumber", "debtorKindId")
    assert len(templates) == data.POOL
    distinct = {id(template): template for template in templates}.values()
    assert 100 < len(distinct) <= 2 * 5 * 7 * 2 * 2
    for template in distinct:
        assert list(template) == fields
        rest = {name: value for name, value in template.items() if name not in TERMS}
        assert rest == {**dict.fromkeys(set(fields) - set(TERMS)), "countryCode": "NL"}
    terms = {tuple(template[name] for name in TERMS) for template in distinct}
    assert len(terms) == len(distinct)  # one template per combination of terms


def test_every_row_is_a_dict_of_its_own_not_a_shared_template() -> None:
    state = EmulatorState(records={"debtors": 5000})
    state.count(state.tenants[0], "debtors")
    rows = list(state.store.administrations[state.tenants[0]].tables["debtors"].rows.values())
    templates = {id(template) for template in data._templates("customerNumber", "debtorKindId")}
    assert len({id(row) for row in rows}) == len(rows) == 5000
    assert not templates & {id(row) for row in rows}
    shared = Counter(tuple(row[name] for name in TERMS) for row in rows).most_common(1)[0][1]
    assert shared > 100  # many rows share a template's terms, none shares its dict


def test_a_table_takes_a_generated_dict_of_rows_by_id_as_it_is() -> None:
    state = EmulatorState(records={"debtors": 3})
    resource = state.spec.resources["debtors"]
    by_id = {7: {"id": 7}, 9: {"id": 9}}
    table = Table(resource, by_id)
    assert table.rows is by_id and table.next_id == 10
    listed = Table(resource, [{"id": 7}, {"id": 9}])
    assert listed.rows == by_id and listed.next_id == 10


@pytest.mark.parametrize("size", [0, 1, 2, 3])
def test_a_handful_of_debtors_is_generated_like_many(size: int) -> None:
    state = EmulatorState(seed=5, records={"debtors": size})
    resource = state.spec.resources["debtors"]
    rows = state.rows(state.tenants[0], "debtors")
    first = resource.first_id
    assert [row["id"] for row in rows] == list(range(first, first + size))
    assert [row["customerNumber"] for row in rows] == [str(1001 + n) for n in range(size)]
    assert all(list(row) == list(resource.fields) for row in rows)
    assert all(row["name"] and row["iban"] and row["dateAdded"] for row in rows)


@pytest.mark.parametrize("draws", [[], [5], [5, 70], [65535, 0, 5]])
def test_a_pick_looks_every_draw_up_whatever_their_number(draws: list[int]) -> None:
    pool = [f"value {n}" for n in range(data.POOL)]
    assert list(data._pick(pool, array("H", draws))) == [pool[draw] for draw in draws]


def _collections(state: EmulatorState) -> list[int]:
    """Return the generations the collector collected while ``state`` generated its data."""
    seen: list[int] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(record)
    try:
        state.count(state.tenants[0], "debtors")
    finally:
        gc.callbacks.remove(record)
    return seen


def test_generating_makes_one_young_collection_instead_of_one_per_700_rows() -> None:
    assert gc.isenabled()
    assert _collections(EmulatorState(records={"debtors": 20_000})) == [1]
    assert gc.isenabled()


def test_a_collector_switched_off_stays_off_and_is_not_run() -> None:
    gc.disable()
    try:
        assert _collections(EmulatorState(records={"debtors": 2000})) == []
        assert not gc.isenabled()
    finally:
        gc.enable()
