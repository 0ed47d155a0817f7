"""A periodic reward paid as store credit: :class:`PeriodicReward` (issue 15).

A cooperative's annual member dividend: a declared share of what a member spent in a period
(a calendar year, a year starting in a declared month, a half-year, a quarter or a month, in
the program's zone), leaving out declared categories and discounted lines, less returns,
issued as store credit on a declared day after the period ends, only at or above a declared
minimum.

>>> from reciprocity import Money
>>> reward = PeriodicReward(id="dividend", share="10", issue_on="03-15",
...                         minimum=Money("5.00", "EUR"))
>>> reward.amount(Decimal("412.00"), "EUR")
Decimal('41.20')
>>> reward.amount(Decimal("49.99"), "EUR") is None  # 4.99 is below the minimum
True
>>> quarterly = PeriodicReward(id="bonus", share="2", period="quarter", issue_after_days=14)
>>> zone = ZoneInfo("Europe/Berlin")
>>> q = quarterly.period_of(datetime(2026, 5, 20, tzinfo=zone), zone)
>>> quarterly.label(q), quarterly.issue_at(q, zone).astimezone(zone).isoformat()
('2026-Q2', '2026-07-15T00:00:00+02:00')

Imports: the core only (``_model``, ``errors``, ``money``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from pydantic import Field, field_validator, model_validator

from .._model import Frozen, Id
from .._reason import english_day
from ..errors import InvalidProgram
from ..money import Money, Rounding, currency_exponent

if TYPE_CHECKING:
    from ..names import ProgramWords

__all__ = ["PeriodicReward", "month_key", "month_of_key"]

_HUNDRED = Decimal(100)
_MONTHS = {"year": 12, "half_year": 6, "quarter": 3, "month": 1}
_WORDS = {"year": "year", "half_year": "half-year", "quarter": "quarter", "month": "month"}


def month_key(index: int) -> str:
    """``"2026-04"``: a month counted from year 0 (``year * 12 + month - 1``), as saved."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_of_key(key: str) -> int:
    """The month index of a saved ``"YYYY-MM"`` key (the inverse of :func:`month_key`)."""
    return int(key[:4]) * 12 + int(key[5:7]) - 1


