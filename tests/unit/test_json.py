from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asperion_orm import _json


def test_decimal_is_written_exactly_and_read_back_as_decimal() -> None:
    text = _json.dumps({"amount": Decimal("0.10"), "big": Decimal("1E+3"), "n": 3})
    assert text == '{"amount":0.10,"big":1000,"n":3}'
    assert _json.loads(text) == {"amount": Decimal("0.10"), "big": 1000, "n": 3}
    assert isinstance(_json.loads(text)["amount"], Decimal)


def test_float_is_refused() -> None:
    with pytest.raises(TypeError, match="use Decimal"):
        _json.dumps({"amount": 0.1})


def test_non_finite_decimal_is_refused() -> None:
    with pytest.raises(ValueError, match="not a JSON number"):
        _json.dumps(Decimal("NaN"))


@given(
    st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2, allow_nan=False),
    st.text(),
)
def test_round_trip_is_exact(amount: Decimal, text: str) -> None:
    assert _json.loads(_json.dumps([amount, text])) == [amount, text]


@pytest.mark.parametrize(
    "text",
    [b"NaN", b'{"x": Infinity}', b"[-Infinity]", b"[" * 100_000 + b"]" * 100_000,
     b"1" * 5000, b'"\xff"'],
    ids=["NaN", "Infinity", "-Infinity", "nested 100,000 deep", "5,000 digits", "bad UTF-8"],
)  # fmt: skip
def test_what_is_not_plain_json_is_a_value_error(text: bytes) -> None:
    with pytest.raises(ValueError):
        _json.loads(text)
