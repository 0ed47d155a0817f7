"""Point schemes: earning, multipliers, caps, pending points, expiry, clawback and rewards.

Everything here is declared data; :class:`~reciprocity.policies._points_stage.CompiledPoints`
turns it into closures when a program is built. The seed scheme, "every purchase over 50 EUR
earns one point; 10 points buy a 10 EUR voucher":

>>> from reciprocity import Money
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
1 point per 2.00 EUR (remainder rounded down), except gift-card, shipping,
times the member's tier multiplier
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from pydantic import Discriminator, Field, Tag, model_validator

from .._model import Frozen, NonEmptyStr, RuleId
from ..conditions import Condition
from ..errors import InvalidProgram
from ..limits import Period
from ..money import Money, Rounding

__all__ = [
    "CalendarCutoff",
    "CampaignMultiplier",
    "CategoryMultiplier",
    "EarnRule",
    "EndOfMonthAfter",
    "EventRule",
    "Expiry",
    "FixedLifetime",
    "Inactivity",
    "Multiplier",
    "PointScheme",
    "PointsAsCurrency",
    "PointsCap",
    "PointsForEvent",
    "PointsPerAmount",
    "PointsPerPurchase",
    "Reward",
    "RewardItem",
    "TierMultiplier",
    "Validity",
]


def plural(n: int, word: str = "point") -> str:
    """``1 point``, ``2 points``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def fmt_date(when: datetime, zone: ZoneInfo) -> str:
    """A date as customers read it, in the program's zone."""
    return when.astimezone(zone).strftime("%Y-%m-%d")


class _Policy(Frozen):
    _error_class: ClassVar[type[InvalidProgram]] = InvalidProgram


# -- multipliers ------------------------------------------------------------------------------

class TierMultiplier(_Policy):
    """The member's tier multiplier (``points_multiplier`` of the current tier's benefits).

    The tier is the one the member has when the order arrives (before the order counts
    towards the next tier).
    """

    type: Literal["tier"] = "tier"

    def describe(self) -> str:
        return "the member's tier multiplier"


class CampaignMultiplier(_Policy):
    """A campaign factor while ``when`` holds, e.g. double points in a date window.

    >>> from datetime import datetime, timezone
    >>> from decimal import Decimal
    >>> from reciprocity import During
    >>> CampaignMultiplier(name="double points week", factor=Decimal(2),
    ...     when=During(start=datetime(2026, 11, 23, tzinfo=timezone.utc),
    ...                 end=datetime(2026, 11, 30, tzinfo=timezone.utc))).describe()
    'x2 (double points week)'
    """

    type: Literal["campaign"] = "campaign"
    name: NonEmptyStr
    factor: Decimal = Field(gt=0)
    when: Condition

    def describe(self) -> str:
        return f"x{self.factor.normalize()} ({self.name})"


class CategoryMultiplier(_Policy):
    """A bonus factor on order lines in ``categories`` (for a per-order rule: on orders that
    contain such a line)."""

    type: Literal["category"] = "category"
    categories: tuple[NonEmptyStr, ...] = Field(min_length=1)
    factor: Decimal = Field(gt=0)

    def describe(self) -> str:
        return f"x{self.factor.normalize()} on {', '.join(self.categories)}"


Multiplier = Annotated[
    TierMultiplier | CampaignMultiplier | CategoryMultiplier, Field(discriminator="type")
]
"""Any multiplier; the ``type`` field picks the class."""


class PointsCap(_Policy):
    """At most ``points`` from one rule per order or per calendar period.

    >>> PointsCap(points=500, per="month").describe()
    'at most 500 points per month'
    """

    points: int = Field(ge=0)
    per: Literal["order", "day", "week", "month", "quarter", "year", "lifetime"] = "order"

    def describe(self) -> str:
        if self.per == "lifetime":
            return f"at most {plural(self.points)} in all"
        return f"at most {plural(self.points)} per {self.per}"

    @property
    def period(self) -> Period | None:
        """The calendar period, or ``None`` for a per-order cap."""
        return None if self.per == "order" else Period(self.per)


class _EarnBase(_Policy):
    id: RuleId
    when: Condition | None = None
    multipliers: tuple[Multiplier, ...] = ()
    stacking: Literal["multiply", "add", "best"] = "multiply"
    """How several applicable multipliers combine: ``multiply`` (x2 and x1.5 give x3),
    ``add`` (bonuses add up: x2 and x1.5 give x2.5) or ``best`` (the largest: x2)."""
    rounding: Rounding = Rounding.DOWN
    """How every fractional step becomes whole: the remainder of the amount after the last
    whole ``per`` (per-amount rules), then the result of the multipliers."""
    caps: tuple[PointsCap, ...] = ()

    def _suffix(self) -> str:
        parts = []
        if self.multipliers:
            words = {"multiply": "times", "add": "plus the bonuses of", "best": "times the best of"}
            parts.append(f"{words[self.stacking]} "
                         + ", ".join(m.describe() for m in self.multipliers))
        if self.when is not None:
            parts.append(f"when {self.when.describe()}")
        parts += [cap.describe() for cap in self.caps]
        return "".join(", " + part for part in parts)


