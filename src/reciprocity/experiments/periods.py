"""Calendar periods of a simulation: which period an instant falls in, in the program's zone.

``freq`` is ``"D"`` (day), ``"W"`` (ISO week, from Monday), ``"M"`` (month), ``"Q"`` (quarter)
or ``"Y"`` (year). A period is labelled as people write it (``2011-03``, ``2011Q1``,
``2011-W09``) and ends at local midnight of its last day, kept in UTC.

Imports: ``errors``; ``dateutil``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from ..errors import InvalidEvent

__all__ = ["FREQS", "Periods"]

FREQS = ("D", "W", "M", "Q", "Y")


class Periods:
    """The periods of one calendar frequency in one zone.

    >>> p = Periods("Q", "Europe/London")
    >>> p.label(datetime(2011, 3, 31, 23, 30, tzinfo=UTC))   # already April in London
    '2011Q2'
    >>> p.end("2011Q2").isoformat()
    '2011-06-30T23:00:00+00:00'
    """

    def __init__(self, freq: str, timezone: str) -> None:
        if freq not in FREQS:
            raise InvalidEvent(f"freq={freq!r} is not a period",
                               hint="use 'D', 'W', 'M', 'Q' or 'Y'")
        self.freq = freq
        self.zone = ZoneInfo(timezone)
        self._labels: dict[date, str] = {}
        self._starts: dict[str, date] = {}
        # The last period found, as UTC bounds: instants mostly come in time order.
        self._low = self._high = datetime.min.replace(tzinfo=UTC)
        self._last = ""
        self._bounds: dict[str, tuple[datetime, datetime]] = {}

    def _start_of(self, day: date) -> date:
        f = self.freq
        if f == "D":
            return day
        if f == "W":
            return day - timedelta(days=day.weekday())
        if f == "M":
            return day.replace(day=1)
        if f == "Q":
            return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return date(day.year, 1, 1)

    def _next(self, start: date) -> date:
        step = {"D": relativedelta(days=1), "W": relativedelta(weeks=1),
                "M": relativedelta(months=1), "Q": relativedelta(months=3),
                "Y": relativedelta(years=1)}[self.freq]
        return start + step

    def _name(self, start: date) -> str:
        f = self.freq
        if f == "D":
            return start.isoformat()
        if f == "W":
            year, week, _ = start.isocalendar()
            return f"{year}-W{week:02d}"
        if f == "M":
            return f"{start.year}-{start.month:02d}"
        if f == "Q":
            return f"{start.year}Q{(start.month - 1) // 3 + 1}"
        return str(start.year)

    def label(self, when: datetime) -> str:
        """The period an instant falls in, by its local date."""
        if self._low <= when < self._high:
            return self._last
        day = when.astimezone(self.zone).date()
        found = self._labels.get(day)
        if found is None:
            start = self._start_of(day)
            found = self._labels[day] = self._name(start)
            self._starts[found] = start
        self._low, self._high = self.bounds(found)
        self._last = found
        return found

    def bounds(self, label: str) -> tuple[datetime, datetime]:
        """:meth:`start` and :meth:`end` of a period :meth:`label` gave, worked out once:
        a caller bucketing many instants checks them before it asks for a label again."""
        bounds = self._bounds.get(label)
        if bounds is None:
            bounds = self._bounds[label] = (self.start(label), self.end(label))
        return bounds

    def start(self, label: str) -> datetime:
        """When the period starts: local midnight of its first day, in UTC."""
        first = self._starts[label]
        return datetime(first.year, first.month, first.day, tzinfo=self.zone).astimezone(UTC)

    def end(self, label: str) -> datetime:
        """When the period ends: local midnight after its last day, in UTC."""
        after = self._next(self._starts[label])
        return datetime(after.year, after.month, after.day, tzinfo=self.zone).astimezone(UTC)

    def span(self, first: datetime, last: datetime) -> list[str]:
        """Every period from the one of ``first`` to the one of ``last``, gaps included."""
        labels = [self.label(first)]
        end = self.end(labels[0])
        final = self.label(last)
        while labels[-1] != final and end <= last:
            labels.append(self.label(end))
            end = self.end(labels[-1])
        return labels
