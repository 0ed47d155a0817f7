"""Calendar arithmetic of point lots, at the cost of a dict lookup per earning order.

A lot's expiry (``FixedLifetime``: so many months and days after it is earned) was
``local + relativedelta(months=..., days=...)`` per earning order, and its release after the
pending days ``local + relativedelta(days=...)``: building and applying a ``relativedelta``
costs about 10 us, most of a replay's per-order calendar work. :func:`add_months` gives the
very same datetime from integer arithmetic and the month's length cached per month; adding
days is a ``timedelta`` (what ``relativedelta(days=n)`` adds after a no-op ``replace``).
``tests/test_shift.py`` checks both against ``relativedelta`` on random instants, 29 February
and the DST changes included.

Imports: the standard library only.
"""

from __future__ import annotations

from calendar import monthrange
from datetime import datetime, timedelta

__all__ = ["add_days", "add_months"]

_LENGTHS: dict[tuple[int, int], int] = {}
"""(year, month) -> days in the month (``calendar.monthrange``), a small cache."""
_DAYS: dict[int, timedelta] = {}


def _length(year: int, month: int) -> int:
    days = _LENGTHS.get((year, month))
    if days is None:
        days = _LENGTHS[(year, month)] = monthrange(year, month)[1]
    return days


def add_months(local: datetime, months: int, days: int = 0) -> datetime:
    """``local + relativedelta(months=months, days=days)``, exactly: the month moved by
    ``months`` with the day clipped to its end (31 August + 6 months is 28 or 29 February),
    the wall-clock time and zone kept, then ``days`` days added on the wall clock (which,
    as in ``relativedelta``, resets ``fold``).

    >>> from zoneinfo import ZoneInfo
    >>> add_months(datetime(2025, 8, 31, 9, tzinfo=ZoneInfo("Europe/Berlin")), 6).isoformat()
    '2026-02-28T09:00:00+01:00'
    """
    if months:
        total = local.month - 1 + months
        year = local.year + total // 12
        month = total % 12 + 1
        day = local.day
        if day > 28:
            day = min(day, _length(year, month))
        local = local.replace(year=year, month=month, day=day)
    return local + add_days(days)


def add_days(days: int) -> timedelta:
    """``timedelta(days=days)``, shared: adding it to a local datetime is what
    ``relativedelta(days=days)`` does (its ``replace`` changes nothing)."""
    step = _DAYS.get(days)
    if step is None:
        step = _DAYS[days] = timedelta(days=days)
    return step
