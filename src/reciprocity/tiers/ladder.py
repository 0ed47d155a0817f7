"""Tier ladders, declared: qualification periods, validity, downgrades, tiers, progress.

A ladder with a first tier reached almost at once and ever more attractive higher tiers:

>>> from decimal import Decimal
>>> from reciprocity import MinOrders, MinSpend, Money, TierBenefits
>>> eur = lambda amount: Money(amount, "EUR")
>>> ladder = TierLadder(tiers=(
...     Tier(id="bronze", name="Bronze", requires=MinSpend(amount=eur("1.00"))),
...     Tier(id="silver", name="Silver",
...          requires=MinSpend(amount=eur("350.00")) | MinOrders(count=10),
...          benefits=TierBenefits(points_multiplier=Decimal("1.5"), free_shipping=True)),
... ))
>>> ladder.tiers[1].requires.describe()
'spend 350.00 EUR or 10 orders'
>>> ladder.tiers[1].benefits.describe()
'1.5x points and free shipping'

Holds the public models of qualification periods, tier validity, downgrades, :class:`Tier`,
:class:`TierLadder`; it re-exports the progress report models :class:`MetricGap`,
:class:`MetricValue` and :class:`TierProgress` (from :mod:`reciprocity.tiers.progress`);
requirements are in :mod:`reciprocity.tiers.requirements`, benefits in
:mod:`reciprocity.benefits`. The ladder
is data (JSON, YAML, TOML); ``reciprocity._pipeline`` compiles it once per program into
``reciprocity.tiers.stage.CompiledTiers``. The pre-launch
checks (``check_ladder``) and the progress report (``tier_progress``) live in
:mod:`reciprocity.tiers.check`.

Imports: the core's models, :mod:`reciprocity.benefits`, ``requirements`` and
``progress``; never a compiled stage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field, model_validator

from .._model import NonEmptyStr
from ..benefits import TierBenefits
from .progress import MetricGap, MetricValue, TierProgress
from .requirements import (
    _MAX_ALTERNATIVES,
    MinOrders,  # noqa: F401  (the class examples use it)
    RequireAll,
    RequireAny,
    Requirement,
    UnitNames,
    _plural,
    _Policy,
    _RequirementBase,
)

if TYPE_CHECKING:
    from ..names import NameLabels

__all__ = [
    "CalendarYear",
    "Downgrade",
    "Lifetime",
    "MembershipYear",
    "MetricGap",
    "MetricValue",
    "MonthsFromQualifying",
    "NoExpiry",
    "QualificationPeriod",
    "RestOfPeriodAndNext",
    "RollingMonths",
    "Tier",
    "TierLadder",
    "TierProgress",
    "TierValidity",
    "UntilEndOfMonth",
]


# ---------------------------------------------------------------------------------------
# Qualification periods and validity
# ---------------------------------------------------------------------------------------


class CalendarYear(_Policy):
    """Qualify per calendar year, 1 January 00:00 to 31 December 24:00 in the program's zone.

    >>> CalendarYear().describe()
    'calendar year'
    """

    type: Literal["calendar_year"] = "calendar_year"

    def describe(self) -> str:
        return "calendar year"


class MembershipYear(_Policy):
    """Qualify per membership year: from the day the member joined (their sign-up, or their
    first order if it came first) to the day before its anniversary. A member who joined
    on 29 February starts each later year on 28 February in common years.

    >>> MembershipYear().describe()
    'membership year'
    """

    type: Literal["membership_year"] = "membership_year"

    def describe(self) -> str:
        return "membership year"


class RollingMonths(_Policy):
    """Qualify over the last ``months`` months, a window that moves with every order.

    >>> RollingMonths(months=12).describe()
    'last 12 months'
    """

    type: Literal["rolling_months"] = "rolling_months"
    months: int = Field(ge=1, le=120)

    def describe(self) -> str:
        return f"last {_plural(self.months, 'month')}" if self.months != 1 else "last month"


class Lifetime(_Policy):
    """Qualify on everything since the member joined; nothing resets.

    >>> Lifetime().describe()
    'membership so far'
    """

    type: Literal["lifetime"] = "lifetime"

    def describe(self) -> str:
        return "membership so far"


QualificationPeriod = Annotated[
    CalendarYear | MembershipYear | RollingMonths | Lifetime, Field(discriminator="type")
]
"""Any qualification period; the ``type`` field picks the class."""


class RestOfPeriodAndNext(_Policy):
    """A tier earned in a period lasts for the rest of that period and all of the next
    ("for the rest of this year and all of next year"). Needs a calendar or membership
    year.

    >>> RestOfPeriodAndNext().describe(CalendarYear())
    'for the rest of the year and all of the next'
    """

    type: Literal["rest_of_period_and_next"] = "rest_of_period_and_next"

    def describe(self, period: QualificationPeriod) -> str:
        noun = "year" if isinstance(period, CalendarYear) else "membership year"
        return f"for the rest of the {noun} and all of the next"


class MonthsFromQualifying(_Policy):
    """A tier lasts ``months`` months from the order that reached it, and every later order
    that still qualifies for it moves the end out again (so a member who buys more is never
    below one who buys less).

    >>> MonthsFromQualifying(months=12).describe(RollingMonths(months=12))
    'for 12 months from the last order that qualifies for it'
    """

    type: Literal["months_from_qualifying"] = "months_from_qualifying"
    months: int = Field(ge=1, le=120)

    def describe(self, period: QualificationPeriod) -> str:
        return (f"for {_plural(self.months, 'month')} from the last order that qualifies "
                "for it")


class NoExpiry(_Policy):
    """A tier, once reached, never runs out (returns may still take it back if declared).

    >>> NoExpiry().describe(Lifetime())
    'for good'
    """

    type: Literal["no_expiry"] = "no_expiry"

    def describe(self, period: QualificationPeriod) -> str:
        return "for good"


_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")


class UntilEndOfMonth(_Policy):
    """A tier earned in a calendar year lasts until the end of ``month`` of the ``years``-th
    year after it: ``UntilEndOfMonth(month=3, years=2)`` is "until the end of March of the
    year after next" (a tier reached in 2026 lasts to 31 March 2028), in the program's zone.
    Needs a calendar year. Reaching the tier again in a later year moves the end out.

    >>> UntilEndOfMonth(month=2, years=2).describe(CalendarYear())
    'until the end of February of the year after next'
    >>> UntilEndOfMonth(month=3, years=1).describe(CalendarYear())
    'until the end of March of the following year'
    """

    type: Literal["until_end_of_month"] = "until_end_of_month"
    month: int = Field(ge=1, le=12)
    years: int = Field(default=1, ge=1, le=2)
    """1: the year after the qualification year; 2: the year after next."""

    def describe(self, period: QualificationPeriod) -> str:
        which = "following year" if self.years == 1 else "year after next"
        return f"until the end of {_MONTH_NAMES[self.month - 1]} of the {which}"


TierValidity = Annotated[
    RestOfPeriodAndNext | MonthsFromQualifying | NoExpiry | UntilEndOfMonth,
    Field(discriminator="type"),
]
"""How long a tier lasts once reached; the ``type`` field picks the class."""


class Downgrade(_Policy):
    """What happens when a tier runs out. Downgrades happen only at reviews: the moment a
    tier's validity (and grace) ends; a return between reviews never lowers a tier unless
    ``on_return`` says so.

    Args:
        to: ``"earned"`` drops to the tier the member's qualification still earns (possibly
            none); ``"one_step"`` drops at most one tier per review (a soft landing).
        grace_months: the member keeps the tier this much longer after it ran out; buying
            enough in the grace period keeps it.
        grace_days: added to ``grace_months``.
        floor: tier id below which a downgrade never takes a member who held at least that
            tier (a soft landing: "once Silver, never below Silver").
        on_return: lower the tier at once when a return takes away the qualification it
            stood on.

    >>> Downgrade(to="one_step", grace_months=2, floor="bronze").describe()
    'at a review a member drops one tier at most, after a grace period of 2 months, ...'
    """

    to: Literal["earned", "one_step"] = "earned"
    grace_months: int = Field(default=0, ge=0, le=120)
    grace_days: int = Field(default=0, ge=0, le=3660)
    floor: NonEmptyStr | None = None
    on_return: bool = False

    def describe(self, names: dict[str, str] | None = None) -> str:
        """The downgrade rule in plain words (``names`` maps tier ids to names)."""
        text = ("at a review a member drops one tier at most" if self.to == "one_step"
                else "at a review a member drops to the tier their qualification still earns")
        grace = [_plural(self.grace_months, "month")] if self.grace_months else []
        grace += [_plural(self.grace_days, "day")] if self.grace_days else []
        if grace:
            text += ", after a grace period of " + " and ".join(grace)
        if self.floor is not None:
            text += f", never below {(names or {}).get(self.floor, self.floor)}"
        return text


# ---------------------------------------------------------------------------------------
# The ladder
# ---------------------------------------------------------------------------------------


class Tier(_Policy):
    """One rung of the ladder: what it takes (``requires``) and what it brings.

    >>> Tier(id="gold", requires=MinOrders(count=12)).display_name
    'gold'
    """

    id: NonEmptyStr
    name: str = ""
    """Shown to customers; the id when empty."""
    requires: Requirement
    benefits: TierBenefits = Field(default_factory=TierBenefits)

    @property
    def display_name(self) -> str:
        """The name, or the id when the tier has no name."""
        return self.name or self.id

    def describe(self, units: str = "points", words: UnitNames | None = None) -> str:
        """The tier in plain words; ``units``: the point scheme's word for its points,
        ``words``: the English words of each balance's unit (see
        :meth:`~reciprocity.MinPoints.describe_in`)."""
        return (f"{self.display_name}: {self.requires.describe_in(words or {})}; brings "
                f"{self.benefits.describe(units)}")


class TierLadder(_Policy):
    """Tiers from lowest to highest, how members qualify, how long a tier lasts, and how
    members come down.

    Args:
        id: the rule id tier effects carry.
        tiers: the tiers, lowest first. A member holds the highest tier whose requirement
            their qualification meets.
        period: what activity counts: :class:`CalendarYear` (default),
            :class:`MembershipYear`, :class:`RollingMonths` or :class:`Lifetime`.
        validity: how long a tier lasts once reached: :class:`RestOfPeriodAndNext`
            (default), :class:`MonthsFromQualifying`, :class:`UntilEndOfMonth` or
            :class:`NoExpiry`.
        downgrade: what happens when it runs out (:class:`Downgrade`).
        include_categories: when given, only order lines in these categories count towards
            qualifying spend (:class:`MinSpend`).
        exclude_categories: order lines in these categories never count towards qualifying
            spend: gift cards, shipping, tax, deposits, as earning rules leave them out
            (:class:`~reciprocity.PointsPerAmount` takes the same three fields).
        exclude_skus: order lines with these SKUs never count towards qualifying spend.

    Qualifying spend with these filters is the kept value of the lines that pass (unit
    price times quantity not returned); an order without lines cannot be filtered and
    counts its whole net amount, as it earns on it. A return given as an amount (not as
    lines) lowers every kept line of its order in proportion, rounded half up to the
    currency's minor unit. Orders still count in full towards :class:`MinOrders`.

    >>> from reciprocity import Money
    >>> TierLadder(tiers=(Tier(id="a", requires=MinOrders(count=1)),),
    ...            period=RollingMonths(months=12))
    Traceback (most recent call last):
    ...
    reciprocity.InvalidProgram: TierLadder: validity rest_of_period_and_next needs a calendar ...
    """

    id: NonEmptyStr = "tiers"
    tiers: tuple[Tier, ...] = Field(min_length=1)
    period: QualificationPeriod = Field(default_factory=CalendarYear)
    validity: TierValidity = Field(default_factory=RestOfPeriodAndNext)
    downgrade: Downgrade = Field(default_factory=Downgrade)
    include_categories: tuple[NonEmptyStr, ...] = ()
    exclude_categories: tuple[NonEmptyStr, ...] = ()
    exclude_skus: tuple[NonEmptyStr, ...] = ()

    @property
    def filters_spend(self) -> bool:
        """Whether qualifying spend leaves some order lines out."""
        return bool(self.include_categories or self.exclude_categories or self.exclude_skus)

    def counts_line(self, sku: str, category: str | None) -> bool:
        """Whether an order line with this SKU and category counts towards qualifying spend.

        >>> TierLadder(tiers=(Tier(id="a", requires=MinOrders(count=1)),),
        ...            exclude_categories=("gift_card",)).counts_line("GC-50", "gift_card")
        False
        """
        if self.include_categories and category not in self.include_categories:
            return False
        return category not in self.exclude_categories and sku not in self.exclude_skus

    def spend_filter(self, names: NameLabels | None = None) -> str:
        """Which lines qualifying spend leaves out, in words (``""`` when none); ``names``:
        the program's labels, which say the categories."""
        said = (lambda c: c) if names is None else (lambda c: names.english("categories", c))
        parts = []
        if self.include_categories:
            parts.append("only " + ", ".join(map(said, self.include_categories)))
        excluded = (*map(said, self.exclude_categories), *self.exclude_skus)
        if excluded:
            parts.append("not " + ", ".join(excluded))
        return "; ".join(parts)

    @model_validator(mode="after")
    def _consistent(self) -> TierLadder:
        seen: set[str] = set()
        for tier in self.tiers:
            if tier.id in seen:
                raise ValueError(f"tiers has two tiers with id {tier.id!r}; ids must be unique")
            seen.add(tier.id)
            count = _count_alternatives(tier.requires)
            if count > _MAX_ALTERNATIVES:
                raise ValueError(
                    f"tier {tier.id!r} requirement expands to {count} alternatives; keep it "
                    f"under {_MAX_ALTERNATIVES} (fewer nested 'or' inside 'and')")
        floor = self.downgrade.floor
        if floor is not None and floor not in seen:
            raise ValueError(f"downgrade.floor={floor!r} is not a tier id; use one of "
                             + ", ".join(repr(t.id) for t in self.tiers))
        if isinstance(self.validity, UntilEndOfMonth) and not isinstance(
                self.period, CalendarYear):
            raise ValueError(
                f"validity until_end_of_month needs a calendar year, not period "
                f"{self.period.type}; use period=CalendarYear()")
        if isinstance(self.validity, RestOfPeriodAndNext) and not isinstance(
                self.period, CalendarYear | MembershipYear):
            raise ValueError(
                f"validity rest_of_period_and_next needs a calendar or membership year, not "
                f"period {self.period.type}; use MonthsFromQualifying(months=...) or NoExpiry()")
        return self

    def index(self, tier_id: str) -> int:
        """Position of ``tier_id`` on the ladder (0 is the lowest)."""
        for position, tier in enumerate(self.tiers):
            if tier.id == tier_id:
                return position
        raise KeyError(tier_id)

    def explain_lines(self, units: str = "points", labels: NameLabels | None = None,
                      words: UnitNames | None = None) -> list[str]:
        """The ladder in plain words, one line each, for :meth:`Program.explain`; ``units``:
        the point scheme's English word for its points (a tier's multiplier counts them),
        ``labels``: the program's, which say the categories, ``words``: the English words of
        each balance's unit, which say a points requirement ("500 Stars")."""
        names = {tier.id: tier.display_name for tier in self.tiers}
        lines = [f"Tiers (qualifying per {self.period.describe()}):"]
        lines += [f"- {tier.describe(units, words)}" for tier in self.tiers]
        if self.filters_spend:
            lines.append(f"Qualifying spend counts order lines: {self.spend_filter(labels)}.")
        lines.append(f"A tier is reached at once and lasts "
                     f"{self.validity.describe(self.period)}.")
        if not isinstance(self.validity, NoExpiry):
            text = self.downgrade.describe(names)
            lines.append(text[0].upper() + text[1:] + ".")
        lines.append("A return lowers a tier at once when it takes away its qualification."
                     if self.downgrade.on_return
                     else "A return never lowers a tier before its review.")
        exempt = [tier.display_name for tier in self.tiers if not tier.benefits.points_expire]
        if exempt:
            tiers = (exempt[0] if len(exempt) == 1
                     else ", ".join(exempt[:-1]) + " or " + exempt[-1])
            lines.append(f"{units[0].upper()}{units[1:]} do not expire while a member holds "
                         f"{tiers}; on moving to a tier without this benefit, the {units} "
                         "then held expire as if earned that day.")
        return lines


def _count_alternatives(requirement: _RequirementBase) -> int:
    if isinstance(requirement, RequireAny):
        return sum(_count_alternatives(r) for r in requirement.requirements)
    if isinstance(requirement, RequireAll):
        total = 1
        for r in requirement.requirements:
            total *= _count_alternatives(r)
            if total > _MAX_ALTERNATIVES:
                return total
        return total
    return 1
