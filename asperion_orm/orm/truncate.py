"""Truncating dates and datetimes to a year, month, ISO week, day, hour, minute or second.

``dates()`` and ``datetimes()`` use it as Django's ``Trunc`` does: a datetime is truncated as
the clock reads in a time zone, and the result is aware in that zone.
"""

from __future__ import annotations

import datetime as dt

__all__ = ["DATETIME_KINDS", "DATE_KINDS", "local_date", "trunc_date", "trunc_datetime"]

DATE_KINDS = ("year", "month", "week", "day")
DATETIME_KINDS = (*DATE_KINDS, "hour", "minute", "second")

# What each kind shorter than a day clears of the clock.
_CLEARED = {
    "hour": {"minute": 0, "second": 0, "microsecond": 0},
    "minute": {"second": 0, "microsecond": 0},
    "second": {"microsecond": 0},
}


def trunc_date(value: dt.date, kind: str) -> dt.date:
    """Return the first day of the year, month or ISO week (Monday) of ``value``, or the day."""
    day = dt.date(value.year, value.month, value.day)
    if kind == "year":
        return day.replace(month=1, day=1)
    if kind == "month":
        return day.replace(day=1)
    if kind == "week":
        return day - dt.timedelta(days=day.weekday())
    return day


def trunc_datetime(value: dt.datetime, kind: str, tz: dt.tzinfo) -> dt.datetime:
    """Return ``value`` truncated as the clock reads in ``tz``, aware in ``tz``."""
    local = value.astimezone(tz).replace(tzinfo=None)
    if kind in DATE_KINDS:
        start = dt.datetime.combine(trunc_date(local.date(), kind), dt.time())
    else:
        start = local.replace(**_CLEARED[kind])  # type: ignore[arg-type]
    return start.replace(tzinfo=tz)


def local_date(value: dt.date, tz: dt.tzinfo) -> dt.date:
    """Return the calendar date of ``value`` in ``tz`` (a datetime is converted first)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(tz).date()
    return value
