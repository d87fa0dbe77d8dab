"""JSON that keeps money exact: numbers with a fraction load as ``Decimal`` and dump unchanged."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

__all__ = ["dumps", "loads"]

_encode_string = json.encoder.encode_basestring_ascii


def loads(text: str | bytes) -> Any:
    """Parse JSON, turning every number with a fraction or exponent into a ``Decimal``.

    Anything that is not plain JSON raises ``ValueError``: ``NaN`` and ``Infinity`` (they would
    load as ``float``), invalid UTF-8, integers longer than ``int`` reads (4,300 digits) and
    nesting deeper than the interpreter's recursion limit.
    """
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def dumps(value: Any) -> str:
    """Serialise ``value`` to compact JSON, writing ``Decimal`` as an exact JSON number.

    ``float`` is refused: money must never pass through binary floating point.
    """
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_encode_string(value))
    elif isinstance(value, int):
        out.append(int.__repr__(value))
    elif isinstance(value, Decimal):
        out.append(_decimal_literal(value))
    elif isinstance(value, dict):
        _write_object(value, out)
    elif isinstance(value, list | tuple):
        _write_array(value, out)
    elif isinstance(value, float):
        raise TypeError(f"refusing to serialise float {value!r}: use Decimal for amounts")
    else:
        raise TypeError(f"cannot serialise {type(value).__name__} to JSON")


def _write_object(value: dict[Any, Any], out: list[str]) -> None:
    out.append("{")
    for index, (key, item) in enumerate(value.items()):
        if not isinstance(key, str):
            raise TypeError(f"JSON object keys must be str, not {type(key).__name__}")
        if index:
            out.append(",")
        out.append(_encode_string(key))
        out.append(":")
        _write(item, out)
    out.append("}")


def _write_array(value: list[Any] | tuple[Any, ...], out: list[str]) -> None:
    out.append("[")
    for index, item in enumerate(value):
        if index:
            out.append(",")
        _write(item, out)
    out.append("]")


def _decimal_literal(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError(f"{value} is not a JSON number")
    # Fixed-point notation keeps "0.10" as 0.10 and never writes an exponent the API may reject.
    return format(value, "f")
