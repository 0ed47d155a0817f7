"""Gift schemes, declared: welcome, birthday, anniversary, tier, seasonal, thank-you, win-back.

The shop gives something small first, consistently, and says clearly what it is worth. A
:class:`GiftScheme` holds the gift rules (each a trigger, who is eligible and its limits), the
program's gift budgets and the stock of physical gifts. This module holds the rules driven by
the member's life and the calendar, the ``GiftRule`` union and :class:`GiftScheme`; what a rule
gives is in :mod:`reciprocity.gifts.gift`, the order-driven rules in
:mod:`reciprocity.gifts.order_rules`. ``reciprocity._pipeline`` compiles a scheme into
``reciprocity.gifts.stage.CompiledGifts``; the "what can I still get" report is
:mod:`reciprocity.gifts.eligibility`.

>>> from reciprocity import Gift, Money
>>> voucher = Gift(id="bday-5", name="birthday voucher", kind="voucher",
...                value=Money("5.00", "EUR"))
>>> BirthdayGift(id="birthday", gift=voucher, consents=("email",)).describe()
'birthday voucher worth 5.00 EUR on your birthday, once a year; needs consent to email'

Imports: the core's models, ``gift`` and ``order_rules``; never a compiled stage.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from .._model import NonEmptyStr
from .._reason import english_day
from ..events import KINDS, PROFILE, PURCHASE, SIGNUP
from ..limits import Budget, Period
from ..money import Money, Rounding
from ..names import ProgramWords
from .gift import FeedbackRequest, Gift, Stock, _and, _plural, _Policy, _Rule, ordinal, percent
from .order_rules import (
    CategoryGift,
    ClaimGift,
    FirstOrderGift,
    NthOrderGift,
    OrderOverGift,
    SurpriseGift,
)

__all__ = [
    "AnniversaryGift",
    "BirthdayGift",
    "DriftRule",
    "GiftRule",
    "GiftScheme",
    "SeasonalGift",
    "ThankYouGift",
    "TierGift",
    "WelcomeGift",
]


ANY_EVENT = frozenset(range(KINDS))
"""Every kind of event."""


class WelcomeGift(_Rule):
    """A welcome gift when the member signs up, e.g. an e-book for leaving an email address.

    With ``consents`` the gift waits for them: a member who gives the consent later (a
    :class:`~reciprocity.ProfileUpdate`) gets it then, within ``within_days`` of joining if
    that is set. Once per member.

    >>> from reciprocity import Money
    >>> print(WelcomeGift(id="welcome", consents=("email",), within_days=30, gift=Gift(
    ...     id="ebook", name="tea e-book", kind="e-book", value=Money("4.99", "EUR"))
    ... ).describe())
    tea e-book worth 4.99 EUR when you sign up (or within 30 days of joining);
    needs consent to email
    """

    type: Literal["welcome"] = "welcome"
    gift: Gift
    within_days: int | None = Field(default=None, ge=1)

    def gifts(self) -> tuple[Gift, ...]:
        return (self.gift,)

    def events_met(self) -> frozenset[int]:
        return frozenset({SIGNUP, PROFILE})

    def _trigger(self) -> str:
        text = f"{self.gift.phrase()} when you sign up"
        if self.within_days is not None:
            text += f" (or within {_plural(self.within_days, 'day')} of joining)"
        return text


LeapDay = Literal["feb28", "mar1"]
"""Where a 29 February date falls in other years: on 28 February or on 1 March."""


class BirthdayGift(_Rule):
    """A birthday gift, once a year: on the birthday or in the birthday month.

    Dates are in the program's time zone: a day window runs from local midnight to local
    midnight, a month window over the calendar month. 29 February birthdays are celebrated
    on ``leap_day`` in other years (the month window follows that day too). With
    ``min_order`` the gift comes with the member's first order of at least that amount in the
    window, instead of at its start. With ``ignore_changed_days`` a birthday set or changed
    less than that many days before does not trigger (anti-gaming).

    >>> from reciprocity import Money
    >>> print(BirthdayGift(id="b", window="month", min_order=Money("20.00", "EUR"),
    ...                    ignore_changed_days=30, gift=Gift(id="v", name="birthday voucher",
    ...                    kind="voucher", value=Money("5.00", "EUR"))).describe())
    birthday voucher worth 5.00 EUR in your birthday month, once a year,
    with an order of at least 20.00 EUR; the birthday must be on file for 30 days
    """

    type: Literal["birthday"] = "birthday"
    gift: Gift
    window: Literal["day", "month"] = "day"
    leap_day: LeapDay = "feb28"
    min_order: Money | None = None
    ignore_changed_days: int | None = Field(default=None, ge=1)

    def gifts(self) -> tuple[Gift, ...]:
        return (self.gift,)

    def events_met(self) -> frozenset[int]:
        return frozenset({PURCHASE}) if self.min_order is not None else frozenset()

    def _trigger(self) -> str:
        where = "on your birthday" if self.window == "day" else "in your birthday month"
        text = f"{self.gift.phrase()} {where}, once a year"
        if self.min_order is not None:
            text += f", with an order of at least {self.min_order:,}"
        if self.ignore_changed_days is not None:
            text += (f"; the birthday must be on file for "
                     f"{_plural(self.ignore_changed_days, 'day')}")
        return text


class AnniversaryGift(_Rule):
    """A gift on the anniversary of joining (local midnight in the program's time zone).

    ``years`` lists the anniversaries that count (e.g. ``(1, 5, 10)``); empty for every year.

    >>> from reciprocity import Money
    >>> AnniversaryGift(id="a", years=(1, 5), gift=Gift(id="v", name="voucher",
    ...                 kind="voucher", value=Money("10.00", "EUR"))).describe()
    'voucher worth 10.00 EUR on your 1st and 5th anniversary of joining'
    """

    type: Literal["anniversary"] = "anniversary"
    gift: Gift
    years: tuple[Annotated[int, Field(ge=1)], ...] = ()
    leap_day: LeapDay = "feb28"

    @field_validator("years")
    @classmethod
    def _sorted(cls, years: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(sorted(set(years)))

    def gifts(self) -> tuple[Gift, ...]:
        return (self.gift,)

    def _trigger(self) -> str:
        if not self.years:
            return f"{self.gift.phrase()} on each anniversary of joining"
        return (f"{self.gift.phrase()} on your "
                f"{_and([ordinal(y) for y in self.years])} anniversary of joining")


class TierGift(_Rule):
    """A gift the first time the member is in one of the ``reached`` tiers.

    It reads the member's current tier (kept by the tier ladder, which runs before gifts):
    whenever the member is in a rewarded tier and has had no gift of this rule for that tier
    yet, the gift is given, so each tier is rewarded once per member. A gift that was
    skipped (a missing consent, a budget used up) is tried again at the member's next event
    while the member is in that tier.

    >>> from reciprocity import Money
    >>> TierGift(id="t", reached=("gold",), gift=Gift(id="g", name="welcome-to-gold box",
    ...          kind="physical", value=Money("15.00", "EUR"))).describe()
    'welcome-to-gold box worth 15.00 EUR when you first reach tier gold'
    """

    type: Literal["tier_reached"] = "tier_reached"
    reached: tuple[NonEmptyStr, ...] = Field(min_length=1)
    gift: Gift

    def gifts(self) -> tuple[Gift, ...]:
        return (self.gift,)

    def events_met(self) -> frozenset[int]:
        return ANY_EVENT  # a tier changes on any event

    def _trigger_in(self, words: ProgramWords | None,
                    tier_names: Mapping[str, str] | None = None) -> str:
        names = tier_names or {}
        return f"{self.gift.phrase()} when you first reach tier " + " or ".join(
            names.get(tier, tier) for tier in self.reached)


_MONTH_DAY = re.compile(r"^(\d{2})-(\d{2})$")


def _month_day(value: str) -> tuple[int, int]:
    match = _MONTH_DAY.match(value)
    if match is None:
        raise ValueError(f"{value!r} is not a month and day; write 'MM-DD', e.g. '12-01'")
    month, day = int(match[1]), int(match[2])
    try:
        date(2000, month, day)
    except ValueError:
        raise ValueError(f"{value!r} is not a date; write 'MM-DD', e.g. '12-01'") from None
    if (month, day) == (2, 29):
        raise ValueError("'02-29' exists only in leap years; use '02-28' or '03-01'")
    return month, day


def _day_text(month_day: tuple[int, int]) -> str:
    return english_day(*month_day)


class SeasonalGift(_Rule):
    """A gift in a yearly date window, e.g. a Christmas basket in December for the best
    customers, or early access to a sale for a tier.

    ``start`` and ``end`` are ``"MM-DD"`` days in the program's time zone, both included; a
    window may cross the year end. ``years`` limits it to those years (a one-off campaign);
    empty for every year. ``evaluate="at_start"`` decides once, at local midnight of the
    first day, for every member the program knows then; ``"while_open"`` also gives it at
    the member's first event in the window at which they qualify.

    ``top_percent`` keeps it for the top members by spend in the calendar year the window
    starts in, "as of the trigger time": the ranking is read from the program-wide spend
    table (``SharedState.metrics["spend@<year>"]``) at the moment the rule fires. Among the
    members with a positive spend that year, the top ``top_percent`` % are
    ``ranking_rounding(count * top_percent / 100)`` members; a member whose spend equals the
    last place's also qualifies.

    >>> from decimal import Decimal
    >>> from reciprocity import Money
    >>> print(SeasonalGift(id="xmas", start="12-01", end="12-24", top_percent=Decimal(10),
    ...                    gift=Gift(id="basket", name="Christmas basket", kind="physical",
    ...                              value=Money("40.00", "EUR"))).describe())
    Christmas basket worth 40.00 EUR from 1 December to 24 December,
    for the top 10 % of members by spend that year
    """

    type: Literal["seasonal"] = "seasonal"
    gift: Gift
    start: str
    end: str
    years: tuple[Annotated[int, Field(ge=1900, le=9999)], ...] = ()
    evaluate: Literal["at_start", "while_open"] = "at_start"
    top_percent: Decimal | None = Field(default=None, gt=0, le=100)
    ranking_rounding: Rounding = Rounding.UP

    @field_validator("start", "end")
    @classmethod
    def _valid_day(cls, value: str) -> str:
        _month_day(value)
        return value

    @field_validator("years")
    @classmethod
    def _sorted(cls, years: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(sorted(set(years)))

    @property
    def start_day(self) -> tuple[int, int]:
        """``(month, day)`` of the first day."""
        return _month_day(self.start)

    @property
    def end_day(self) -> tuple[int, int]:
        """``(month, day)`` of the last day."""
        return _month_day(self.end)

    def gifts(self) -> tuple[Gift, ...]:
        return (self.gift,)

    def events_met(self) -> frozenset[int]:
        return ANY_EVENT if self.evaluate == "while_open" else frozenset()

    def _trigger(self) -> str:
        text = (f"{self.gift.phrase()} from {_day_text(self.start_day)} to "
                f"{_day_text(self.end_day)}")
        text += " each year" if not self.years else " in " + _and([str(y) for y in self.years])
        if self.top_percent is not None:
            text = text.removesuffix(" each year")
            text += (f", for the top {percent(self.top_percent)} of members by spend "
                     "that year")
        return text


class ThankYouGift(_Rule):
    """A thank-you for loyalty: after ``orders`` orders and/or ``spend`` in a calendar period.

    Once per period. Orders count when something of them is kept; spend is net of returns.
    With ``match="any"`` one of the two thresholds is enough. With ``percent_of_spend`` the
    voucher is personalised: worth that share of the period's spend, rounded to the currency's
    minor unit with ``rounding``, and at most the gift's ``value``.

    >>> from decimal import Decimal
    >>> from reciprocity import Money
    >>> print(ThankYouGift(id="ty", orders=5, per="year", percent_of_spend=Decimal(5),
    ...                    gift=Gift(id="v", name="thank-you voucher", kind="voucher",
    ...                              value=Money("20.00", "EUR"))).describe())
    thank-you voucher worth 5 % of your spend that year, up to 20.00 EUR,
    after 5 orders in a calendar year
    """

    type: Literal["thank_you"] = "thank_you"
    gift: Gift
    orders: int | None = Field(default=None, ge=1)
    spend: Money | None = None
    per: Period = Period.YEAR
    match: Literal["all", "any"] = "all"
    percent_of_spend: Decimal | None = Field(default=None, gt=0, le=100)
    rounding: Rounding = Rounding.DOWN

    @model_validator(mode="after")
    def _threshold(self) -> ThankYouGift:
        if self.orders is None and self.spend is None:
            raise ValueError("give orders, spend or both")
        if self.spend is not None and self.spend.amount <= 0:
            raise ValueError("spend must be positive")
        return self

    def gifts(self) -> tuple[Gift, ...]:
        return (self.gift,)

    def period_text(self) -> str:
        """``in a calendar year``, ``in all``."""
        return "in all" if self.per is Period.LIFETIME else f"in a calendar {self.per.noun}"

    def needs_text(self) -> str:
        """What the member must reach: ``5 orders and 300.00 EUR spend in a calendar year``."""
        needs = []
        if self.orders is not None:
            needs.append(_plural(self.orders, "order"))
        if self.spend is not None:
            needs.append(f"{self.spend:,} spend")
        joined = (" or " if self.match == "any" else " and ").join(needs)
        return f"{joined} {self.period_text()}"

    def events_met(self) -> frozenset[int]:
        return frozenset({PURCHASE})

    def _trigger(self) -> str:
        if self.percent_of_spend is None:
            what = self.gift.phrase()
        else:
            that = "in all" if self.per is Period.LIFETIME else f"that {self.per.noun}"
            what = (f"{self.gift.name} worth {percent(self.percent_of_spend)} of your spend "
                    f"{that}, up to {self.gift.value:,}")
        return f"{what}, after {self.needs_text()}"


class DriftRule(_Rule):
    """A member who bought regularly and then has no order for ``quiet_days`` days is asked
    for feedback (a :class:`~reciprocity.MessageSuggested` effect, not a gift), once per quiet
    spell; optionally with a win-back ``gift``.

    "Regularly" means at least ``min_orders`` orders in the ``lookback_days`` days up to the
    last order (``None``: ever). Days are calendar days in the program's time zone, so the
    request comes at the wall-clock time of the last order, across DST changes. The rule's
    caps, cooldown and budget apply to the win-back gift.

    >>> print(DriftRule(id="drift", quiet_days=90, message=FeedbackRequest(
    ...     id="miss-you", text="We miss you!")).describe())
    after 90 days without an order (having had at least 2 orders in the 365 days before),
    a feedback request by email
    """

    type: Literal["drift"] = "drift"
    quiet_days: int = Field(ge=1)
    min_orders: int = Field(default=2, ge=1)
    lookback_days: int | None = Field(default=365, ge=1)
    message: FeedbackRequest
    gift: Gift | None = None

    _listed: ClassVar[bool] = False

    def gifts(self) -> tuple[Gift, ...]:
        return () if self.gift is None else (self.gift,)

    def _trigger(self) -> str:
        regular = f"at least {_plural(self.min_orders, 'order')}"
        regular += (" in all" if self.lookback_days is None
                    else f" in the {_plural(self.lookback_days, 'day')} before")
        text = (f"after {_plural(self.quiet_days, 'day')} without an order (having had "
                f"{regular}), a feedback request by {self.message.channel}")
        if self.gift is not None:
            text += f" and {self.gift.phrase()}"
        return text


GiftRule = Annotated[
    FirstOrderGift | NthOrderGift | OrderOverGift | CategoryGift | SurpriseGift | WelcomeGift
    | BirthdayGift | AnniversaryGift | TierGift | SeasonalGift | ThankYouGift | DriftRule
    | ClaimGift,
    Field(discriminator="type"),
]
"""Any gift rule; the ``type`` field picks the class."""


class GiftScheme(_Policy):
    """A program's gift rules, gift budgets and stock of physical gifts.

    Rules are evaluated in the order given, so when two rules draw on one budget, the first
    one declared is served first. Budgets (count or value per period) and stock are
    program-wide, kept in :class:`~reciprocity.SharedState`; a scheme that declares any of
    them, or ranks members (``SeasonalGift.top_percent``), makes the program use shared
    state. A gift that a budget or the stock cannot pay for is skipped, with the reason in
    the trace (``when_exhausted="skip"``).

    Args:
        rules: the gift rules.
        budgets: program budgets, referenced by a rule's ``budget``.
        stock: stock of physical gifts, referenced by a gift's ``stock``.

    >>> from reciprocity import Budget, Money, Period
    >>> gift = Gift(id="tea", name="tea sample", kind="sample", value=Money("2.50", "EUR"))
    >>> scheme = GiftScheme(
    ...     rules=(OrderOverGift(id="over-80", amount=Money("80.00", "EUR"), gift=gift,
    ...                          budget="samples"),),
    ...     budgets=(Budget(id="samples", count=100, per=Period.MONTH),))
    >>> print("\\n".join(scheme.explain_lines()))
    Gifts:
    - tea sample worth 2.50 EUR with every order over 80.00 EUR; while the samples budget lasts
    Gift budgets:
    - samples: at most 100 per month
    """

    rules: tuple[GiftRule, ...] = ()
    budgets: tuple[Budget, ...] = ()
    stock: tuple[Stock, ...] = ()

    @model_validator(mode="after")
    def _references(self) -> GiftScheme:
        for kind, ids in (("rules", [r.id for r in self.rules]),
                          ("budgets", [b.id for b in self.budgets]),
                          ("stock", [s.id for s in self.stock])):
            seen: set[str] = set()
            for item in ids:
                if item in seen:
                    raise ValueError(f"{kind} has two entries with id {item!r}; ids must be "
                                     "unique")
                seen.add(item)
        budgets = {b.id for b in self.budgets}
        stock = {s.id for s in self.stock}
        for budget in self.budgets:
            if budget.when_exhausted != "skip":
                raise ValueError(f"budget {budget.id!r} has when_exhausted="
                                 f"{budget.when_exhausted!r}; gift budgets skip the gift "
                                 "when used up: use when_exhausted='skip'")
        for rule in self.rules:
            if rule.budget is not None and rule.budget not in budgets:
                raise ValueError(f"rule {rule.id!r} names budget {rule.budget!r}, which is "
                                 f"not declared; add Budget(id={rule.budget!r}, ...) to "
                                 "budgets")
            for gift in rule.gifts():
                if gift.stock is not None and gift.stock not in stock:
                    raise ValueError(f"gift {gift.id!r} of rule {rule.id!r} names stock "
                                     f"{gift.stock!r}, which is not declared; add "
                                     f"Stock(id={gift.stock!r}, units=...) to stock")
        return self

    @property
    def uses_shared(self) -> bool:
        """Whether the scheme needs program-wide state (budgets, stock or a ranking)."""
        return bool(self.budgets or self.stock or any(
            isinstance(rule, SeasonalGift) and rule.top_percent is not None
            for rule in self.rules))

    def explain_lines(self, tier_names: Mapping[str, str] | None = None,
                      words: ProgramWords | None = None) -> list[str]:
        """The scheme in plain words, one line per rule, budget and stock (``Program.explain``
        gives the ladder's ``tier_names`` and the program's declared ``words``)."""
        lines = ["Gifts:"] if self.rules else []
        lines += [f"- {rule.describe(tier_names, words)}" for rule in self.rules]
        if self.budgets:
            lines.append("Gift budgets:")
            lines += [f"- {budget.id}: {budget.describe()}" for budget in self.budgets]
        if self.stock:
            lines.append("Gift stock:")
            lines += [f"- {stock.describe()}" for stock in self.stock]
        return lines