class PointsPerPurchase(_EarnBase):
    """A fixed number of points for each order that qualifies.

    An order qualifies when its amount is over ``min_amount`` (at least ``min_amount`` with
    ``inclusive=True``; no threshold when it is ``None``) and ``when`` holds. If a return
    takes the kept amount under the threshold, the points are taken back.

    >>> from reciprocity import Money
    >>> PointsPerPurchase(id="r", points=2, min_amount=Money("50", "EUR"), inclusive=True
    ...                   ).describe()
    '2 points for every order of at least 50.00 EUR'
    """

    type: Literal["points_per_purchase"] = "points_per_purchase"
    points: int = Field(ge=1)
    min_amount: Money | None = None
    inclusive: bool = False

    def describe(self) -> str:
        """The rule in plain words."""
        text = f"{plural(self.points)} for every order"
        if self.min_amount is not None:
            text += (" of at least " if self.inclusive else " over ") + str(self.min_amount)
        return text + self._suffix()

    def qualifies(self, amount: Decimal) -> bool:
        """Whether an order ``amount`` passes the threshold."""
        if self.min_amount is None:
            return True
        limit = self.min_amount.amount
        return amount >= limit if self.inclusive else amount > limit

    def reason(self, points: int, event_id: str) -> str:
        text = f"{plural(points)} for order {event_id}"
        if self.min_amount is not None:
            text += (" of at least " if self.inclusive else " over ") + str(self.min_amount)
        return text


class PointsPerAmount(_EarnBase):
    """``points`` for every ``per`` of the order's eligible amount: "1 point per 2 EUR".

    The eligible amount is the order amount; when the rule names categories or SKUs, it is
    the sum of the lines that pass (``include_categories`` if given, minus
    ``exclude_categories`` and ``exclude_skus``: gift cards, shipping, tax, deposits). An
    order without lines cannot be filtered and earns on its whole amount (the trace says
    so). What is left of the amount after the last whole ``per`` is rounded with
    ``rounding`` (default: dropped) and never carried to the next order.

    A partial return takes back the stored points in proportion to the returned amount,
    rounded with ``clawback_rounding``; a full return takes back all of them.
    """

    type: Literal["points_per_amount"] = "points_per_amount"
    points: int = Field(default=1, ge=1)
    per: Money
    include_categories: tuple[NonEmptyStr, ...] = ()
    exclude_categories: tuple[NonEmptyStr, ...] = ()
    exclude_skus: tuple[NonEmptyStr, ...] = ()
    clawback_rounding: Rounding = Rounding.HALF_UP

    @model_validator(mode="after")
    def _positive_unit(self) -> PointsPerAmount:
        if self.per.amount <= 0:
            raise ValueError("per must be a positive amount, e.g. 1.00 EUR")
        return self

    @property
    def filters_lines(self) -> bool:
        return bool(self.include_categories or self.exclude_categories or self.exclude_skus)

    def counts_line(self, sku: str, category: str | None) -> bool:
        """Whether an order line with this SKU and category earns under the rule."""
        if self.include_categories and category not in self.include_categories:
            return False
        return category not in self.exclude_categories and sku not in self.exclude_skus

    def describe(self) -> str:
        """The rule in plain words."""
        remainder = {Rounding.DOWN: "rounded down", Rounding.FLOOR: "rounded down",
                     Rounding.UP: "rounded up", Rounding.CEILING: "rounded up"}.get(
            self.rounding, f"rounded {self.rounding.value}")
        text = f"{plural(self.points)} per {self.per} (remainder {remainder})"
        if self.include_categories:
            text += ", on " + ", ".join(self.include_categories)
        excluded = self.exclude_categories + self.exclude_skus
        if excluded:
            text += ", except " + ", ".join(excluded)
        return text + self._suffix()

    def reason(self, points: int, event_id: str, eligible: Decimal) -> str:
        return (f"{plural(points)} for order {event_id}: {Money(eligible, self.per.currency)} "
                f"at {plural(self.points)} per {self.per}")


EarnRule = Annotated[PointsPerPurchase | PointsPerAmount, Field(discriminator="type")]
"""Any purchase earning rule; the ``type`` field picks the class."""


