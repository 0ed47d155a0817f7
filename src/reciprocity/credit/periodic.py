"""A periodic reward paid as store credit: :class:`PeriodicReward` (issue 15).

A cooperative's annual member dividend: a declared share of what a member spent in a calendar
year (in the program's zone), leaving out declared categories and discounted lines, less
returns, issued as store credit on a declared day after the year ends, only at or above a
declared minimum.

>>> from reciprocity import Money
>>> reward = PeriodicReward(id="dividend", share="10", issue_on="03-15",
...                         minimum=Money("5.00", "EUR"))
>>> reward.amount(Decimal("412.00"), "EUR")
Decimal('41.20')
>>> reward.amount(Decimal("49.99"), "EUR") is None  # 4.99 is below the minimum
True

Imports: the core only (``_model``, ``errors``, ``money``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator

from .._model import Frozen, Id
from ..errors import InvalidProgram
from ..money import Money, Rounding, currency_exponent

__all__ = ["PeriodicReward"]

_HUNDRED = Decimal(100)


class PeriodicReward(Frozen):
    """A reward computed per calendar year from the member's eligible spend, paid as store
    credit (``StoreCredit.periodic``).

    Attributes:
        id: names the reward; the credit lot of year 2026 is ``"<id>/2026"``.
        period: ``"year"``: a calendar year in the program's zone.
        share: the percentage of eligible spend paid, above 0 and at most 100 (``"10"``).
        exclude_categories: purchase lines in these categories are not eligible.
        exclude_discounted: lines whose metadata says ``discounted: true`` are not eligible.
        issue_on: ``"MM-DD"``, the day after the year ends on which the reward is issued
            (at midnight in the program's zone); not ``"02-29"``.
        minimum: nothing is issued below this amount (``None``: any amount above 0).
        rounding: how the share is rounded to the currency's minor unit (down by default).

    A purchase's eligible spend is its lines not left out (the whole amount for a purchase
    without lines), at most the purchase's amount. A return before the issue day takes off
    its returned lines that were eligible (or, for an amount, the eligible share of it).
    A purchase or return dated in a year already issued changes nothing.
    """

    _error_class: ClassVar[type[InvalidProgram]] = InvalidProgram

    id: Id
    period: Literal["year"] = "year"
    share: Decimal = Field(gt=0, le=100, allow_inf_nan=False)
    exclude_categories: tuple[str, ...] = ()
    exclude_discounted: bool = True
    issue_on: str = "01-01"
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
    def _month_day(cls, value: str) -> str:
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

    def issue_at(self, year: int, zone: ZoneInfo) -> datetime:
        """When the reward for ``year`` is issued: ``issue_on`` of the next year, at midnight
        in ``zone``, in UTC."""
        month, day = int(self.issue_on[:2]), int(self.issue_on[3:])
        return datetime(year + 1, month, day, tzinfo=zone).astimezone(UTC)

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
        left_out = [f"categories {', '.join(self.exclude_categories)}"] \
            if self.exclude_categories else []
        left_out += ["discounted lines"] if self.exclude_discounted else []
        minimum = "" if self.minimum is None else f", at least {self.minimum}"
        without = f" without {' and '.join(left_out)}" if left_out else ""
        return (f"{self.id}: {self.share} % of each year's spend{without}, less returns, "
                f"rounded {self.rounding.value}, issued as store credit on {self.issue_on} of "
                f"the next year{minimum}")
