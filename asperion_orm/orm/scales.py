"""Scales: the values the API can hold for a field, so a filter value becomes an exact bound.

A field whose values sit on a grid (whole numbers, cents, days, milliseconds) between a lowest
and a highest value has a ``Scale``. The planner uses it to send any lookup value exactly: a
value between two grid points or past the ends cannot equal a stored value, and a bound
between grid points is the inclusive bound next to it (``gte 499.995`` is ``_from=500.00``).
Fields without a scale (text) are sent as given.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from typing import Any

__all__ = ["DateScale", "DecimalScale", "IntegerScale", "MomentScale", "OneOf", "Scale"]


class Scale:
    """Every ``unit`` from ``lowest`` to ``highest`` (``None``: as far as Python goes)."""

    def __init__(self, unit: Any, lowest: Any = None, highest: Any = None) -> None:
        self.unit = unit
        self.lowest = lowest
        self.highest = highest

    def snap(self, value: Any) -> Any:
        """Return the largest grid value at or below ``value`` (``value`` within the ends)."""
        return value

    def add(self, value: Any, units: int) -> Any:
        """Return ``value`` moved by ``units`` steps, or ``None`` where Python's type ends."""
        try:
            return value + self.unit * units
        except OverflowError:
            return None

    def holds(self, value: Any) -> bool:
        """Return whether a stored value can equal ``value``."""
        return not self._below(value) and not self._above(value) and self.snap(value) == value

    def at_or_above(self, value: Any) -> Any:
        """Return the least value held at or above ``value``; ``None`` when there is none."""
        if self._above(value):
            return None
        if self._below(value):
            return self.lowest
        low = self.snap(value)
        return low if low == value else self.add(low, 1)

    def at_or_below(self, value: Any) -> Any:
        """Return the greatest value held at or below ``value``; ``None`` when there is none."""
        if self._below(value):
            return None
        if self._above(value):
            return self.highest
        return self.snap(value)

    def above(self, value: Any) -> Any:
        """Return the least value held strictly above ``value``; ``None`` when there is none."""
        bound = self.at_or_above(value)
        if bound is not None and bound == value:
            bound = self.add(bound, 1)
        return None if bound is None or self._above(bound) else bound

    def below(self, value: Any) -> Any:
        """Return the greatest value held strictly below ``value``; ``None`` when there is none."""
        bound = self.at_or_below(value)
        if bound is not None and bound == value:
            bound = self.add(bound, -1)
        return None if bound is None or self._below(bound) else bound

    def _below(self, value: Any) -> bool:
        return self.lowest is not None and value < self.lowest

    def _above(self, value: Any) -> bool:
        return self.highest is not None and value > self.highest


class IntegerScale(Scale):
    """Whole numbers between two limits (the API's are 32-bit)."""

    def __init__(self, lowest: int, highest: int) -> None:
        super().__init__(1, lowest, highest)

    def snap(self, value: Any) -> Any:
        return math.floor(value)


class DecimalScale(Scale):
    """Numbers with ``places`` decimals and at most ``max_digits`` digits."""

    def __init__(self, places: int, max_digits: int) -> None:
        unit = decimal.Decimal(1).scaleb(-places)
        highest = decimal.Decimal(10) ** (max_digits - places) - unit
        super().__init__(unit, -highest, highest)
        self.context = decimal.Context(prec=max_digits, rounding=decimal.ROUND_FLOOR)

    def snap(self, value: Any) -> Any:
        return decimal.Decimal(value).quantize(self.unit, context=self.context)

    def add(self, value: Any, units: int) -> Any:
        total = self.context.add(value, self.context.multiply(self.unit, units))
        return total.copy_abs() if total.is_zero() else total  # rounding down makes -0.00


class DateScale(Scale):
    """Calendar days."""

    def __init__(self) -> None:
        super().__init__(dt.timedelta(days=1))


class MomentScale(Scale):
    """Moments to the millisecond: what the API keeps of a datetime."""

    def __init__(self) -> None:
        super().__init__(dt.timedelta(milliseconds=1))

    def snap(self, value: Any) -> Any:
        return value - dt.timedelta(microseconds=value.microsecond % 1000)


class OneOf(Scale):
    """A fixed set of values, unordered (the choices of a field)."""

    def __init__(self, choices: tuple[Any, ...]) -> None:
        super().__init__(None)
        self.choices = choices

    def holds(self, value: Any) -> bool:
        return value in self.choices
