"""Limits shared by every family: calendar periods, per-member caps, cooldowns, budgets.

Periods are calendar periods in the program's time zone: a gift "once per year" given on
1 January 00:30 in Berlin counts for the new year, although it is still 31 December in UTC.

>>> from datetime import datetime
>>> from zoneinfo import ZoneInfo
>>> at = datetime(2027, 1, 1, 0, 30, tzinfo=ZoneInfo("Europe/Berlin"))
>>> Period.YEAR.key(at, ZoneInfo("Europe/Berlin")), Period.YEAR.key(at, ZoneInfo("UTC"))
('2027', '2026')
>>> Period.MONTH.bounds(at, ZoneInfo("Europe/Berlin"))[1].isoformat()
'2027-02-01T00:00:00+01:00'
>>> Cap(count=1, per=Period.YEAR).describe()
'at most 1 per year'

Imports: ``_model``, ``errors``, ``money`` and ``shared``; no family (gifts and goodwill import
it).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import ClassVar, Literal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from pydantic import Field, model_validator

from ._model import Frozen, RuleId
from .errors import InvalidProgram
from .money import Money
from .shared import Shared

__all__ = ["Budget", "Cap", "Period"]


class Period(enum.StrEnum):
    """A calendar period in the program's time zone."""

    DAY = "day"
    WEEK = "week"
    """ISO weeks, Monday to Sunday."""
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    LIFETIME = "lifetime"
    """No period: counts never reset."""

    def key(self, at: datetime, zone: ZoneInfo) -> str:
        """A label of the period that contains ``at``: ``2026``, ``2026-03``, ``2026-W09``."""
        local = at.astimezone(zone)
        if self is Period.DAY:
            return _day_label(local.year, local.month, local.day)
        if self is Period.WEEK:
            year, week, _ = local.isocalendar()
            return f"{year}-W{week:02d}"
        if self is Period.MONTH:
            return _month_label(local.year, local.month)
        if self is Period.QUARTER:
            return f"{local.year}-Q{(local.month - 1) // 3 + 1}"
        if self is Period.YEAR:
            return str(local.year)
        return "lifetime"

    def bounds(self, at: datetime, zone: ZoneInfo) -> tuple[datetime, datetime | None]:
        """Start (inclusive) and end (exclusive, ``None`` for lifetime) of the period."""
        local = at.astimezone(zone)
        midnight = datetime(local.year, local.month, local.day, tzinfo=zone)
        if self is Period.DAY:
            start, step = midnight, relativedelta(days=1)
        elif self is Period.WEEK:
            start, step = midnight - timedelta(days=local.weekday()), relativedelta(weeks=1)
        elif self is Period.MONTH:
            start, step = midnight.replace(day=1), relativedelta(months=1)
        elif self is Period.QUARTER:
            first = (local.month - 1) // 3 * 3 + 1
            start, step = midnight.replace(month=first, day=1), relativedelta(months=3)
        elif self is Period.YEAR:
            start, step = midnight.replace(month=1, day=1), relativedelta(years=1)
        else:
            return (datetime.min.replace(tzinfo=zone), None)
        return start, start + step

    @property
    def noun(self) -> str:
        return {"day": "day", "week": "week", "month": "month", "quarter": "quarter",
                "year": "year", "lifetime": "member lifetime"}[self.value]


@lru_cache(maxsize=1024)
def _day_label(year: int, month: int, day: int) -> str:
    """``2026-03-01``: the label of a local day (formatted once per day: budgets and caps ask
    for it on every grant)."""
    return date(year, month, day).strftime("%Y-%m-%d")


@lru_cache(maxsize=256)
def _month_label(year: int, month: int) -> str:
    """``2026-03``: the label of a local month."""
    return date(year, month, 1).strftime("%Y-%m")


class _Limit(Frozen):
    _error_class: ClassVar[type[InvalidProgram]] = InvalidProgram

    count: int | None = Field(default=None, ge=0)
    """At most this many grants per period."""
    amount: Money | None = None
    """At most this much value per period."""
    per: Period = Period.LIFETIME

    @model_validator(mode="after")
    def _something(self) -> _Limit:
        if self.count is None and self.amount is None:
            raise ValueError("give count, amount or both")
        if self.amount is not None and self.amount.amount < 0:
            raise ValueError("amount cannot be negative")
        return self

    def _what(self) -> str:
        parts = []
        if self.count is not None:
            parts.append(str(self.count))
        if self.amount is not None:
            parts.append(f"{self.amount:,} in value")
        return " and ".join(parts)

    def describe(self) -> str:
        """The limit in plain words."""
        if self.per is Period.LIFETIME:
            return f"at most {self._what()} in all"
        return f"at most {self._what()} per {self.per.noun}"

    def refusal(self, used_count: int, used_amount: Decimal, value: Decimal) -> str | None:
        """Why one more grant worth ``value`` would break the limit, or ``None``."""
        if self.count is not None and used_count + 1 > self.count:
            return f"{self.describe()}: {used_count} used"
        if self.amount is not None and used_amount + value > self.amount.amount:
            left = self.amount.amount - used_amount
            return f"{self.describe()}: {left} {self.amount.currency} left, {value} needed"
        return None


class Cap(_Limit):
    """A per-member limit: "at most 1 per year", "at most 50 EUR per month"."""

    def refusal_for(self, history: Iterable[tuple[datetime, Decimal]], at: datetime,
                    zone: ZoneInfo, value: Decimal) -> str | None:
        """Check one more grant at ``at`` against the member's grant ``history``."""
        key = self.per.key(at, zone)
        count, amount = 0, Decimal(0)
        for when, worth in history:
            if self.per.key(when, zone) == key:
                count += 1
                amount += worth
        return self.refusal(count, amount, value)


class Budget(_Limit):
    """A program-wide limit, kept in :class:`~reciprocity.SharedState`.

    ``when_exhausted="skip"`` leaves the grant out with a trace reason (the member gets
    nothing and is not told no); ``"approval"`` grants it with ``approval_required`` so a
    person decides (used by goodwill).
    """

    id: RuleId
    when_exhausted: Literal["skip", "approval"] = "skip"

    def key(self, at: datetime, zone: ZoneInfo) -> str:
        return f"{self.id}@{self.per.key(at, zone)}"

    def refusal_in(self, shared: Shared, at: datetime, zone: ZoneInfo,
                   value: Decimal) -> str | None:
        """Why the budget cannot pay ``value`` at ``at``, or ``None``."""
        use = shared.budgets.get(self.key(at, zone))
        count, amount = (0, Decimal(0)) if use is None else (int(use[0]), Decimal(use[1]))
        reason = self.refusal(count, amount, value)
        return None if reason is None else f"budget {self.id!r}: {reason}"

    def spend(self, shared: Shared, at: datetime, zone: ZoneInfo, value: Decimal) -> None:
        """Record one grant worth ``value`` (checked first with :meth:`refusal_in`)."""
        key = self.key(at, zone)
        use = shared.budgets.get(key)
        if use is None:
            shared.budgets[key] = [1, value]
        else:
            use[0] = int(use[0]) + 1
            use[1] = Decimal(use[1]) + value

    def give_back(self, shared: Shared, at: datetime, zone: ZoneInfo, value: Decimal) -> None:
        """Undo one grant (a gift revoked after a return)."""
        use = shared.budgets.get(self.key(at, zone))
        if use is not None and int(use[0]) > 0:
            use[0] = int(use[0]) - 1
            use[1] = Decimal(use[1]) - value
