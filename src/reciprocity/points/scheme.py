"""Point schemes, declared: expiry, validity, rewards and the scheme itself.

Holds the public models of expiry (:class:`FixedLifetime`, :class:`EndOfMonthAfter`,
:class:`CalendarCutoff`, :class:`Inactivity`), :class:`Validity`, the reward catalogue
(:class:`Reward`, :class:`PointsAsCurrency`) and :class:`PointScheme`; the earning rules are
in :mod:`reciprocity.points.rules`. Everything here is declared data;
``reciprocity.points.stage.CompiledPoints`` turns it into closures when a program is built
(``reciprocity._pipeline`` does the wiring). The seed scheme, "every purchase over 50 EUR
earns one point; 10 points buy a 10 EUR voucher":

>>> from reciprocity import Money, PointsPerAmount, PointsPerPurchase, TierMultiplier
>>> scheme = PointScheme(
...     earn=(PointsPerPurchase(id="over-50", points=1, min_amount=Money("50.00", "EUR")),),
...     rewards=(Reward(id="voucher-10", name="10 EUR fuel voucher", points=10,
...                     value=Money("10.00", "EUR")),),
... )
>>> scheme.earn[0].describe()
'1 point for every order over 50.00 EUR'

A richer one: 1 point per 2 EUR (the remainder is dropped), double points for Gold, points
expire every 30 September for those collected before 1 October three years earlier, and
points pay at 0.01 EUR each from 200 points:

>>> rich = PointScheme(
...     earn=(PointsPerAmount(id="base", per=Money("2.00", "EUR"),
...                           exclude_categories=("gift-card", "shipping"),
...                           multipliers=(TierMultiplier(),)),),
...     expiry=CalendarCutoff(month=9, day=30, years=3),
...     rewards=(PointsAsCurrency(id="pay", name="points payment",
...                               point_value=Money("0.01", "EUR"), min_points=200),),
... )
>>> print(rich.earn[0].describe())  # doctest: +NORMALIZE_WHITESPACE
1 point per 2.00 EUR (total rounded down), except gift-card, shipping,
times the member's tier multiplier

Imports: the core's models only (``facts`` for labels), :mod:`reciprocity.points.rules` and
:mod:`reciprocity.points.shift`;
never a compiled stage.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from pydantic import Discriminator, Field, Tag, model_validator

from .._model import NonEmptyStr, RuleId
from .._reason import english_day
from .._reason_template import indefinite
from ..facts import Labels, label_in
from ..money import Money
from ..names import NameLabels, ProgramWords
from .rules import EarnRule, EventRule, _ordinal, _Policy, plural
from .shift import add_months
from .units import Units, UnitWords, unit_in

__all__ = [
    "CalendarCutoff",
    "EndOfMonthAfter",
    "EndOfQuarterAfter",
    "Expiry",
    "FixedLifetime",
    "Inactivity",
    "PointScheme",
    "PointsAsCurrency",
    "Reward",
    "RewardItem",
    "Validity",
]


# -- expiry -------------------------------------------------------------------------------------

class FixedLifetime(_Policy):
    """Each lot expires a fixed time after it was earned ("points are valid 24 months").

    Months are calendar months in the program's time zone (31 Jan + 1 month = 28/29 Feb).
    """

    type: Literal["fixed_lifetime"] = "fixed_lifetime"
    months: int = Field(default=0, ge=0)
    days: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _positive(self) -> FixedLifetime:
        if self.months == 0 and self.days == 0:
            raise ValueError("give months or days greater than 0")
        return self

    def describe(self) -> str:
        parts = [plural(self.months, "month")] if self.months else []
        parts += [plural(self.days, "day")] if self.days else []
        return " and ".join(parts) + " after they are earned"

    def expires_at(self, earned_at: datetime, zone: ZoneInfo) -> datetime:
        """Expiry of a lot earned at ``earned_at``: wall-clock arithmetic in the program zone."""
        # = earned_at.astimezone(zone) + relativedelta(months=..., days=...), see ``shift``
        return add_months(earned_at.astimezone(zone), self.months, self.days).astimezone(UTC)


class EndOfMonthAfter(_Policy):
    """Points expire at the end of the ``months``-th calendar month after the month earned.

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> zone = ZoneInfo("Europe/Berlin")
    >>> EndOfMonthAfter(months=6).expires_at(datetime(2020, 12, 15, tzinfo=zone), zone
    ...                                      ).astimezone(zone).isoformat()
    '2021-07-01T00:00:00+02:00'
    """

    type: Literal["end_of_month_after"] = "end_of_month_after"
    months: int = Field(ge=0)

    def describe(self) -> str:
        return f"at the end of the {_ordinal(self.months)} month after the month earned"

    def expires_at(self, earned_at: datetime, zone: ZoneInfo) -> datetime:
        local = earned_at.astimezone(zone)
        first = datetime(local.year, local.month, 1, tzinfo=zone)
        return (first + relativedelta(months=self.months + 1)).astimezone(UTC)


class EndOfQuarterAfter(_Policy):
    """Points expire at the end of the calendar quarter in which ``months`` months after
    their earning end ("points expire at the end of the quarter, 24 months after they were
    earned"), in the program's zone.

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> zone = ZoneInfo("Europe/Berlin")
    >>> rule = EndOfQuarterAfter(months=24)
    >>> rule.expires_at(datetime(2026, 2, 10, tzinfo=zone), zone).astimezone(zone).isoformat()
    '2028-04-01T00:00:00+02:00'
    >>> rule.expires_at(datetime(2026, 3, 31, 23, tzinfo=zone), zone).astimezone(zone).date()
    datetime.date(2028, 4, 1)
    >>> rule.describe()
    'at the end of the calendar quarter 24 months after earning'
    """

    type: Literal["end_of_quarter_after"] = "end_of_quarter_after"
    months: int = Field(ge=0)

    def describe(self) -> str:
        return f"at the end of the calendar quarter {plural(self.months, 'month')} after earning"

    def expires_at(self, earned_at: datetime, zone: ZoneInfo) -> datetime:
        end = earned_at.astimezone(zone) + relativedelta(months=self.months)
        first = datetime(end.year, 3 * ((end.month - 1) // 3) + 1, 1, tzinfo=zone)
        return (first + relativedelta(months=3)).astimezone(UTC)


class CalendarCutoff(_Policy):
    """Every year on ``month``/``day``, points collected before the day after that date
    ``years`` years earlier expire (at the end of the cut-off day).

    "Every 30 September, points collected before 1 October three years earlier":

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> zone = ZoneInfo("Europe/Berlin")
    >>> rule = CalendarCutoff(month=9, day=30, years=3)
    >>> rule.expires_at(datetime(2020, 5, 1, tzinfo=zone), zone).astimezone(zone).isoformat()
    '2023-10-01T00:00:00+02:00'
    >>> rule.expires_at(datetime(2020, 10, 1, tzinfo=zone), zone).astimezone(zone).date()
    datetime.date(2024, 10, 1)
    """

    type: Literal["calendar_cutoff"] = "calendar_cutoff"
    month: int = Field(ge=1, le=12)
    day: int = Field(ge=1, le=31)
    years: int = Field(default=3, ge=1)

    @model_validator(mode="after")
    def _real_date(self) -> CalendarCutoff:
        try:
            date(2001, self.month, self.day)  # a non-leap year: 29 Feb is refused
        except ValueError:
            raise ValueError(f"{self.month}/{self.day} is not a day of every year") from None
        return self

    def describe(self) -> str:
        cutoff = date(2001, self.month, self.day)
        start = cutoff + timedelta(days=1)
        return (f"every {english_day(cutoff.month, cutoff.day)}, for points collected before "
                f"{english_day(start.month, start.day)} {self.years} years earlier")

    def expires_at(self, earned_at: datetime, zone: ZoneInfo) -> datetime:
        local = earned_at.astimezone(zone)
        year = local.year + self.years
        while True:
            boundary = datetime(year - self.years, self.month, self.day, tzinfo=zone) \
                + timedelta(days=1)
            if local < boundary:
                end = datetime(year, self.month, self.day, tzinfo=zone) + timedelta(days=1)
                return end.astimezone(UTC)
            year += 1


class Inactivity(_Policy):
    """All of a member's points expire ``months`` after their last activity (an order, a
    redemption, or points earned otherwise). Any activity starts the clock again."""

    type: Literal["inactivity"] = "inactivity"
    months: int = Field(ge=1)

    def describe(self) -> str:
        return f"{plural(self.months, 'month')} after the member's last activity"

    def due(self, last_activity: datetime, zone: ZoneInfo) -> datetime:
        local = last_activity.astimezone(zone) + relativedelta(months=self.months)
        return local.astimezone(UTC)


Expiry = Annotated[
    FixedLifetime | EndOfMonthAfter | EndOfQuarterAfter | CalendarCutoff | Inactivity,
    Field(discriminator="type"),
]
"""Any expiry mode; the ``type`` field picks the class."""


# -- rewards ------------------------------------------------------------------------------------

class Validity(_Policy):
    """How long a voucher stays valid: ``months``/``days`` from issue, or from the first day
    of the next month ("valid 3 months from the first of the next month").

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> zone = ZoneInfo("Europe/Berlin")
    >>> Validity(months=3, start="next_month").until(datetime(2026, 1, 20, tzinfo=zone), zone
    ...                                              ).astimezone(zone).isoformat()
    '2026-05-01T00:00:00+02:00'
    """

    months: int = Field(default=0, ge=0)
    days: int = Field(default=0, ge=0)
    start: Literal["issue", "next_month"] = "issue"

    @model_validator(mode="after")
    def _positive(self) -> Validity:
        if self.months == 0 and self.days == 0:
            raise ValueError("give months or days greater than 0")
        return self

    def starts(self, issued_at: datetime, zone: ZoneInfo) -> datetime | None:
        """When a voucher issued at ``issued_at`` becomes valid, if later than its issue:
        local midnight of the first of the next month for ``start="next_month"``."""
        if self.start != "next_month":
            return None
        local = issued_at.astimezone(zone)
        first = datetime(local.year, local.month, 1, tzinfo=zone) + relativedelta(months=1)
        return first.astimezone(UTC)

    def until(self, issued_at: datetime, zone: ZoneInfo) -> datetime:
        local = issued_at.astimezone(zone)
        if self.start == "next_month":
            local = datetime(local.year, local.month, 1, tzinfo=zone) + relativedelta(months=1)
        return (local + relativedelta(months=self.months, days=self.days)).astimezone(UTC)

    def describe(self) -> str:
        parts = [plural(self.months, "month")] if self.months else []
        parts += [plural(self.days, "day")] if self.days else []
        start = " from the first of the next month" if self.start == "next_month" else ""
        return "valid " + " and ".join(parts) + start


class Reward(_Policy):
    """A fixed reward: ``points`` buy a voucher worth ``value``, or a thing whose money value
    is not stated (a drink, a product: leave ``value`` out).

    With ``auto_issue`` the voucher is issued as soon as the balance reaches ``points``
    (stamp-card style); otherwise the member asks for it with a
    :class:`~reciprocity.Redemption` event. Give the voucher's validity as ``valid_days`` or,
    for calendar rules, as ``validity``.
    """

    type: Literal["voucher"] = "voucher"
    id: RuleId
    name: NonEmptyStr
    points: int = Field(ge=1)
    value: Money | None = None
    """What the voucher is worth; ``None`` when the reward is not money (a free drink)."""
    valid_days: int | None = Field(default=None, ge=1)
    """Days a voucher stays valid after issue; ``None`` for no end."""
    validity: Validity | None = None
    auto_issue: bool = False

    @model_validator(mode="after")
    def _one_validity(self) -> Reward:
        if self.valid_days is not None and self.validity is not None:
            raise ValueError("give valid_days or validity, not both")
        return self

    def describe(self, unit: UnitWords | None = None) -> str:
        verb = "buys" if self.points == 1 else "buy"  # "1 point buys", "10 points buy"
        text = f"{plural(self.points, unit=unit)} {verb} {indefinite(self.name)}"
        if self.value is not None:
            text += f" worth {self.value:,}"
        if self.valid_days is not None:
            text += f", valid for {plural(self.valid_days, 'day')}"
        elif self.validity is not None:
            text += ", " + self.validity.describe()
        if self.auto_issue:
            text += ", issued automatically"
        return text

    def expires_at(self, issued_at: datetime, zone: ZoneInfo) -> datetime | None:
        if self.valid_days is not None:
            local = issued_at.astimezone(zone) + relativedelta(days=self.valid_days)
            return local.astimezone(UTC)
        if self.validity is not None:
            return self.validity.until(issued_at, zone)
        return None

    def valid_from(self, issued_at: datetime, zone: ZoneInfo) -> datetime | None:
        """When the voucher becomes valid, if later than its issue (else ``None``)."""
        return None if self.validity is None else self.validity.starts(issued_at, zone)


class PointsAsCurrency(_Policy):
    """Points pay like money: each point is worth ``point_value``, from ``min_points`` on,
    in multiples of ``step``. The member names the points in ``Redemption.points``; a
    voucher (or credit) of that value is issued.

    >>> PointsAsCurrency(id="pay", name="points payment", point_value=Money("0.01", "EUR"),
    ...                  min_points=200).describe()
    'points pay 0.01 EUR each, from 200 points'
    """

    type: Literal["points_as_currency"] = "points_as_currency"
    id: RuleId
    name: NonEmptyStr
    point_value: Money
    min_points: int = Field(default=1, ge=1)
    step: int = Field(default=1, ge=1)
    validity: Validity | None = None

    @model_validator(mode="after")
    def _positive(self) -> PointsAsCurrency:
        if self.point_value.amount <= 0:
            raise ValueError("point_value must be positive")
        return self

    def describe(self, unit: UnitWords | None = None) -> str:
        text = (f"{'points' if unit is None else unit.other} pay {self.point_value:,} each, "
                f"from {plural(self.min_points, unit=unit)}")
        if self.step > 1:
            text += f" in steps of {self.step}"
        if self.validity is not None:
            text += ", " + self.validity.describe()
        return text

    def expires_at(self, issued_at: datetime, zone: ZoneInfo) -> datetime | None:
        return None if self.validity is None else self.validity.until(issued_at, zone)

    def valid_from(self, issued_at: datetime, zone: ZoneInfo) -> datetime | None:
        """When the voucher becomes valid, if later than its issue (else ``None``)."""
        return None if self.validity is None else self.validity.starts(issued_at, zone)


def _reward_tag(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("type", "voucher"))
    return str(getattr(value, "type", "voucher"))


RewardItem = Annotated[
    Annotated[Reward, Tag("voucher")] | Annotated[PointsAsCurrency, Tag("points_as_currency")],
    Discriminator(_reward_tag),
]
"""Any catalogue item; ``type`` picks the class and defaults to ``"voucher"``."""


class PointScheme(_Policy):
    """How members earn, keep, lose and spend points.

    Attributes:
        earn: purchase earning rules, each applied to every order.
        events: earning rules for sign-up, profile completion and custom events.
        rewards: the reward catalogue.
        pending_days: points of an order become available this many days later (the
            return window); ``0`` makes them available at once.
        release_on: the name of a ``Custom`` event (payload ``{"order_id": ...}``), e.g.
            ``"delivered"``, that makes an order's pending points available; with
            ``pending_days`` too, whichever comes first.
        expiry: when points expire; ``None`` for never.
        redemption_order: which points a redemption spends first: ``"fifo"`` (oldest, so
            the first to expire) or ``"lifo"``.
        min_balance: the available balance a member must hold before any redemption
            (PAYBACK-style "redeem from 200 points"), whatever the reward's own minimum;
            ``0`` for none. Below it a redemption is refused with ``BelowMinimumBalance``.
        clawback: what happens when a return takes back points that were already spent:
            ``"debt"`` (default) records the shortfall as debt, repaid from future points;
            ``"absorb"`` lets the shop absorb it. The available balance never goes negative;
            ``MemberState.balance`` shows available minus debt.
        redeemable: whether the points buy rewards (see ``Program.balances``).
        labels: a balance's name in the words of each locale, for terms, statements and
            ``explain`` (:meth:`label`); left out of the JSON when empty.
        unit: the unit's words per locale (:class:`UnitWords`: "mile", "miles"), said by
            the terms, statements and ``explain``; else "points". Left out when empty.
    """

    earn: tuple[EarnRule, ...] = ()
    events: tuple[EventRule, ...] = ()
    rewards: tuple[RewardItem, ...] = ()
    pending_days: int = Field(default=0, ge=0)
    release_on: str | None = None
    expiry: Expiry | None = None
    redemption_order: Literal["fifo", "lifo"] = "fifo"
    clawback: Literal["debt", "absorb"] = "debt"
    min_balance: int = Field(default=0, ge=0)
    redeemable: bool = True
    """Whether the points buy anything: ``False`` for a balance that only counts towards
    tiers (an airline's status miles, in ``Program.balances``); it then has no rewards."""
    labels: Labels = Field(default_factory=dict, exclude_if=lambda labels: not labels)
    unit: Units = Field(default_factory=dict, exclude_if=lambda units: not units)

    def label(self, name: str, locale: str = "en") -> str:
        """The heading of the balance ``name`` (one of ``Program.balances``) in ``locale``:
        its label there, else the name with ``_`` and ``-`` as spaces, capitalised.

        >>> PointScheme(labels={"de": "Statusmeilen"}).label("status_miles", "de")
        'Statusmeilen'
        >>> PointScheme().label("status_miles", "de")
        'Status miles'
        """
        words = label_in(self.labels, locale) or name.replace("_", " ").replace("-", " ")
        return words[:1].upper() + words[1:]

    @model_validator(mode="after")
    def _unique_ids(self) -> PointScheme:
        if not self.redeemable and self.rewards:
            raise ValueError(
                f"redeemable=False but rewards={[r.id for r in self.rewards]}: points that "
                "only count towards tiers buy nothing; drop the rewards or the flag")
        for kind, items in (("earn", self.earn + self.events), ("rewards", self.rewards)):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    raise ValueError(
                        f"{kind} has two entries with id {item.id!r}; ids must be unique")
                seen.add(item.id)
        return self

    def explain_lines(self, balance: str | None = None, names: NameLabels | None = None,
                      words: ProgramWords | None = None, others_give: bool = True) -> list[str]:
        """The scheme in plain words (``Program.explain``, with the program's labels, which
        say categories and event names, and its declared ``words``, which say the facts of
        the rules' conditions); ``balance`` names one of ``Program.balances``, whose lines
        are headed by its name and list its event rules."""
        label = None if balance is None else self.label(balance)
        unit_words = unit_in(self.unit, "en")
        unit = "Points" if label is None else f"{label} points"
        unit = (unit if unit_words is None
                else unit_words.other[:1].upper() + unit_words.other[1:])
        lines = [] if label is None else [
            f"Balance {label!r}" + ("" if self.redeemable else ", only counted for tiers") + ":"]
        rules = self.earn if balance is None else (*self.earn, *self.events)
        if rules:
            lines.append("Earning:")
            lines += [f"- {rule.describe(unit_words, names, words)}" for rule in rules]
        if self.pending_days:
            lines.append(f"{unit} become available {self.pending_days} days after the "
                         "order (the return window).")
        if self.rewards:
            lines.append("Rewards:")
            lines += [f"- {reward.describe(unit_words)}" for reward in self.rewards]
        if self.min_balance:
            lines.append("Any redemption needs a balance of at least " + (
                f"{self.min_balance:,} points." if unit_words is None
                else f"{unit_words.count(self.min_balance)}."))
        if rules or self.events or self.rewards or self.expiry is not None or others_give:
            lines.append(f"{unit} never expire." if self.expiry is None  # as the terms do
                         else f"{unit} expire {self.expiry.describe()}.")
        return lines

    @property
    def has_pending(self) -> bool:
        """Whether order points wait before they become available."""
        return self.pending_days > 0 or self.release_on is not None

    @property
    def lot_expiry(self) -> (FixedLifetime | EndOfMonthAfter | EndOfQuarterAfter | CalendarCutoff
                             | None):
        """The per-lot expiry mode, if the scheme has one."""
        return None if isinstance(self.expiry, Inactivity) else self.expiry

    @property
    def pooled(self) -> bool:
        """Whether points are kept in one pool: no pending and no per-lot expiry."""
        return not self.has_pending and self.lot_expiry is None