class PointsForEvent(_EarnBase):
    """Points for something other than an order: signing up, completing the profile,
    writing a review, a referral, or any ``Custom`` event by name.

    - ``on="signup"``: once, on the member's ``SignUp``;
    - ``on="profile_completed"``: once, when every field of ``required_fields`` has been
      reported completed by ``ProfileUpdate`` events;
    - ``on="custom"``: on each ``Custom`` event named ``name`` (``"review_written"``,
      ``"referral"``...), within ``caps``.

    A referral reaches the referrer as a ``Custom`` event your shop sends when the
    referred customer qualifies (each member's state is separate).

    >>> PointsForEvent(id="review", on="custom", name="review_written", points=20,
    ...                caps=(PointsCap(points=40, per="month"),)).describe()
    "20 points for each 'review_written' event, at most 40 points per month"
    """

    type: Literal["points_for_event"] = "points_for_event"
    on: Literal["signup", "profile_completed", "custom"]
    name: str | None = None
    required_fields: tuple[NonEmptyStr, ...] = ()
    points: int = Field(ge=1)

    @model_validator(mode="after")
    def _consistent(self) -> PointsForEvent:
        if self.on == "custom" and not self.name:
            raise ValueError('on="custom" needs the custom event name, e.g. name="review_written"')
        if self.on == "profile_completed" and not self.required_fields:
            raise ValueError('on="profile_completed" needs required_fields, e.g. ("birthday",)')
        return self

    def describe(self) -> str:
        what = {"signup": "for signing up",
                "profile_completed": "for completing the profile ("
                + ", ".join(self.required_fields) + ")",
                "custom": f"for each {self.name!r} event"}[self.on]
        return f"{plural(self.points)} {what}{self._suffix()}"

    def reason(self, points: int, event_id: str) -> str:
        if self.on == "signup":
            return f"{plural(points)} for signing up"
        if self.on == "profile_completed":
            return f"{plural(points)} for completing your profile"
        return f"{plural(points)} for {self.name} {event_id}"


EventRule = Annotated[PointsForEvent, Field(discriminator="type")]
"""Any earning rule for events other than orders; the ``type`` field picks the class."""


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
        local = earned_at.astimezone(zone) + relativedelta(months=self.months, days=self.days)
        return local.astimezone(UTC)


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
        return (f"every {cutoff.strftime('%d %B').lstrip('0')}, for points collected before "
                f"{start.strftime('%d %B').lstrip('0')} {self.years} years earlier")

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
    FixedLifetime | EndOfMonthAfter | CalendarCutoff | Inactivity, Field(discriminator="type")
]
"""Any expiry mode; the ``type`` field picks the class."""


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


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
    """A fixed reward: ``points`` buy a voucher worth ``value``.

    With ``auto_issue`` the voucher is issued as soon as the balance reaches ``points``
    (stamp-card style); otherwise the member asks for it with a
    :class:`~reciprocity.Redemption` event. Give the voucher's validity as ``valid_days`` or,
    for calendar rules, as ``validity``.
    """

    type: Literal["voucher"] = "voucher"
    id: RuleId
    name: NonEmptyStr
    points: int = Field(ge=1)
    value: Money
    valid_days: int | None = Field(default=None, ge=1)
    """Days a voucher stays valid after issue; ``None`` for no end."""
    validity: Validity | None = None
    auto_issue: bool = False

    @model_validator(mode="after")
    def _one_validity(self) -> Reward:
        if self.valid_days is not None and self.validity is not None:
            raise ValueError("give valid_days or validity, not both")
        return self

    def describe(self) -> str:
        text = f"{plural(self.points)} buy a {self.name} worth {self.value}"
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

    def describe(self) -> str:
        text = f"points pay {self.point_value} each, from {plural(self.min_points)}"
        if self.step > 1:
            text += f" in steps of {self.step}"
        if self.validity is not None:
            text += ", " + self.validity.describe()
        return text

    def expires_at(self, issued_at: datetime, zone: ZoneInfo) -> datetime | None:
        return None if self.validity is None else self.validity.until(issued_at, zone)


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
        clawback: what happens when a return takes back points that were already spent:
            ``"debt"`` (default) records the shortfall as debt, repaid from future points;
            ``"absorb"`` lets the shop absorb it. The available balance never goes negative;
            ``MemberState.balance`` shows available minus debt.
    """

    earn: tuple[EarnRule, ...] = ()
    events: tuple[EventRule, ...] = ()
    rewards: tuple[RewardItem, ...] = ()
    pending_days: int = Field(default=0, ge=0)
    release_on: str | None = None
    expiry: Expiry | None = None
    redemption_order: Literal["fifo", "lifo"] = "fifo"
    clawback: Literal["debt", "absorb"] = "debt"

    @model_validator(mode="after")
    def _unique_ids(self) -> PointScheme:
        for kind, items in (("earn", self.earn + self.events), ("rewards", self.rewards)):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    raise ValueError(
                        f"{kind} has two entries with id {item.id!r}; ids must be unique")
                seen.add(item.id)
        return self

    @property
    def has_pending(self) -> bool:
        """Whether order points wait before they become available."""
        return self.pending_days > 0 or self.release_on is not None

    @property
    def lot_expiry(self) -> FixedLifetime | EndOfMonthAfter | CalendarCutoff | None:
        """The per-lot expiry mode, if the scheme has one."""
        return None if isinstance(self.expiry, Inactivity) else self.expiry

    @property
    def pooled(self) -> bool:
        """Whether points are kept in one pool: no pending and no per-lot expiry."""
        return not self.has_pending and self.lot_expiry is None


from ._points_stage import CompiledPoints, check_purchase_currency  # noqa: E402

__all__ += ["CompiledPoints", "check_purchase_currency"]