class PeriodicReward(Frozen):
    """A reward computed per period from the member's eligible spend, paid as store credit
    (``StoreCredit.periodic``).

    Attributes:
        id: names the reward; the credit lot of a period is ``"<id>/<label>"``, e.g.
            ``"dividend/2026"``, ``"dividend/2026-Q2"`` (see :meth:`label`).
        period: ``"year"`` (the default), ``"half_year"``, ``"quarter"`` or ``"month"``, in
            the program's zone.
        start_month: the month a year starts in (1 to 12; ``4``: a fiscal or membership year
            from April to March); half-years and quarters are counted from it too. Months
            are always calendar months, so ``"month"`` takes only ``1``.
        share: the percentage of eligible spend paid, above 0 and at most 100 (``"10"``).
        exclude_categories: purchase lines in these categories are not eligible.
        exclude_discounted: lines whose metadata says ``discounted: true`` are not eligible.
        issue_on: ``"MM-DD"`` (years only): the reward is issued on the first such day on or
            after the day the year ends, at midnight in the program's zone; not ``"02-29"``.
        issue_after_days: the reward is issued this many days after the period ends (``0``:
            at midnight when it ends, in the program's zone). Give ``issue_on`` or
            ``issue_after_days``; with neither, the reward is issued when the period ends.
        minimum: nothing is issued below this amount (``None``: any amount above 0).
        rounding: how the share is rounded to the currency's minor unit (down by default).

    A purchase's eligible spend is its lines not left out (the whole amount for a purchase
    without lines), at most the purchase's amount. A return before the issue day takes off
    its returned lines that were eligible (or, for an amount, the eligible share of it).
    A purchase or return dated in a period already issued changes nothing.
    """

    _error_class: ClassVar[type[InvalidProgram]] = InvalidProgram

    id: Id
    period: Literal["year", "half_year", "quarter", "month"] = "year"
    start_month: int = Field(default=1, ge=1, le=12)
    share: Decimal = Field(gt=0, le=100, allow_inf_nan=False)
    exclude_categories: tuple[str, ...] = ()
    exclude_discounted: bool = True
    issue_on: str | None = None
    issue_after_days: int | None = Field(default=None, ge=0, le=366)
    minimum: Money | None = None
    rounding: Rounding = Rounding.DOWN

    @field_validator("share", mode="before")
    @classmethod
    def _no_float(cls, value: Any) -> Any:
        if isinstance(value, float):
            raise ValueError(f"{value!r} is a float; write the share as a string, e.g. \"10\"")
        return value

    @field_validator("issue_on")
    @classmethod
    def _month_day(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value == "02-29":
            raise ValueError("issue_on='02-29' is not a day of every year; give a day every "
                             "year has, e.g. \"02-28\" or \"03-01\"")
        try:
            datetime.strptime(f"2001-{value}", "%Y-%m-%d")
        except ValueError:
            raise ValueError(f"issue_on={value!r} is not a day of the year written MM-DD; "
                             "write e.g. \"03-15\"") from None
        if len(value) != 5:
            raise ValueError(f"issue_on={value!r}: write the day as MM-DD, e.g. \"03-15\"")
        return value

    @field_validator("minimum")
    @classmethod
    def _minimum(cls, value: Money | None) -> Money | None:
        if value is not None and value.amount < 0:
            raise ValueError(f"minimum={value} is negative; give 0 or more")
        return value

    @model_validator(mode="after")
    def _one_issue_day(self) -> PeriodicReward:
        if self.issue_on is not None and self.issue_after_days is not None:
            raise ValueError(f"issue_on={self.issue_on!r} and issue_after_days="
                             f"{self.issue_after_days} both say when the reward is issued; "
                             "give one of them")
        if self.issue_on is not None and self.period != "year":
            raise ValueError(f"issue_on={self.issue_on!r} is a day of the year, but "
                             f"period={self.period!r} ends several times a year; give "
                             "issue_after_days instead, e.g. issue_after_days=14")
        if self.period == "month" and self.start_month != 1:
            raise ValueError(f"start_month={self.start_month} does not apply to "
                             "period='month' (months are calendar months); leave it out")
        return self

    # -- periods, counted as month indexes (year * 12 + month - 1) -----------------------
    @property
    def months(self) -> int:
        """How many months a period lasts: 12, 6, 3 or 1."""
        return _MONTHS[self.period]

    def period_of(self, at: datetime, zone: ZoneInfo) -> int:
        """The period ``at`` falls in, as the month index of its first month, in ``zone``."""
        local = at.astimezone(zone)
        month = local.year * 12 + local.month - 1
        return month - (month - self.start_month + 1) % self.months

    def starts(self, period: int, zone: ZoneInfo) -> datetime:
        """Midnight of the period's first day, in ``zone``."""
        return datetime(period // 12, period % 12 + 1, 1, tzinfo=zone)

    def ends(self, period: int, zone: ZoneInfo) -> datetime:
        """Midnight of the day after the period's last day, in ``zone``."""
        return self.starts(period, zone) + relativedelta(months=self.months)

    def issue_at(self, period: int, zone: ZoneInfo) -> datetime:
        """When the reward for ``period`` is issued, in UTC: the first ``issue_on`` on or
        after the period's end, or ``issue_after_days`` after it, at midnight in ``zone``."""
        end = self.ends(period, zone)
        if self.issue_on is not None:
            month, day = int(self.issue_on[:2]), int(self.issue_on[3:])
            when = datetime(end.year, month, day, tzinfo=zone)
            if when < end:
                when = datetime(end.year + 1, month, day, tzinfo=zone)
        else:
            when = end + relativedelta(days=self.issue_after_days or 0)
        return when.astimezone(UTC)

    def label(self, period: int) -> str:
        """How effects, lots and the terms name a period: ``2026`` (a calendar year),
        ``2026/27`` (a year from another month, named by the years it spans), ``2026-H1``,
        ``2026-Q2`` (``2026/27-Q1`` when counted from another month), ``2026-04``."""
        year, month = divmod(period, 12)
        if self.period == "month":
            return f"{year}-{month + 1:02d}"
        first = period - (period - self.start_month + 1) % 12  # the year it belongs to
        name = str(first // 12) if self.start_month == 1 else \
            f"{first // 12}/{(first // 12 + 1) % 100:02d}"
        if self.period == "year":
            return name
        number = (period - first) // self.months + 1
        return f"{name}-{'H' if self.period == 'half_year' else 'Q'}{number}"

    # -- amounts --------------------------------------------------------------------------
    def eligible_line(self, category: str | None, metadata: dict[str, Any]) -> bool:
        """Whether a purchase line counts towards the eligible spend."""
        if category is not None and category in self.exclude_categories:
            return False
        return not (self.exclude_discounted and metadata.get("discounted") is True)

    def amount(self, eligible: Decimal, currency: str) -> Decimal | None:
        """The reward for ``eligible`` spend, rounded as declared; ``None`` below the minimum
        (or at 0)."""
        unit = Decimal(1).scaleb(-currency_exponent(currency))
        value = self.rounding.apply(eligible * self.share / _HUNDRED, unit)
        if value <= 0 or (self.minimum is not None and value < self.minimum.amount):
            return None
        return value

    def describe(self) -> str:
        """One line in English, for ``Program.explain``."""
        return self.describe_with(None)

    def describe_with(self, words: ProgramWords | None) -> str:
        """:meth:`describe`, saying line categories by their English labels
        (``Program.labels``) where the program declares them."""
        said = [name if words is None else words.line_category(name)
                for name in self.exclude_categories]
        left_out = [f"categories {', '.join(said)}"] if said else []
        left_out += ["discounted lines"] if self.exclude_discounted else []
        minimum = "" if self.minimum is None else f", at least {self.minimum:,}"
        without = f" without {' and '.join(left_out)}" if left_out else ""
        word = _WORDS[self.period]
        counted = "" if self.start_month == 1 else f" (years start in month {self.start_month})"
        if self.issue_on is not None:
            month, day = int(self.issue_on[:2]), int(self.issue_on[3:])
            when = f"on {english_day(month, day)} after the {word} ends"
        elif self.issue_after_days:
            when = f"{self.issue_after_days} days after the {word} ends"
        else:
            when = f"when the {word} ends"
        return (f"{self.id}: {self.share} % of each {word}'s spend{counted}{without}, less "
                f"returns, rounded {self.rounding.value}, issued as store credit {when}"
                f"{minimum}")
