"""The emulator's fast JSON writer gives exactly what the project's exact writer gives."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from asperion_orm import _json
from asperion_orm.testing.emulator.app import _DECIMAL_MARK, dumps

BODIES: list[Any] = [
    {"a": Decimal("0.10"), "b": [Decimal("-1.00"), Decimal("12345678901234567890.12")]},
    {"text": 'quote " and \\ backslash', "n": None, "t": True, "i": 2**40},
    {"mark": "dec-0123456789abcdef:1.00", "nested": [{"x": Decimal("1E+2")}]},
    {"unicode": "Zoë 東京 😀", "empty": [], "obj": {}},
    [Decimal("0"), "dec-", '"dec-'],
]


@pytest.mark.parametrize("value", BODIES)
def test_fast_dumps_matches_the_exact_writer(value: Any) -> None:
    assert dumps(value) == _json.dumps(value)


def test_the_mark_is_random_per_process() -> None:
    assert len(_DECIMAL_MARK) > 16


def test_floats_never_leave_the_emulator_as_numbers() -> None:
    with pytest.raises(TypeError):
        dumps({"x": Decimal("NaN")})
