"""Calendar arithmetic of the gift triggers, in the program's time zone.

Every due time is a UTC instant (so that due times compare exactly, even around DST
changes); every calendar rule is computed on local dates. Month and year steps use
``dateutil.relativedelta``; yearly windows use ``dateutil.rrule`` with an explicit ``dtstart``.

>>> from datetime import date
>>> celebrated(date(2000, 2, 29), 2026, "feb28"), celebrated(date(2000, 2, 29), 2026, "mar1")
(datetime.date(2026, 2, 28), datetime.date(2026, 3, 1))
>>> from zoneinfo import ZoneInfo
>>> start, end = birthday_window(date(1990, 1, 1), 2026, "day", "feb28", ZoneInfo("Europe/Berlin"))
>>> start.isoformat(), end.isoformat()
('2025-12-31T23:00:00+00:00', '2026-01-01T23:00:00+00:00')

Imports: nothing from the package (dates only).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import YEARLY, rrule

__all__ = [
    "SeasonCalendar",
    "anniversary",
    "birthday_window",
    "celebrated",
    "local_midnight",
]

LeapDay = Literal["feb28", "mar1"]


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``zone``, as a UTC datetime.

    Where a zone skips midnight (a DST change at 00:00), the wall time 00:00 is read with the
    offset before the change, which is the instant the day starts.
    """
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def celebrated(birthday: date, year: int, leap_day: LeapDay) -> date:
    """The date a ``birthday`` is celebrated in ``year``.

    ``relativedelta`` clips 29 February to 28 February in other years; with
    ``leap_day="mar1"`` it moves on to 1 March.
    """
    day = date(year, 1, 1) + relativedelta(month=birthday.month, day=birthday.day)
    if leap_day == "mar1" and (birthday.month, birthday.day) == (2, 29) and day.day == 28:
        day += timedelta(days=1)
    return day


def birthday_window(birthday: date, year: int, window: Literal["day", "month"],
                    leap_day: LeapDay, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """``[start, end)`` of the birthday window in ``year``, as UTC instants."""
    day = celebrated(birthday, year, leap_day)
    if window == "day":
        return local_midnight(day, zone), local_midnight(day + timedelta(days=1), zone)
    first = day.replace(day=1)
    return local_midnight(first, zone), local_midnight(first + relativedelta(months=1), zone)


def anniversary(joined: date, years: int, leap_day: LeapDay) -> date:
    """The date of the ``years``-th anniversary of joining on ``joined``."""
    day = joined + relativedelta(years=years)
    if leap_day == "mar1" and (joined.month, joined.day) == (2, 29) and day.day == 28:
        day += timedelta(days=1)
    return day


class SeasonCalendar:
    """A yearly window ``[start day, end day]`` (both local days included), maybe only in
    some years.

    >>> cal = SeasonCalendar((12, 15), (1, 6), (), ZoneInfo("UTC"))
    >>> [d.isoformat() for d in cal.window(2026)]
    ['2026-12-15T00:00:00+00:00', '2027-01-07T00:00:00+00:00']
    >>> year, start = cal.next_start(datetime(2027, 1, 2, tzinfo=UTC), inclusive=True)
    >>> year, start.isoformat()
    (2027, '2027-12-15T00:00:00+00:00')
    >>> cal.open_window(datetime(2027, 1, 2, tzinfo=UTC))[0]
    2026
    """

    __slots__ = ("_starts", "crosses", "end", "start", "years", "zone")

    def __init__(self, start: tuple[int, int], end: tuple[int, int], years: tuple[int, ...],
                 zone: ZoneInfo) -> None:
        self.start = start
        self.end = end
        self.crosses = end < start
        """Whether the window crosses the year end (ends in the next year)."""
        self.years = frozenset(years)
        self.zone = zone
        self._starts: dict[int, list[datetime]] = {}
        """Local start days of the windows from a year on, as the rrule yields them (cached:
        the same few years are asked for every member)."""

    def allowed(self, year: int) -> bool:
        """Whether the window of ``year`` (by its start) takes place."""
        return not self.years or year in self.years

    def window(self, year: int) -> tuple[datetime, datetime]:
        """``[start, end)`` of the window that starts in ``year``, as UTC instants."""
        first = date(year, *self.start)
        last = date(year + 1 if self.crosses else year, *self.end)
        return (local_midnight(first, self.zone),
                local_midnight(last + timedelta(days=1), self.zone))

    def _starts_from(self, year: int) -> list[datetime]:
        starts = self._starts.get(year)
        if starts is None:
            month, day = self.start
            starts = list(rrule(YEARLY, dtstart=datetime(year, month, day), bymonth=month,
                                bymonthday=day, count=4))
            self._starts[year] = starts
        return starts

    def next_start(self, after: datetime, *, inclusive: bool) -> tuple[int, datetime] | None:
        """The next window start at (``inclusive``) or after ``after``: ``(year, start)``."""
        last_year = max(self.years) if self.years else None
        year = after.astimezone(self.zone).year - 1
        while last_year is None or year <= last_year:
            for candidate in self._starts_from(year):
                if last_year is not None and candidate.year > last_year:
                    return None
                if self.allowed(candidate.year):
                    start = self.window(candidate.year)[0]
                    if start > after or (inclusive and start == after):
                        return candidate.year, start
            year += 4
        return None

    def open_window(self, at: datetime) -> tuple[int, datetime, datetime] | None:
        """The window open at ``at``: ``(year, start, end)``, or ``None``."""
        year = at.astimezone(self.zone).year
        for candidate in (year - 1, year):
            if self.allowed(candidate):
                start, end = self.window(candidate)
                if start <= at < end:
                    return candidate, start, end
        return None
