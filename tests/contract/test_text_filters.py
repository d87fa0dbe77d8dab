"""Text filters: ``<Field>_comparison`` and the ``text_match`` knob, in both of its modes.

``contains-ci`` (the default, as the live API): a text filter without ``_comparison`` is
Contains, and every text comparison ignores case. ``exact-cs`` (the emulator's old manner):
without ``_comparison`` it is Equals, and comparisons are case-sensitive.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from asperion_orm.testing.emulator.app import TEXT_MATCH_MODES, EmulatorState
from asperion_orm.testing.sandbox import Sandbox

from .helpers import Api, body

ROWS: list[dict[str, Any]] = [
    {"name": "alpha", "city": "Utrecht", "customerNumber": "12"},
    {"name": "Beta", "city": "Utrecht", "customerNumber": "2012"},
    {"name": "Ærø", "city": "Delft", "customerNumber": "120"},
    {"name": "beta", "city": "'s-Hertogenbosch", "customerNumber": "312"},
    {"name": "Zed", "city": None, "customerNumber": "7"},
    {"name": "Alphabet", "city": "UTRECHT", "customerNumber": "8"},
]
COMPARISONS = ["Contains", "Equals", "NotEquals", "StartsWith", "EndsWith"]


@pytest.fixture(params=TEXT_MATCH_MODES)
def mode(request: pytest.FixtureRequest, asperion_sandbox: Sandbox) -> Iterator[str]:
    """Run the test once per ``text_match`` mode (the plugin restores the default after)."""
    asperion_sandbox.set_text_match(request.param)
    yield request.param


@pytest.fixture
def people(asperion_sandbox: Sandbox, user_api: Api) -> Api:
    """Return a tenant whose debtors are exactly ``ROWS``."""
    api = user_api.using(tenant=asperion_sandbox.add_administration(records={"debtors": 0}))
    for values in ROWS:
        response = api.post("debtors", values)
        assert response.status_code == 201, response.text
    return api


def names(api: Api, params: Any) -> list[str]:
    return [row["name"] for row in api.rows("debtors", params)]


def expected(mode: str, contains_ci: list[str], exact_cs: list[str]) -> list[str]:
    return contains_ci if mode == "contains-ci" else exact_cs


def test_contains_ci_is_the_default() -> None:
    assert EmulatorState().text_match == "contains-ci"
    assert Sandbox().state.text_match == "contains-ci"


def test_without_comparison(people: Api, mode: str) -> None:
    assert names(people, {"name": "beta"}) == expected(mode, ["Beta", "beta"], ["beta"])
    assert names(people, {"name": "ALPH"}) == expected(mode, ["alpha", "Alphabet"], [])
    assert names(people, {"city": "utrecht"}) == expected(mode, ["alpha", "Beta", "Alphabet"], [])


def test_contains_matches_inside_the_value(people: Api, mode: str) -> None:
    # The live API's own example: InvoiceNumber=12 also finds 2012-0123.
    numbers = [row["customerNumber"] for row in people.rows("debtors", {"customerNumber": "12"})]
    assert numbers == expected(mode, ["12", "2012", "120", "312"], ["12"])


@pytest.mark.parametrize(
    ("comparison", "value", "contains_ci", "exact_cs"),
    [
        ("Contains", "ET", ["Beta", "beta", "Alphabet"], []),
        ("Contains", "et", ["Beta", "beta", "Alphabet"], ["Beta", "beta", "Alphabet"]),
        ("Equals", "BETA", ["Beta", "beta"], []),
        ("Equals", "Beta", ["Beta", "beta"], ["Beta"]),
        ("NotEquals", "beta", ["alpha", "Ærø", "Zed", "Alphabet"],
         ["alpha", "Beta", "Ærø", "Zed", "Alphabet"]),
        ("StartsWith", "al", ["alpha", "Alphabet"], ["alpha"]),
        ("EndsWith", "A", ["alpha", "Beta", "beta"], []),
        ("Equals", "ærø", ["Ærø"], []),
    ],
)  # fmt: skip
def test_each_comparison(
    people: Api,
    mode: str,
    comparison: str,
    value: str,
    contains_ci: list[str],
    exact_cs: list[str],
) -> None:
    params = {"name": value, "name_comparison": comparison}
    assert names(people, params) == expected(mode, contains_ci, exact_cs)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("Name_Comparison", "startswith"),
        ("NAME_COMPARISON", "STARTSWITH"),
        ("name_comparison", "StartsWith"),
    ],
)
def test_comparison_name_and_value_are_case_insensitive(
    people: Api, mode: str, name: str, value: str
) -> None:
    assert names(people, {"Name": "Ze", name: value}) == ["Zed"]


def test_repeated_values_are_or_with_the_comparison_on_each(people: Api, mode: str) -> None:
    params = [("name", "al"), ("name", "ze"), ("name_comparison", "StartsWith")]
    assert names(people, params) == expected(mode, ["alpha", "Zed", "Alphabet"], ["alpha"])


def test_not_equals_matches_nulls_and_the_others_do_not(people: Api, mode: str) -> None:
    assert "Zed" in names(people, {"city": "Utrecht", "city_comparison": "NotEquals"})
    for comparison in ("Contains", "Equals", "StartsWith", "EndsWith"):
        assert "Zed" not in names(people, {"city": "", "city_comparison": comparison})


def test_text_and_other_filters_are_and(people: Api, mode: str) -> None:
    params = {
        "city": "Utrecht",
        "city_comparison": "Equals",
        "name": "a",
        "name_comparison": "Contains",
        "blocked": "false",
    }
    assert names(people, params) == expected(mode, ["alpha", "Beta", "Alphabet"], ["alpha", "Beta"])


def test_comparison_without_a_value_filters_nothing(people: Api, mode: str) -> None:
    assert len(names(people, {"name_comparison": "Equals"})) == len(ROWS)


@pytest.mark.parametrize("value", ["Like", "equal", "", "Contains,Equals"])
def test_unknown_comparison_is_400_naming_the_parameter_and_the_choices(
    seeded_api: Api, value: str
) -> None:
    response = seeded_api.get("debtors", {"name": "a", "Name_comparison": value})
    assert response.status_code == 400
    assert response.headers["Content-Type"].startswith("application/problem+json")
    problem = body(response)
    assert set(problem) >= {"type", "title", "status", "traceId", "errors"}
    (message,) = problem["errors"]["Name_comparison"]
    assert all(choice in message for choice in COMPARISONS)


@pytest.mark.parametrize(
    ("resource", "parameter"),
    [
        ("debtors", "blocked_comparison"),
        ("debtors", "id_comparison"),
        ("debtors", "dateAdded_comparison"),
        ("salesinvoices", "status_comparison"),
        ("journalentrylog", "action_comparison"),
    ],
)
def test_comparison_on_a_field_that_is_not_text_is_400(
    seeded_api: Api, resource: str, parameter: str
) -> None:
    response = seeded_api.get(resource, {parameter: "Equals"})
    assert response.status_code == 400
    assert parameter in body(response)["errors"]


@pytest.mark.parametrize("parameter", ["shoeSize_comparison", "lines_comparison", "_comparison"])
def test_comparison_on_an_unknown_field_is_400(seeded_api: Api, parameter: str) -> None:
    response = seeded_api.get("salesinvoiceswithlines", {parameter: "Equals"})
    assert response.status_code == 400
    assert parameter in body(response)["errors"]


def test_comparison_may_be_given_once(seeded_api: Api) -> None:
    params = [("name", "a"), ("name_comparison", "Equals"), ("Name_comparison", "Contains")]
    response = seeded_api.get("debtors", params)
    assert response.status_code == 400


def test_invoice_number_contains_by_default(seeded_api: Api, mode: str) -> None:
    numbers = [row["invoiceNumber"] for row in seeded_api.all_rows("salesinvoices")]
    needle = next(number for number in numbers if number)[-2:]
    found = seeded_api.all_rows("salesinvoices", [("InvoiceNumber", needle)])
    if mode == "contains-ci":
        assert {row["invoiceNumber"] for row in found} == {n for n in numbers if n and needle in n}
    else:
        assert found == []
    equal = [("InvoiceNumber", numbers[0]), ("InvoiceNumber_comparison", "Equals")]
    assert [row["invoiceNumber"] for row in seeded_api.all_rows("salesinvoices", equal)] == [
        numbers[0]
    ]


def test_string_keys_are_text(seeded_api: Api, mode: str) -> None:
    by_journal = seeded_api.all_rows("journalentrieswithlines", [("JournalId", "0")])
    journals = {row["journalId"] for row in by_journal}
    assert journals == expected(mode, {"20", "90"}, set())  # type: ignore[arg-type]
    vat = [row["id"] for row in seeded_api.rows("vatcodes", {"id": "vh"})]
    assert vat == expected(mode, ["VH21"], [])
    exact = [
        row["id"] for row in seeded_api.rows("vatcodes", {"Id": "VH21", "Id_comparison": "Equals"})
    ]
    assert exact == ["VH21"]


def test_the_mode_is_a_runtime_knob(asperion_sandbox: Sandbox, people: Api) -> None:
    asperion_sandbox.set_text_match("contains-ci")
    assert names(people, {"name": "BETA"}) == ["Beta", "beta"]
    asperion_sandbox.set_text_match("exact-cs")
    assert names(people, {"name": "BETA"}) == []
    asperion_sandbox.reset_knobs()
    assert asperion_sandbox.state.text_match == "contains-ci"
    assert names(people, {"name": "BETA"}) == ["Beta", "beta"]


def test_reset_knobs_restores_the_mode_the_sandbox_started_with() -> None:
    sandbox = Sandbox(text_match="exact-cs")
    sandbox.set_text_match("contains-ci")
    sandbox.reset_knobs()
    assert sandbox.state.text_match == "exact-cs"


@pytest.mark.parametrize("bad", ["contains", "exact", "", "CONTAINS-CI"])
def test_an_unknown_mode_is_a_value_error_naming_the_modes(
    asperion_sandbox: Sandbox, bad: str
) -> None:
    for make in (
        lambda: EmulatorState(text_match=bad),
        lambda: Sandbox(text_match=bad),
        lambda: asperion_sandbox.set_text_match(bad),
    ):
        with pytest.raises(ValueError, match=r"contains-ci.*exact-cs"):
            make()
    assert asperion_sandbox.state.text_match == "contains-ci"
